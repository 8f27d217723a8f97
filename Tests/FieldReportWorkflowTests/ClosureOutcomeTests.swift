import FieldReportWorkflow
import Testing

/// Issue 14, item 3: every ended case has one honest outcome, and the citizen's wording matches.
@Suite("Closure outcomes") struct ClosureOutcomeTests {
  /// A case dispatched to Đồng Lộc, assigned to Thắng.
  static func assigned() throws -> CaseHistory {
    var history = try CaseHistory.submit(at: Demo.at(26, 2, 8))
    try history.act(
      .dispatch(DispatchOrder(unit: Demo.dongLoc, leader: Demo.duong, due: Demo.at(9, 3, 0))),
      by: Demo.iocOperator, at: Demo.at(26, 2, 9))
    try history.act(.assign(AssignmentOrder(mainHandler: Demo.thang)), by: Demo.duong, at: Demo.at(26, 2, 10))
    return history
  }

  @Test("open cases have no outcome; a published result that solves the problem is resolved")
  func resolved() throws {
    var history = try Self.assigned()
    #expect(history.current.outcome == nil)
    #expect(ClosureWording.citizenText(for: history.current) == nil)
    try history.act(.submitResult(nextHandler: nil, outputProduct: nil), by: Demo.thang, content: "Đã dọn", at: Demo.at(27, 2, 9))
    try history.act(.approve, by: Demo.duong, at: Demo.at(27, 2, 10))
    #expect(history.current.outcome == nil, "approved but not yet published")
    try history.act(.publish(publicly: true), by: Demo.iocOperator, at: Demo.at(27, 2, 11), notify: true)
    #expect(history.current.outcome == .resolved)
    #expect(history.current.outcomeReason == nil)
    #expect(history.current.outcomeUnitID == Demo.dongLoc)
    #expect(history.current.endedAt == Demo.at(27, 2, 11))
    #expect(history.current.publication?.text == "Đã dọn")
    let told = try #require(history.notifications.last { $0.viaMobileApp })
    #expect(told.text.hasSuffix(try #require(ClosureWording.citizenText(for: history.current))))
    #expect(try CaseReplay.replay(history.journal) == history.current)
  }

  @Test("a result that cannot be resolved is approved and published as such, never as fixed")
  func cannotBeResolved() throws {
    var history = try Self.assigned()
    let reason = "Công trình thuộc dự án của tỉnh, vượt thẩm quyền của xã"
    #expect(
      history.refusal(
        .submitResult(nextHandler: nil, outputProduct: nil, cannotBeResolved: "  "), by: Demo.thang,
        content: "Thư", at: Demo.at(27, 2, 9)) == .invalidField(name: "cannotBeResolved", reason: "is required"))
    try history.act(
      .submitResult(nextHandler: nil, outputProduct: nil, cannotBeResolved: reason), by: Demo.thang,
      content: "Kính gửi: Quý Ông/Bà. …", at: Demo.at(27, 2, 9))
    #expect(history.current.result?.cannotBeResolvedReason == reason)
    try history.act(.approve, by: Demo.duong, at: Demo.at(27, 2, 10))
    #expect(history.current.result?.cannotBeResolvedReason == reason, "the approval carries it")
    try history.act(.publish(publicly: false), by: Demo.iocOperator, at: Demo.at(27, 2, 11), notify: true)
    #expect(history.current.outcome == .cannotBeResolved)
    #expect(history.current.outcomeReason == reason)
    let published = try #require(history.current.publication?.text)
    #expect(published.hasPrefix("Phản ánh chưa thể giải quyết được. Lý do: \(reason)"))
    #expect(published.hasSuffix("Kính gửi: Quý Ông/Bà. …"))
    let told = try #require(history.notifications.last { $0.viaMobileApp }).text
    #expect(told.contains("chưa thể giải quyết"))
    #expect(!told.contains("đã được xử lý"))
    #expect(try CaseReplay.replay(history.journal) == history.current)
  }

  @Test("out of scope routes the report onward to a named agency; never a dead end")
  func routedOnward() throws {
    var history = try CaseHistory.submit(at: Demo.at(26, 2, 8))
    #expect(
      history.refusal(.reject(.outOfScope), by: Demo.iocOperator, at: Demo.at(26, 2, 9))
        == .invalidField(name: "routedTo", reason: "name the agency outside the system that receives the report"))
    #expect(
      history.refusal(.reject(.spam, routedTo: "Công an tỉnh"), by: Demo.iocOperator, at: Demo.at(26, 2, 9))
        == .invalidField(name: "routedTo", reason: "only for a report out of scope"))
    try history.act(
      .reject(.outOfScope, routedTo: "Công an tỉnh Hà Tĩnh"), by: Demo.iocOperator,
      content: "Vụ việc hình sự", at: Demo.at(26, 2, 9), notify: true)
    #expect(history.current.state == .closed)
    #expect(history.current.outcome == .routedOnward)
    #expect(history.current.outcomeReason == "Công an tỉnh Hà Tĩnh")
    #expect(history.current.outcomeUnitID == Demo.ioc, "never dispatched: counted for the IOC")
    let told = try #require(history.notifications.last { $0.viaMobileApp }).text
    #expect(told.contains("đã được chuyển đến Công an tỉnh Hà Tĩnh"), "the citizen is told where it went")
    #expect(try CaseReplay.replay(history.journal) == history.current)
  }

  @Test("spam and insufficient information are not valid; a duplicate names its original", arguments: [
    (RejectionReason.spam, CaseOutcome.notValid, "spam" as String?),
    (.insufficientInformation, .notValid, "insufficient_information"),
    (.duplicate, .duplicate, nil),
  ])
  func rejections(reason: RejectionReason, outcome: CaseOutcome, outcomeReason: String?) throws {
    var history = try CaseHistory.submit(at: Demo.at(26, 2, 8))
    try history.act(
      .reject(reason, duplicateOf: reason == .duplicate ? "case-0" : nil), by: Demo.iocOperator,
      content: "Lý do", at: Demo.at(26, 2, 9), notify: true)
    #expect(history.current.outcome == outcome)
    #expect(history.current.outcomeReason == outcomeReason)
    let told = try #require(history.notifications.last { $0.viaMobileApp }).text
    #expect(told.hasSuffix(try #require(ClosureWording.citizenText(for: history.current))))
    #expect(!told.contains("đã được xử lý"))
  }

  @Test("monitoring closed is information only, not a resolved problem")
  func monitored() throws {
    var history = try CaseHistory.submit(at: Demo.at(6, 3, 7))
    try history.act(.dispatch(DispatchOrder(unit: Demo.dongLoc, leader: Demo.duong, due: Demo.at(17, 3, 0))),
      by: Demo.iocOperator, at: Demo.at(6, 3, 8))
    try history.act(.transferForMonitoring(recipients: [Demo.thang], group: nil),
      by: Demo.duong, content: "An toàn mùa mưa bão", at: Demo.at(6, 3, 9))
    #expect(history.current.outcome == nil)
    try history.act(.closeMonitoring, by: Demo.duong, at: Demo.at(6, 3, 10))
    #expect(history.current.outcome == .monitored)
    #expect(history.current.outcomeUnitID == Demo.dongLoc)
  }
}

/// Issue 14, item 1: the reporter's verdict, and the re-report "not resolved" opens.
@Suite("Verdicts") struct VerdictWorkflowTests {
  static func published() throws -> CaseHistory {
    var history = try ClosureOutcomeTests.assigned()
    try history.act(.submitResult(nextHandler: nil, outputProduct: nil), by: Demo.thang, content: "Đã dọn", at: Demo.at(27, 2, 9))
    try history.act(.approve, by: Demo.duong, at: Demo.at(27, 2, 10))
    try history.act(.publish(publicly: true), by: Demo.iocOperator, at: Demo.at(27, 2, 11))
    return history
  }

  @Test("only on a published case, only by the submitting platform or the reporter, rating 1 to 5")
  func rules() throws {
    let open = try ClosureOutcomeTests.assigned().current
    let now = Demo.at(28, 2, 9)
    func refusal(_ c: Case, by user: UserID, rating: Int = 4) -> WorkflowRefusal? {
      if case .failure(let refusal) = CaseWorkflow.checkVerdict(
        c, by: Demo.actor(user), rating: rating, comment: "", notResolved: false, now: now)
      {
        return refusal
      }
      return nil
    }
    #expect(refusal(open, by: Demo.platform) == .verdictNotOpen(current: .inProgress))
    let published = try Self.published().current
    #expect(refusal(published, by: Demo.duong) == .notTheReporter(Demo.duong))
    #expect(refusal(published, by: Demo.platform, rating: 0) == .invalidField(name: "rating", reason: "must be 1 to 5"))
    #expect(refusal(published, by: Demo.platform, rating: 6) == .invalidField(name: "rating", reason: "must be 1 to 5"))
    #expect(WorkflowRefusal.verdictNotOpen(current: .inProgress).category == .failedPrecondition)
    #expect(WorkflowRefusal.notTheReporter(Demo.duong).category == .permissionDenied)
    let verdict = try CaseWorkflow.checkVerdict(
      published, by: Demo.actor(Demo.platform), rating: 5, comment: "Cảm ơn", notResolved: false, now: now
    ).get()
    #expect(verdict.unitID == Demo.dongLoc, "counted for the unit that handled it")
    #expect(verdict.rating == 5)
  }

  @Test("not resolved reopens a linked re-report at the unit that handled it, not at the IOC")
  func reopen() throws {
    let original = try Self.published().current
    let now = Demo.at(28, 2, 9)
    let verdict = try CaseWorkflow.checkVerdict(
      original, by: Demo.actor(Demo.platform), rating: 1, comment: "Rác vẫn còn", notResolved: true, now: now
    ).get()
    let code = try ReportCode.make(dayOf: now, sequence: 1)
    let transition = try CaseWorkflow.reopen(
      original, verdict: verdict, caseID: "case-2", reportCode: code, by: Demo.actor(Demo.platform), now: now,
      directory: Demo.directory
    ).get()
    let reopened = transition.newCase
    #expect(reopened.state == .atUnit)
    #expect(reopened.holder == .unit(Demo.dongLoc))
    #expect(reopened.currentUnitID == Demo.dongLoc)
    #expect(reopened.linkedCaseID == original.id)
    #expect(reopened.title == original.title)
    #expect(reopened.reporter == original.reporter)
    #expect(reopened.currentTask?.unitID == Demo.dongLoc)
    #expect(transition.entry.action == .submit)
    #expect(transition.entry.toState == .atUnit)
    #expect(transition.entry.content.contains("Rác vẫn còn"))
    #expect(transition.notifications.map(\.recipient) == [Demo.duong], "the unit's leaders, not the IOC")
    #expect(try CaseReplay.replay([transition.entry]) == reopened)
    // The unit works it as any case at the unit: its leader assigns it.
    var history = CaseHistory(
      current: reopened, journal: [transition.entry], notifications: [], directory: Demo.directory,
      policy: .standard)
    try history.act(.assign(AssignmentOrder(mainHandler: Demo.thang)), by: Demo.duong, at: Demo.at(28, 2, 10))
    #expect(history.current.state == .inProgress)

    let satisfied = try CaseWorkflow.checkVerdict(
      original, by: Demo.actor(Demo.platform), rating: 5, comment: "", notResolved: false, now: now
    ).get()
    #expect(throws: WorkflowRefusal.self) {
      try CaseWorkflow.reopen(
        original, verdict: satisfied, caseID: "case-3", reportCode: code, by: Demo.actor(Demo.platform),
        now: now, directory: Demo.directory
      ).get()
    }
  }
}

/// Issue 14, item 2: likely duplicates (the pure rules).
@Suite("Duplicate detection") struct DuplicateDetectionTests {
  static func report(
    _ id: CaseID, _ title: String, _ description: String, category: CategoryID = Demo.environment,
    latitude: Double? = 18.3400, longitude: Double? = 105.9000, at: Timestamp = Demo.at(26, 2, 8)
  ) throws -> Case {
    var c = try CaseHistory.submit(
      title: title, description: description, category: category, at: at, caseID: id
    ).current
    c.location = Case.Location(address: "", latitude: latitude, longitude: longitude)
    return c
  }

  @Test("haversine distance and folded token Jaccard (diacritics and đ/d ignored)")
  func measures() {
    // One degree of latitude is about 111.2 km on the mean sphere.
    let degree = DuplicateDetection.haversineMeters(lat1: 18, lon1: 105, lat2: 19, lon2: 105)
    #expect(abs(degree - 111_195) < 10)
    let east = DuplicateDetection.haversineMeters(lat1: 18.34, lon1: 105.90, lat2: 18.34, lon2: 105.901)
    #expect(abs(east - 105.6) < 1, "0.001° of longitude at 18.34° N")
    #expect(DuplicateDetection.tokens("Đường Trần Phú ngập") == ["duong", "tran", "phu", "ngap"])
    #expect(DuplicateDetection.jaccard(
      DuplicateDetection.tokens("Rác thải ùn ứ ở chợ"), DuplicateDetection.tokens("rac thai un u o cho")) == 1)
    #expect(DuplicateDetection.jaccard([], []) == 0)
  }

  @Test("same category, near, within the window, similar: most similar first; others left out")
  func candidates() throws {
    let c = try Self.report("case-1", "Rác thải ùn ứ tại chợ Đồng Lộc", "Rác thải bốc mùi")
    let near = try Self.report("case-2", "Rac thai un u tai cho Dong Loc", "rac thai boc mui", latitude: 18.3405)
    let similarFar = try Self.report("case-3", "Rác thải ùn ứ tại chợ Đồng Lộc", "Rác thải bốc mùi", latitude: 18.40)
    let otherCategory = try Self.report("case-4", "Rác thải ùn ứ tại chợ Đồng Lộc", "Rác thải bốc mùi", category: Demo.urbanOrder)
    let unrelated = try Self.report("case-5", "Cây đổ chắn đường", "Cây đổ sau bão")
    let old = try Self.report("case-6", "Rác thải ùn ứ tại chợ Đồng Lộc", "Rác thải bốc mùi", at: Demo.at(10, 2, 8))
    let partly = try Self.report("case-7", "Rác tại chợ Đồng Lộc", "chưa được thu gom", latitude: 18.3401)
    let noPlace = try Self.report("case-8", "Rác thải ùn ứ tại chợ Đồng Lộc", "Rác thải bốc mùi", latitude: nil, longitude: nil)
    let found = DuplicateDetection.candidates(
      for: c, among: [c, near, similarFar, otherCategory, unrelated, old, partly, noPlace])
    #expect(found.map(\.caseID) == ["case-2", "case-8", "case-7"])
    #expect(found.first?.similarity == 1)
    #expect(found.first.flatMap(\.distanceMeters).map { abs($0 - 55.6) < 1 } == true)
    #expect(found[1].distanceMeters == nil)
  }

  @Test("publishing the original tells every duplicate's reporter, when the notify flag is set")
  func duplicateReportersAreTold() throws {
    var original = try ClosureOutcomeTests.assigned()
    try original.act(.submitResult(nextHandler: nil, outputProduct: nil), by: Demo.thang, content: "Đã dọn", at: Demo.at(27, 2, 9))
    try original.act(.approve, by: Demo.duong, at: Demo.at(27, 2, 10))
    var duplicate = try CaseHistory.submit(at: Demo.at(26, 2, 9), sequence: 2, caseID: "case-2")
    try duplicate.act(.reject(.duplicate, duplicateOf: original.current.id), by: Demo.iocOperator, at: Demo.at(26, 2, 10))
    let unrelated = try CaseHistory.submit(at: Demo.at(26, 2, 9), sequence: 3, caseID: "case-3").current
    for notify in [true, false] {
      let publication = try #require(try? original.decide(
        .publish(publicly: true), by: Demo.iocOperator, at: Demo.at(27, 2, 11), notify: notify
      ).get())
      let told = CaseWorkflow.duplicateNotifications(
        published: publication.newCase, entry: publication.entry, duplicates: [duplicate.current, unrelated])
      if notify {
        #expect(told.map(\.caseID) == ["case-2"])
        #expect(told.first?.recipient == Demo.platform, "the platform relays to the duplicate's reporter")
        #expect(told.first?.viaMobileApp == true)
        #expect(told.first?.text.contains("đã có kết quả xử lý") == true)
      } else {
        #expect(told.isEmpty)
      }
    }
  }
}
