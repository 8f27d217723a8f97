import FieldReportWorkflow
import Testing

/// The worked examples of the source document, step by step.
@Suite("Source scenarios") struct ScenarioTests {
  @Test("Làm việc gây ồn ào tại 81 Ngô Quyền: returned to the IOC and re-dispatched")
  func noiseReturnedAndRedispatched() throws {
    var history = try CaseHistory.submit(
      title: "Làm việc gây ồn ào tại 81 Ngô Quyền",
      description: "Làm việc tại 81 Ngô Quyền gây ồn ào", category: Demo.environment,
      isPublic: false, at: Demo.at(6, 3, 7, 30))
    #expect(history.current.reportCode.rawValue == "060326001")
    #expect(history.notifications.map(\.recipient) == [Demo.iocOperator])

    try history.act(
      .dispatch(DispatchOrder(unit: Demo.dongLoc, leader: Demo.duong, taskType: .professionalWork,
        start: Demo.at(6, 3, 0), due: Demo.at(17, 3, 0))),
      by: Demo.iocOperator, at: Demo.at(6, 3, 8))
    let reason = "Không đúng chức năng nhiệm vụ. Nhờ IOC chuyển đơn vị quản lý"
    try history.act(.returnToIoc, by: Demo.duong, content: reason, at: Demo.at(6, 3, 15), notify: true)
    #expect(history.current.state == .returnedToIoc)
    #expect(history.current.holder == .unit(Demo.ioc))
    #expect(history.current.previousStep?.content == reason)
    #expect(history.current.tasks.first?.outcome == .returnedToIoc)
    #expect(history.notifications.contains { $0.recipient == Demo.iocOperator && $0.kind == .caseReturnedToIoc })
    #expect(history.notifications.contains { $0.recipient == Demo.platform && $0.viaMobileApp },
      "the notify flag reaches the reporter's app through the platform")

    try history.act(
      .dispatch(DispatchOrder(unit: Demo.tranPhu, due: Demo.at(17, 3, 0))), by: Demo.iocOperator,
      content: "Chuyển UBND Phường Trần Phú", at: Demo.at(6, 3, 16))
    #expect(history.current.state == .atUnit)
    #expect(history.current.currentUnitID == Demo.tranPhu)
    #expect(history.current.unitsPassedThrough == [Demo.dongLoc, Demo.tranPhu])
    #expect(history.current.tasks.count == 2)
    #expect(history.current.tasks.last?.id.rawValue == "case-1/2")
    #expect(history.notifications.last?.recipient == Demo.tranPhuLeader)
    #expect(try CaseReplay.replay(history.journal) == history.current)
  }

  @Test("Gây mất trật tự Công cộng: assigned by Lê Văn Đường to Lê Đại Thắng, letter, approved")
  func publicOrderAssignedProcessedApproved() throws {
    var history = try CaseHistory.submit(at: Demo.at(26, 2, 8))
    try history.act(
      .dispatch(DispatchOrder(unit: Demo.dongLoc, leader: Demo.duong, due: Demo.at(27, 2, 17))),
      by: Demo.iocOperator, at: Demo.at(26, 2, 9))
    try history.act(
      .assign(AssignmentOrder(
        mainHandler: Demo.thang, start: Demo.at(26, 2, 0), due: Demo.at(9, 3, 0))),
      by: Demo.duong, content: "Phân công Thắng xử lý", at: Demo.at(26, 2, 15, 56))
    #expect(history.current.holder == .person(Demo.thang, unit: Demo.dongLoc))
    #expect(history.current.previousStep?.actor == Demo.duong)
    #expect(history.current.previousStep?.content == "Phân công Thắng xử lý")
    #expect(history.notifications.last == Notification(
      recipient: Demo.thang, caseID: "case-1", kind: .assignedAsMainHandler,
      text: "260226001 – Gây mất trật tự Công cộng: Được phân công xử lý chính",
      at: Demo.at(26, 2, 15, 56)))

    let letter = ReplyLetter.render(
      unitName: "UBND Xã Đồng Lộc", body: "Đã kiểm tra thực tế và nhắc nhở các hộ liên quan.")
    #expect(letter.contains("Vấn đề quý Ông/Bà phản ánh, UBND Xã Đồng Lộc xin thông báo kết quả như sau:"))
    try history.act(
      .submitResult(nextHandler: Demo.duong, outputProduct: OutputProduct(kind: .notice, number: "15/TB-UBND")),
      by: Demo.thang, content: letter, at: Demo.at(2, 3, 10), notify: true,
      attachments: [Demo.photo])
    #expect(history.current.state == .awaitingApproval)
    #expect(history.current.holder == .person(Demo.duong, unit: Demo.dongLoc))
    #expect(history.current.result?.content == letter)
    #expect(history.current.result?.attachments == [Demo.photo])
    try history.act(.approve, by: Demo.duong, content: "Đồng ý", at: Demo.at(3, 3, 9))
    #expect(history.current.state == .resolved)
    #expect(history.current.holder == .unit(Demo.ioc))
    let task = try #require(history.current.tasks.last)
    #expect(Deadlines.classify(completedAt: try #require(task.completedAt), due: task.due) == .late,
      "the unit's task was due 27/02")
    #expect(Deadlines.classify(completedAt: Demo.at(3, 3, 9), due: Demo.at(9, 3, 0)) == .early)
    try history.act(.publish(publicly: true), by: Demo.iocOperator, at: Demo.at(3, 3, 10), notify: true)
    #expect(history.current.state == .published)
    #expect(CaseVisibility.isPubliclyListed(history.current))
    #expect(history.notifications.last?.kind == .resultPublished)
    #expect(try CaseReplay.replay(history.journal) == history.current)
  }

  @Test("Buôn bán hàng rong tại 99 Bùi Thị Xuân: returned to Đinh Trường Toàn, reworked, approved")
  func streetVendingReworked() throws {
    var history = try CaseHistory.submit(
      title: "Buôn bán hàng rong", description: "Buôn bán hàng rong tại 99 Bùi Thị Xuân, Tp Huế",
      category: Demo.urbanOrder, isPublic: false, at: Demo.at(2, 3, 10), sequence: 9)
    #expect(history.current.reportCode.rawValue == "020326009")
    try history.act(.dispatch(DispatchOrder(unit: Demo.khcn, taskType: .professionalWork,
      start: Demo.at(5, 3, 0), due: Demo.at(16, 3, 23, 59))), by: Demo.iocOperator, at: Demo.at(2, 3, 11))
    try history.act(.assign(AssignmentOrder(mainHandler: Demo.toan, doNotPublish: true)),
      by: Demo.khcnLeader, at: Demo.at(3, 3, 9))
    #expect(history.current.assignment?.due == Demo.at(16, 3, 23, 59), "defaults to the task's due")
    let first = ReplyLetter.render(unitName: "Sở Khoa học và Công nghệ", body: "...Nội dung xử lý.....")
    try history.act(.submitResult(nextHandler: nil, outputProduct: nil), by: Demo.toan,
      content: first, at: Demo.at(5, 3, 13, 23))
    #expect(history.current.holder == .unit(Demo.khcn))
    try history.act(.returnToOfficer(), by: Demo.khcnLeader,
      content: "Nội dung chưa hoàn chỉnh, Yêu cầu bổ sung thực hiện rõ.", at: Demo.at(5, 3, 14), notify: true)
    #expect(history.current.state == .inProgress)
    #expect(history.current.holder == .person(Demo.toan, unit: Demo.khcn))
    #expect(history.notifications.contains { $0.recipient == Demo.toan && $0.kind == .reworkRequested })
    let second = ReplyLetter.render(unitName: "Sở Khoa học và Công nghệ",
      body: "Đã phối hợp lực lượng chức năng xử lý, lập biên bản nhắc nhở.")
    try history.act(.submitResult(nextHandler: Demo.khcnLeader, outputProduct: nil), by: Demo.toan,
      content: second, at: Demo.at(6, 3, 9))
    try history.act(.approve, by: Demo.khcnLeader, at: Demo.at(6, 3, 10))
    #expect(history.current.state == .resolved)
    #expect(history.current.result?.content == second)
    #expect(history.refusal(.publish(publicly: true), by: Demo.iocOperator, at: Demo.at(6, 3, 11)) == .publicationNotAllowed)
    try history.act(.publish(publicly: false), by: Demo.iocOperator, at: Demo.at(6, 3, 11))
    #expect(!CaseVisibility.isPubliclyListed(history.current))
    #expect(history.journal.map(\.action) == [
      .submit, .dispatch, .assign, .submitResult, .returnToOfficer, .submitResult, .approve, .publish,
    ])
    #expect(try CaseReplay.replay(history.journal) == history.current)
  }

  @Test("An toàn mùa mưa bão: transferred for monitoring to a group and acknowledged")
  func stormSeasonMonitoring() throws {
    var history = try CaseHistory.submit(
      title: "An toàn mùa mưa bão", category: Demo.environment, at: Demo.at(4, 3, 10))
    try history.act(.dispatch(DispatchOrder(unit: Demo.khcn)), by: Demo.iocOperator, at: Demo.at(4, 3, 11))
    try history.act(.transferForMonitoring(recipients: [Demo.toan], group: "nhom-mua-bao"),
      by: Demo.khcnLeader, content: "Trao đổi nội bộ", at: Demo.at(5, 3, 11, 17))
    #expect(history.current.state == .monitoring)
    #expect(history.current.monitoring?.recipients == [Demo.toan], "group members added without the transferring leader, deduplicated")
    #expect(history.current.monitoring?.recipients.count == 1)
    try history.act(.acknowledgeMonitoring, by: Demo.toan, at: Demo.at(5, 3, 14))
    #expect(history.current.state == .closed)
    #expect(history.current.monitoring?.acknowledgements.map(\.userID) == [Demo.toan])
    #expect(try CaseReplay.replay(history.journal) == history.current)
  }

  @Test("Role registration: one approved by the unit admin, one rejected")
  func roleRegistrations() throws {
    let newcomer = User(id: "nguyen-van-moi", fullName: "Nguyễn Văn Mới", kind: .staff)
    let requester = Actor(user: newcomer, grants: [])
    let unit = Demo.units[1]
    let pending = try RoleRegistration.request(
      id: "g1", requester: requester, unit: unit, role: .officer, position: "Công chức",
      existing: [], now: Demo.at(1, 3)).get()
    #expect(pending.status == .pending)
    #expect(!Actor(user: newcomer, grants: [pending]).has(.officer, at: Demo.dongLoc))
    let approved = try RoleRegistration.decide(
      pending, approve: true, by: Demo.actor(Demo.dongLocAdmin), now: Demo.at(1, 3, 10)).get()
    #expect(approved.status == .approved)
    #expect(approved.decidedBy == Demo.dongLocAdmin)
    #expect(Actor(user: newcomer, grants: [approved]).has(.officer, at: Demo.dongLoc))

    let second = try RoleRegistration.request(
      id: "g2", requester: requester, unit: unit, role: .leader, position: "Chủ tịch",
      existing: [approved], now: Demo.at(1, 3)).get()
    let rejected = try RoleRegistration.decide(
      second, approve: false, note: "Không đúng chức vụ", by: Demo.actor(Demo.dongLocAdmin),
      now: Demo.at(1, 3, 11)).get()
    #expect(rejected.status == .rejected)
    #expect(rejected.decisionNote == "Không đúng chức vụ")
    #expect(!Actor(user: newcomer, grants: [approved, rejected]).has(.leader, at: Demo.dongLoc))
  }
}
