import FieldReportAPI
import FieldReportServices
import FieldReportStore
import FieldReportWorkflow
import Foundation
import Logging
import RPCCore
import Synchronization
import WireBridge

/// A test clock the test moves by hand.
final class TestClock: Sendable {
  private let current: Mutex<Timestamp>

  init(_ start: Timestamp) { current = Mutex(start) }

  /// The time now.
  var now: Timestamp { current.withLock { $0 } }

  /// Moves the clock forward.
  func advance(milliseconds: Int64) {
    current.withLock { $0 = $0.adding(milliseconds: milliseconds) }
  }
}

/// The demo province in a real SQLite file, served in-process by the case, assignment,
/// journal and identity services behind the authentication interceptor, with a session
/// token for every demo person and the platform's API key.
///
/// The transport is a parameter so the same scenarios run in-process and over loopback.
final class CaseWorld: Sendable {
  /// 6 March 2026, 09:00 in Hà Tĩnh (02:00 UTC): the day of the source's report codes.
  static let start = Timestamp(millisecondsSince1970: 1_772_762_400_000)

  let directory: URL
  let store: SQLiteFieldReportStore
  let clock: TestClock
  let env: ServiceEnvironment
  let router: RPCRouter
  let transport: any ClientTransport
  let tokens: [UserID: String]
  let platformKey: String

  private init(
    directory: URL, store: SQLiteFieldReportStore, clock: TestClock, env: ServiceEnvironment,
    router: RPCRouter, transport: any ClientTransport, tokens: [UserID: String], platformKey: String
  ) {
    self.directory = directory
    self.store = store
    self.clock = clock
    self.env = env
    self.router = router
    self.transport = transport
    self.tokens = tokens
    self.platformKey = platformKey
  }

  /// The services under test, with authentication, as a router.
  static func router(env: ServiceEnvironment, pollInterval: Duration = .milliseconds(20)) -> RPCRouter {
    var router = RPCRouter()
    router.interceptors = [Authenticator(env: env).interceptor()]
    router.register(CaseService(env: env))
    router.register(AssignmentService(env: env))
    router.register(JournalService(env: env, pollInterval: pollInterval))
    return router
  }

  /// Builds a world; `transport` turns the router into a client transport (default:
  /// in-process).
  static func make(
    transport makeTransport: (RPCRouter) async throws -> any ClientTransport = { InProcessTransport(router: $0) }
  ) async throws -> CaseWorld {
    let directory = FileManager.default.temporaryDirectory
      .appendingPathComponent("svccase-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let store = try await SQLiteFieldReportStore(
      path: directory.appendingPathComponent("fieldreport.sqlite").path)
    let clock = TestClock(start)
    let env = ServiceEnvironment(
      store: store, now: { clock.now }, logger: Logger(label: "svccase-test") { _ in SwiftLogNoOpLogHandler() },
      limits: ServiceLimits(passwordHashing: .fastForTesting, maximumAttachmentBytes: 64 * 1024))
    let loaded = try await DemoProvince.load(
      into: store, password: "demo-password-123", hashing: .fastForTesting, now: start)
    var tokens: [UserID: String] = [:]
    for person in DemoProvince.people where person.kind != .serviceAccount {
      let token = "token-\(person.username)-\(UUID().uuidString)"
      try await store.createSession(
        token: token,
        session: Session(userID: person.id, createdAt: start, expiresAt: start.adding(days: 365)))
      tokens[person.id] = token
    }
    let router = router(env: env)
    return CaseWorld(
      directory: directory, store: store, clock: clock, env: env, router: router,
      transport: try await makeTransport(router), tokens: tokens, platformKey: loaded.platformAPIKey ?? "")
  }

  /// Closes the store and removes the files.
  func close() async {
    await store.close()
    try? FileManager.default.removeItem(at: directory)
  }

  /// Call options authenticating as `person`.
  func `as`(_ person: DemoProvince.Person) -> CallOptions {
    var metadata = Metadata()
    if person.kind == .serviceAccount {
      metadata.add("authorization", text: "ApiKey \(platformKey)")
    } else {
      metadata.add("authorization", text: "Bearer \(tokens[person.id] ?? "")")
    }
    return CallOptions(timeout: .seconds(30), metadata: metadata)
  }

  var cases: Fieldreport_V1_CaseServiceClient { Fieldreport_V1_CaseServiceClient(transport) }
  var assignments: Fieldreport_V1_AssignmentServiceClient { Fieldreport_V1_AssignmentServiceClient(transport) }
  var journal: Fieldreport_V1_JournalServiceClient { Fieldreport_V1_JournalServiceClient(transport) }

  // MARK: Steps used by many tests

  /// Submits a report as the platform, on behalf of a citizen.
  func submit(
    _ title: String, content: String = "Nội dung phản ánh", category: String = "TRAT-TU-CONG-CONG",
    address: String = "", key: String = UUID().uuidString, isPublic: Bool = true
  ) async throws -> Fieldreport_V1_CaseSummary {
    var request = Fieldreport_V1_SubmitReportRequest()
    request.idempotencyKey = key
    request.title = title
    request.content = content
    request.categoryId = category
    request.eventAddress = address
    request.reporterAllowsPublic = isPublic
    var reporter = Fieldreport_V1_ReporterInfo()
    reporter.fullName = "Trần Văn Bình"
    reporter.phone = "0912345678"
    reporter.citizenUserId = "platform-citizen-42"
    request.reporter = reporter
    let response = try await cases.submitReport(request, options: self.as(DemoProvince.platform))
    return try unwrap(response.caseSummary)
  }

  /// Common action fields for `summary` (its id and version), with a fresh key.
  func common(
    _ summary: Fieldreport_V1_CaseSummary, _ content: String = "", key: String = UUID().uuidString,
    attachments: [String] = [], notify: Bool = false
  ) -> Fieldreport_V1_ActionCommon {
    var common = Fieldreport_V1_ActionCommon()
    common.caseId = summary.caseId
    common.expectedVersion = summary.version
    common.idempotencyKey = key
    common.content = content
    common.attachmentIds = attachments
    common.notifyMobileApp = notify
    return common
  }

  /// Dispatches as the IOC operator.
  func dispatch(
    _ summary: Fieldreport_V1_CaseSummary, to unit: UnitID, content: String = "Chuyển đơn vị xử lý",
    allowSameUnit: Bool = false
  ) async throws -> Fieldreport_V1_CaseSummary {
    var request = Fieldreport_V1_DispatchCaseRequest()
    request.common = common(summary, content)
    request.targetUnitId = unit.rawValue
    request.allowSameUnit = allowSameUnit
    return try unwrap(try await cases.dispatchCase(request, options: self.as(DemoProvince.quan)).caseSummary)
  }

  /// Assigns as `leader` to `main`.
  func assign(
    _ summary: Fieldreport_V1_CaseSummary, by leader: DemoProvince.Person, to main: DemoProvince.Person,
    coordinators: [DemoProvince.Person] = [], followers: [DemoProvince.Person] = [],
    content: String = "Phân công xử lý", product: Fieldreport_V1_OutputProductKind = .unspecified
  ) async throws -> Fieldreport_V1_AssignResponse {
    var input = Fieldreport_V1_AssignmentInput()
    input.mainHandlerUserId = main.id.rawValue
    input.coordinatorUserIds = coordinators.map(\.id.rawValue)
    input.followerUserIds = followers.map(\.id.rawValue)
    input.dueAtMs = clock.now.adding(days: 5).millisecondsSince1970
    input.outputProductKind = product
    var request = Fieldreport_V1_AssignRequest()
    request.common = common(summary, content)
    request.assignment = input
    return try await assignments.assign(request, options: self.as(leader))
  }

  /// Submits the result as `officer`, to the leader who assigned.
  func submitResult(
    _ summary: Fieldreport_V1_CaseSummary, by officer: DemoProvince.Person, letter: String,
    attachments: [String] = []
  ) async throws -> Fieldreport_V1_CaseSummary {
    var request = Fieldreport_V1_SubmitResultRequest()
    request.common = common(summary, letter, attachments: attachments)
    return try unwrap(
      try await assignments.submitResult(request, options: self.as(officer)).caseSummary)
  }

  /// Approves as `leader`.
  func approve(
    _ summary: Fieldreport_V1_CaseSummary, by leader: DemoProvince.Person
  ) async throws -> Fieldreport_V1_CaseSummary {
    var request = Fieldreport_V1_ApproveRequest()
    request.common = common(summary, "Đồng ý")
    return try unwrap(try await assignments.approve(request, options: self.as(leader)).caseSummary)
  }

  /// Reads a case as `person`.
  func get(_ caseID: String, as person: DemoProvince.Person) async throws -> Fieldreport_V1_CaseDetail {
    var request = Fieldreport_V1_GetCaseRequest()
    request.key = .caseId(caseID)
    return try unwrap(try await cases.getCase(request, options: self.as(person)).caseDetail)
  }
}

/// A missing optional in a response.
struct MissingField: Error {}

/// The value, or a thrown ``MissingField``.
func unwrap<T>(_ value: T?) throws -> T {
  guard let value else { throw MissingField() }
  return value
}

/// The status code a call failed with, or nil if it succeeded.
func statusCode(_ body: () async throws -> Void) async -> StatusCode? {
  do {
    try await body()
    return nil
  } catch let error as RPCError {
    return error.code
  } catch {
    return .unknown
  }
}
