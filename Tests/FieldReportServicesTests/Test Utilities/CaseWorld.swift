import FieldReportAPI
@testable import FieldReportServices
import FieldReportStore
import FieldReportWorkflow
import Foundation
import Logging
import RPCCore
import StoreTestSupport
import Synchronization
import WireBridge

/// The demo province behind ``TestServer`` (a real SQLite file, every service, the
/// authentication interceptor), with a session token for every demo person and the typed
/// clients of the case, assignment and journal services over one transport: in-process for
/// breadth, or a live loopback client.
struct CaseWorld {
  let server: TestServer
  let transport: any ClientTransport
  let tokens: [UserID: String]

  var clock: TestClock { server.clock }
  var store: any TestableStore { server.store }

  /// Limits for these tests: a small attachment limit so the size refusal is cheap to hit.
  static let limits = ServiceLimits(maximumAttachmentBytes: 64 * 1024)

  /// A world over `server`, reached through `transport`.
  static func over(_ server: TestServer, transport: any ClientTransport) async throws -> CaseWorld {
    // Sessions straight in the store: logging in through IdentityService is its own
    // suite's subject, and skipping it keeps these tests fast.
    var tokens: [UserID: String] = [:]
    let now = server.clock.now
    for person in DemoProvince.people + [admin] where person.kind != .serviceAccount {
      let token = "token-\(person.username)-\(UInt64.random(in: 0...UInt64.max))"
      try await server.store.createSession(
        token: token, session: Session(userID: person.id, createdAt: now, expiresAt: now.adding(days: 365)))
      tokens[person.id] = token
    }
    return CaseWorld(server: server, transport: transport, tokens: tokens)
  }

  /// A fresh world served in-process.
  static func make(engine: StoreEngine = .sqlite) async throws -> CaseWorld {
    let server = try await TestServer.make(engine: engine, limits: limits)
    return try await over(server, transport: server.inProcess())
  }

  /// The first-run system administrator, as a person.
  static let admin = DemoProvince.Person(
    SystemAdminBootstrap.userID.rawValue, SystemAdminBootstrap.username, "Quản trị hệ thống", .staff, [])

  /// Closes the store and removes the files.
  func close() async { await server.close() }

  /// Call options authenticating as `person`.
  func `as`(_ person: DemoProvince.Person) -> CallOptions {
    var options =
      person.kind == .serviceAccount
      ? TestServer.apiKey(server.platformKey) : TestServer.bearer(tokens[person.id] ?? "")
    options.timeout = .seconds(30)
    return options
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

/// The status code a call (or a helper that makes calls) failed with, or nil if it succeeded.
func failure(_ body: () async throws -> Void) async -> StatusCode? {
  do {
    try await body()
    return nil
  } catch let error as RPCError {
    return error.code
  } catch {
    return .unknown
  }
}
