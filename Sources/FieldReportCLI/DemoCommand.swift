import ArgumentParser
import FieldReportClient
import FieldReportServices

/// `fieldreport demo`: drives the whole source process against a server started with
/// `fieldreport-server --demo`, logging in as each person of the demo province and printing
/// every step (who, action, new state).
struct DemoCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "demo",
    abstract: "Drive the whole source process against a server started with 'fieldreport-server --demo'.",
    discussion: """
      Runs the four worked examples of the source and a role registration: (1) "Làm việc gây ồn ào tại 81 Ngô Quyền" returned to the IOC by UBND Xã Đồng Lộc and re-dispatched to UBND Phường Trần Phú; (2) "Gây mất trật tự Công cộng" assigned by Lê Văn Đường to Lê Đại Thắng, processed with the reply-letter template, approved and published; (3) "Buôn bán hàng rong tại 99 Bùi Thị Xuân" returned to Đinh Trường Toàn for rework, resubmitted and approved; (4) "An toàn mùa mưa bão" transferred for monitoring and acknowledged; (5) Võ Thị Mai registers as an officer of UBND Xã Đồng Lộc and its unit admin approves.

      Every demo person logs in with the demo password (--password, or $FIELDREPORT_DEMO_PASSWORD: the one the server was started with, or printed at its start-up). Reports are submitted by the platform with its API key (--platform-api-key or $FIELDREPORT_PLATFORM_API_KEY, printed once by the server when it creates the demo province); without it, the IOC operator submits them as reports taken by phone. Each run creates new cases; it can be repeated.
      """)

  @OptionGroup var global: GlobalOptions
  @Option(help: "The demo people's password (default: $FIELDREPORT_DEMO_PASSWORD).") var password: String?
  @Option(name: .customLong("platform-api-key"), help: "The platform's API key (default: $FIELDREPORT_PLATFORM_API_KEY).") var platformAPIKey: String?

  mutating func run() async throws {
    let password = self.password
    let platformKey = self.platformAPIKey
    try await CLISession.run(self.global) { session in
      guard let password = password ?? session.environment["FIELDREPORT_DEMO_PASSWORD"].flatMap({ $0.isEmpty ? nil : $0 }) else {
        throw CLIError.usage("give the demo password with --password or $FIELDREPORT_DEMO_PASSWORD")
      }
      let key = platformKey ?? session.environment["FIELDREPORT_PLATFORM_API_KEY"].flatMap { $0.isEmpty ? nil : $0 }
      let demo = DemoRun(session: session, password: password, platformAPIKey: key)
      do {
        try await demo.runAll()
      } catch {
        await demo.close()
        throw error
      }
      await demo.close()
    }
  }
}

/// One run of the demo: a logged-in client per person, the step counter, the printing.
final class DemoRun: @unchecked Sendable {
  // Used from the single task running the demo only; never shared.
  private let session: CLISession
  private let password: String
  private let platformAPIKey: String?
  private var clients: [String: FieldReportClient] = [:]
  private var step = 0
  /// The report codes and final states, for the summary (and tests).
  private(set) var outcomes: [(String, String, Fieldreport_V1_CaseState)] = []

  init(session: CLISession, password: String, platformAPIKey: String?) {
    self.session = session
    self.password = password
    self.platformAPIKey = platformAPIKey
  }

  func close() async {
    for client in self.clients.values { await client.close() }
    self.clients = [:]
  }

  // MARK: The scenario

  func runAll() async throws {
    let submitter = self.platformAPIKey == nil ? DemoProvince.quan : DemoProvince.platform
    self.say("Server \(self.session.server); reports submitted by \(submitter.fullName)\(self.platformAPIKey == nil ? " (no platform API key given)" : "").")
    try await self.exampleReturnedAndRedispatched()
    try await self.examplePublicOrder()
    try await self.exampleReworked()
    try await self.exampleMonitoring()
    try await self.roleRegistration()
    self.say("")
    self.say("Done: \(self.step) steps.")
    var table = Table(["Code", "Title", "Final state"])
    for (code, title, state) in self.outcomes { table.append([code, title, state.shortName]) }
    self.say(table.render())
    if self.session.json {
      struct Outcome: Encodable { let reportCode: String; let title: String; let state: Fieldreport_V1_CaseState }
      try self.session.printJSON(self.outcomes.map { Outcome(reportCode: $0.0, title: $0.1, state: $0.2) })
    }
  }

  /// (1) Returned to the IOC by the commune and re-dispatched to the ward.
  private func exampleReturnedAndRedispatched() async throws {
    self.heading("1. Làm việc gây ồn ào tại 81 Ngô Quyền: returned to the IOC, re-dispatched")
    var summary = try await self.submit(
      title: "Làm việc gây ồn ào tại 81 Ngô Quyền", category: "TRAT-TU-CONG-CONG",
      content: "Cơ sở tại 81 Ngô Quyền làm việc gây ồn ào sau 22 giờ, ảnh hưởng khu dân cư.",
      address: "81 Ngô Quyền, Phường Trần Phú, TP Hà Tĩnh")
    summary = try await self.dispatch(summary, to: DemoProvince.dongLoc.rawValue, content: "Đề nghị UBND Xã Đồng Lộc xử lý.")
    summary = try await self.act(DemoProvince.duong, "return to IOC", summary) { client, common in
      var request = Fieldreport_V1_ReturnToIocRequest()
      request.common = common
      request.common?.content = "Không đúng chức năng nhiệm vụ. Nhờ IOC chuyển đơn vị quản lý"
      let response = try await client.assignments.returnToIoc(request)
      return (response.caseSummary, response.journalEntry)
    }
    summary = try await self.dispatch(summary, to: DemoProvince.tranPhu.rawValue, content: "Chuyển UBND Phường Trần Phú xử lý theo thẩm quyền.")
    self.record(summary)
  }

  /// (2) Assigned, processed with the reply-letter template, approved, published.
  private func examplePublicOrder() async throws {
    self.heading("2. Gây mất trật tự Công cộng: assigned, processed, approved, published")
    var summary = try await self.submit(
      title: "Gây mất trật tự Công cộng", category: "TRAT-TU-CONG-CONG",
      content: "Nhóm thanh niên tụ tập gây mất trật tự công cộng tại khu vực chợ Đồng Lộc.",
      address: "Chợ Đồng Lộc, Xã Đồng Lộc", allowsPublic: true)
    summary = try await self.dispatch(summary, to: DemoProvince.dongLoc.rawValue, content: "Đề nghị UBND Xã Đồng Lộc xử lý.")
    summary = try await self.assign(summary, by: DemoProvince.duong, to: DemoProvince.thang, content: "Phân công Thắng xử lý")
    summary = try await self.submitResult(
      summary, by: DemoProvince.thang, next: DemoProvince.duong,
      body: "Ngày 07/03/2026, UBND xã đã phối hợp Công an xã kiểm tra hiện trường, nhắc nhở và giải tán nhóm thanh niên; "
        + "đã bố trí lực lượng tuần tra vào buổi tối.")
    summary = try await self.approve(summary, by: DemoProvince.duong)
    summary = try await self.act(DemoProvince.quan, "publish the result", summary) { client, common in
      var request = Fieldreport_V1_PublishResultRequest()
      request.common = common
      request.common?.content = "Đăng tải kết quả xử lý."
      request.common?.notifyMobileApp = true
      request.scope = summary.isPublic ? .everyone : .reporterOnly
      let response = try await client.cases.publishResult(request)
      return (response.caseSummary, response.journalEntry)
    }
    self.record(summary)
  }

  /// (3) Returned to the officer for rework, resubmitted, approved.
  private func exampleReworked() async throws {
    self.heading("3. Buôn bán hàng rong tại 99 Bùi Thị Xuân: returned to the officer, reworked, approved")
    var summary = try await self.submit(
      title: "Buôn bán hàng rong tại 99 Bùi Thị Xuân", category: "TRAT-TU-DO-THI",
      content: "Buôn bán hàng rong lấn chiếm vỉa hè trước số nhà 99 Bùi Thị Xuân.",
      address: "99 Bùi Thị Xuân, TP Hà Tĩnh")
    summary = try await self.dispatch(summary, to: DemoProvince.scienceDepartment.rawValue, content: "Đề nghị Sở xử lý.")
    summary = try await self.assign(summary, by: DemoProvince.ha, to: DemoProvince.toan, content: "Phân công Toàn xử lý")
    summary = try await self.submitResult(
      summary, by: DemoProvince.toan, next: DemoProvince.ha, body: "Đã kiểm tra, nhắc nhở các hộ buôn bán.")
    summary = try await self.act(DemoProvince.ha, "return to the officer", summary) { client, common in
      var request = Fieldreport_V1_ReturnToOfficerRequest()
      request.common = common
      request.common?.content = "Nội dung chưa hoàn chỉnh, yêu cầu bổ sung thực hiện rõ"
      let response = try await client.assignments.returnToOfficer(request)
      return (response.caseSummary, response.journalEntry)
    }
    summary = try await self.submitResult(
      summary, by: DemoProvince.toan, next: DemoProvince.ha,
      body: "Ngày 08/03/2026, đoàn kiểm tra đã lập biên bản 03 hộ buôn bán lấn chiếm vỉa hè tại 99 Bùi Thị Xuân, "
        + "yêu cầu cam kết không tái phạm; vỉa hè đã được giải tỏa (ảnh hiện trường kèm theo).")
    summary = try await self.approve(summary, by: DemoProvince.ha)
    self.record(summary)
  }

  /// (4) Transferred for monitoring to a transfer group; every recipient acknowledges.
  private func exampleMonitoring() async throws {
    self.heading("4. An toàn mùa mưa bão: transferred for monitoring, acknowledged")
    var summary = try await self.submit(
      title: "An toàn mùa mưa bão", category: "AN-TOAN-THIEN-TAI",
      content: "Đề nghị chính quyền nhắc nhở người dân chằng chống nhà cửa trước mùa mưa bão.",
      address: "TP Hà Tĩnh")
    summary = try await self.dispatch(summary, to: DemoProvince.scienceDepartment.rawValue, content: "Chuyển Sở theo dõi.")
    summary = try await self.act(DemoProvince.ha, "transfer for monitoring (group 'Nhóm chuyển')", summary) { client, common in
      var request = Fieldreport_V1_TransferForMonitoringRequest()
      request.common = common
      request.common?.content = "Trao đổi nội bộ"
      request.groupIds = [DemoProvince.groups[0].id.rawValue]
      let response = try await client.assignments.transferForMonitoring(request)
      return (response.caseSummary, response.journalEntry)
    }
    // Everyone still to acknowledge does so; the last acknowledgement closes the case.
    while summary.state == .monitoring, let next = summary.currentHandler?.pendingRecipients.first {
      guard let person = DemoProvince.people.first(where: { $0.id.rawValue == next.userId }) else {
        throw CLIError.unexpected("recipient \(next.fullName) is not a demo person")
      }
      summary = try await self.act(person, "acknowledge", summary) { client, common in
        var request = Fieldreport_V1_AcknowledgeMonitoringRequest()
        request.common = common
        request.common?.content = "Đã nhận thông tin."
        let response = try await client.assignments.acknowledgeMonitoring(request)
        return (response.caseSummary, response.journalEntry)
      }
    }
    self.record(summary)
  }

  /// (5) Role registration: a request, pending until the unit admin approves it.
  private func roleRegistration() async throws {
    self.heading("5. Role registration: Võ Thị Mai registers as an officer of UBND Xã Đồng Lộc")
    let mai = try await self.client(for: DemoProvince.mai)
    var mine = Fieldreport_V1_ListUserRolesRequest()
    mine.includeInactive = true
    let existing = try await mai.identity.listUserRoles(mine).grants.first {
      $0.unit?.unitId == DemoProvince.dongLoc.rawValue && $0.roleKind == .officer
        && ($0.status == .approved || $0.status == .pending)
    }
    var grant: Fieldreport_V1_RoleGrant
    if let existing {
      grant = existing
      self.line(DemoProvince.mai, "register (Đăng ký vai trò)", "already \(existing.status.shortName) from an earlier run")
    } else {
      var request = Fieldreport_V1_RequestRoleRequest()
      request.unitId = DemoProvince.dongLoc.rawValue
      request.subjectKind = .civilServant
      request.roleKind = .officer
      request.positionTitle = "Công chức"
      request.requestNote = "Đăng ký vai trò cán bộ xử lý"
      request.idempotencyKey = UUIDText.random()
      grant = try await mai.identity.requestRole(request).grant ?? Fieldreport_V1_RoleGrant()
      self.line(DemoProvince.mai, "register as officer (CCVC, Công chức)", "role request \(grant.status.shortName)")
    }
    if grant.status == .pending {
      let admin = try await self.client(for: DemoProvince.lan)
      var decide = Fieldreport_V1_DecideRoleRequestRequest()
      decide.grantId = grant.grantId
      decide.decision = .approve
      decide.decisionNote = "Đồng ý"
      grant = try await admin.identity.decideRoleRequest(decide).grant ?? grant
      self.line(DemoProvince.lan, "approve the role request", "role \(grant.status.shortName)")
    }
    guard grant.status == .approved else {
      throw CLIError.unexpected("the role request ended \(grant.status.shortName), not approved")
    }
  }

  // MARK: Steps

  private func submit(
    title: String, category: String, content: String, address: String, allowsPublic: Bool = false
  ) async throws -> Fieldreport_V1_CaseSummary {
    let submitter = self.platformAPIKey == nil ? DemoProvince.quan : DemoProvince.platform
    let client = try await self.client(for: submitter)
    var request = Fieldreport_V1_SubmitReportRequest()
    request.idempotencyKey = UUIDText.random()
    request.title = title
    request.content = content
    request.categoryId = category
    request.eventAddress = address
    request.reporterAllowsPublic = allowsPublic
    var reporter = Fieldreport_V1_ReporterInfo()
    reporter.fullName = DemoProvince.citizen.fullName
    reporter.phone = "0912345678"
    reporter.citizenUserId = DemoProvince.citizen.id.rawValue
    request.reporter = reporter
    request.platformReference = "demo-" + request.idempotencyKey.prefix(8)
    let response = try await client.cases.submitReport(request)
    let summary = try self.require(response.caseSummary)
    self.line(submitter, "submit \"\(title)\"", Render.summaryLine(summary))
    return summary
  }

  private func dispatch(_ summary: Fieldreport_V1_CaseSummary, to unit: String, content: String) async throws -> Fieldreport_V1_CaseSummary {
    try await self.act(DemoProvince.quan, "dispatch (Điều phối)", summary) { client, common in
      var request = Fieldreport_V1_DispatchCaseRequest()
      request.common = common
      request.common?.content = content
      request.targetUnitId = unit
      let response = try await client.cases.dispatchCase(request)
      return (response.caseSummary, response.journalEntry)
    }
  }

  private func assign(
    _ summary: Fieldreport_V1_CaseSummary, by leader: DemoProvince.Person, to officer: DemoProvince.Person, content: String
  ) async throws -> Fieldreport_V1_CaseSummary {
    try await self.act(leader, "assign (Phân công) to \(officer.fullName)", summary) { client, common in
      var request = Fieldreport_V1_AssignRequest()
      request.common = common
      request.common?.content = content
      var input = Fieldreport_V1_AssignmentInput()
      input.mainHandlerUserId = officer.id.rawValue
      input.dueAtMs = LocalTime.nowMs() + 3 * 86_400_000
      input.outputProductKind = .officialLetter
      request.assignment = input
      let response = try await client.assignments.assign(request)
      return (response.caseSummary, response.journalEntry)
    }
  }

  private func submitResult(
    _ summary: Fieldreport_V1_CaseSummary, by officer: DemoProvince.Person, next leader: DemoProvince.Person, body: String
  ) async throws -> Fieldreport_V1_CaseSummary {
    // The reply letter comes from the unit's template (source §3), as the main handler sees it.
    let client = try await self.client(for: officer)
    var get = Fieldreport_V1_GetCaseRequest()
    get.key = .caseId(summary.caseId)
    let template = try await client.cases.getCase(get).caseDetail?.replyTemplate ?? ""
    let letter = ReplyLetter.fill(template: template, body: body)
    return try await self.act(officer, "process and submit the reply letter to \(leader.fullName)", summary) { client, common in
      var request = Fieldreport_V1_SubmitResultRequest()
      request.common = common
      request.common?.content = letter
      request.nextHandlerUserId = leader.id.rawValue
      request.outputProductKind = .officialLetter
      let response = try await client.assignments.submitResult(request)
      return (response.caseSummary, response.journalEntry)
    }
  }

  private func approve(_ summary: Fieldreport_V1_CaseSummary, by leader: DemoProvince.Person) async throws -> Fieldreport_V1_CaseSummary {
    try await self.act(leader, "approve (Phê duyệt)", summary) { client, common in
      var request = Fieldreport_V1_ApproveRequest()
      request.common = common
      request.common?.content = "Đồng ý kết quả xử lý."
      let response = try await client.assignments.approve(request)
      return (response.caseSummary, response.journalEntry)
    }
  }

  /// Runs one action on a case as `person` with a fresh `ActionCommon` (case, current version,
  /// new idempotency key) and prints the step.
  private func act(
    _ person: DemoProvince.Person, _ what: String, _ summary: Fieldreport_V1_CaseSummary,
    _ body: (FieldReportClient, Fieldreport_V1_ActionCommon) async throws -> (Fieldreport_V1_CaseSummary?, Fieldreport_V1_JournalEntry?)
  ) async throws -> Fieldreport_V1_CaseSummary {
    let client = try await self.client(for: person)
    var common = Fieldreport_V1_ActionCommon()
    common.caseId = summary.caseId
    common.expectedVersion = summary.version
    common.idempotencyKey = UUIDText.random()
    let (updated, _) = try await body(client, common)
    let next = try self.require(updated)
    self.line(person, what, Render.summaryLine(next))
    return next
  }

  // MARK: Plumbing

  private func client(for person: DemoProvince.Person) async throws -> FieldReportClient {
    if let client = self.clients[person.username] { return client }
    let client: FieldReportClient
    if person.kind == .serviceAccount {
      guard let key = self.platformAPIKey else { throw CLIError.usage("no platform API key") }
      client = FieldReportClient(server: self.session.server, credentials: .apiKey(key), metadata: self.session.client.defaultMetadata)
    } else {
      client = FieldReportClient(server: self.session.server, metadata: self.session.client.defaultMetadata)
      do {
        try await client.login(username: person.username, password: self.password, deviceLabel: "fieldreport demo")
      } catch {
        await client.close()
        if error.code == .unauthenticated {
          throw CLIError.usage("\(person.fullName) (\(person.username)) cannot log in: is the demo password right? (\(error.message))")
        }
        throw error
      }
    }
    self.clients[person.username] = client
    return client
  }

  private func require(_ summary: Fieldreport_V1_CaseSummary?) throws(CLIError) -> Fieldreport_V1_CaseSummary {
    guard let summary else { throw .unexpected("the answer carries no case summary") }
    return summary
  }

  private func record(_ summary: Fieldreport_V1_CaseSummary) {
    self.outcomes.append((summary.reportCode, summary.title, summary.state))
  }

  private func heading(_ text: String) {
    self.say("")
    self.say(text)
  }

  private func line(_ person: DemoProvince.Person, _ action: String, _ result: String) {
    self.step += 1
    let unit = person.roles.first.flatMap { role in DemoProvince.units.first { $0.id == role.unit }?.name }
    let who = unit.map { "\(person.fullName) (\($0))" } ?? person.fullName
    self.say("  \(self.step). \(who): \(action)\n     → \(result)")
  }

  private func say(_ text: String) {
    if !self.session.json { self.session.print(text) }
  }
}
