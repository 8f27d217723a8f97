import FieldReportClient

/// The people and units of the demo province (`fieldreport-server --demo`, DemoProvince in
/// FieldReportServices) the generator acts as. Kept here as data: the generator talks to the
/// server only through the public RPCs.
enum DemoPeople {
  /// A demo account: login name and user id.
  struct Person: Sendable, Hashable {
    let username: String
    let userID: String
  }

  /// A handling unit with the leader who assigns and approves and the officer who handles.
  struct HandlingUnit: Sendable, Hashable {
    let unitID: String
    let leader: Person
    /// The main handler (an officer, or the leader where the unit has no officer).
    let officer: Person
  }

  /// Trần Minh Quân, the IOC operator (dispatches, publishes, reads).
  static let iocOperator = Person(username: "quan.tm", userID: "u-quan")

  /// UBND Xã Đồng Lộc: Lê Văn Đường (leader), Lê Đại Thắng (officer) — the source's example.
  static let dongLoc = HandlingUnit(
    unitID: "UBND-DONGLOC", leader: Person(username: "duong.lv", userID: "u-duong"),
    officer: Person(username: "thang.ld", userID: "u-thang"))

  /// Every handling unit of the demo province: the commune, the ward and both departments.
  static let units: [HandlingUnit] = [
    dongLoc,
    HandlingUnit(
      unitID: "SO-KHCN", leader: Person(username: "ha.nt", userID: "u-ha"), officer: Person(username: "toan.dt", userID: "u-toan")),
    HandlingUnit(
      unitID: "UBND-TRANPHU", leader: Person(username: "nam.hv", userID: "u-nam"),
      officer: Person(username: "mai.vt", userID: "u-mai")),
    // Sở TN&MT has no officer in the demo: its leader handles (a leader may be main handler).
    HandlingUnit(
      unitID: "SO-TNMT", leader: Person(username: "huy.bq", userID: "u-huy"), officer: Person(username: "huy.bq", userID: "u-huy")),
  ]

  /// The report categories of the demo province.
  static let categories = ["MOI-TRUONG", "TRAT-TU-DO-THI", "TRAT-TU-CONG-CONG", "GIAO-THONG", "AN-TOAN-THIEN-TAI"]

  /// The unit with this id, or a unit handled by its leader alone when it is not a demo unit.
  static func unit(_ id: String) -> HandlingUnit {
    self.units.first { $0.unitID == id } ?? HandlingUnit(unitID: id, leader: self.dongLoc.leader, officer: self.dongLoc.officer)
  }
}

/// Call options (credentials and deadline) for every person the run acts as: the platform's
/// API key and one session per demo person, logged in once before the run.
struct Sessions: Sendable {
  let platform: CallOptions
  private let byUsername: [String: CallOptions]

  /// The options of a person who logged in.
  func options(_ person: DemoPeople.Person) -> CallOptions {
    self.byUsername[person.username] ?? self.byUsername[DemoPeople.iocOperator.username]!
  }

  /// The IOC operator's options.
  var ioc: CallOptions { self.options(DemoPeople.iocOperator) }

  /// Logs in `people` (once each) with `password`.
  /// - Throws: ``LoadGenError/setup(_:)`` naming who could not log in.
  static func open(
    client: FieldReportClient, apiKey: String, password: String, people: [DemoPeople.Person], timeout: Duration
  ) async throws(LoadGenError) -> Sessions {
    var platformMetadata = Metadata()
    Credentials.apiKey(apiKey).apply(to: &platformMetadata)
    var byUsername: [String: CallOptions] = [:]
    for person in people where byUsername[person.username] == nil {
      var request = Fieldreport_V1_LoginRequest()
      request.username = person.username
      request.password = password
      request.deviceLabel = "fieldreport-loadgen"
      let token: String
      do {
        token = try await client.identity.login(request, options: CallOptions(timeout: .seconds(30))).sessionToken
      } catch {
        throw .setup("login as \(person.username): \(error.code) \(error.message)")
      }
      var metadata = Metadata()
      Credentials.sessionToken(token).apply(to: &metadata)
      byUsername[person.username] = CallOptions(timeout: timeout, metadata: metadata)
    }
    return Sessions(platform: CallOptions(timeout: timeout, metadata: platformMetadata), byUsername: byUsername)
  }
}
