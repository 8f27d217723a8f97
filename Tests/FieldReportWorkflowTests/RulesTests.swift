import Foundation
import FieldReportWorkflow
import Testing

@Suite("Deadlines") struct DeadlineTests {
  @Test func classification() {
    let due = Demo.at(9, 3, 0)
    #expect(Deadlines.classify(completedAt: Demo.at(8, 3, 0), due: due) == .early, "exactly one day before")
    #expect(Deadlines.classify(completedAt: Demo.at(8, 3, 0).adding(milliseconds: 1), due: due) == .onTime)
    #expect(Deadlines.classify(completedAt: due, due: due) == .onTime)
    #expect(Deadlines.classify(completedAt: due.adding(milliseconds: 1), due: due) == .late)
    let strict = WorkflowPolicy(earlyMarginMilliseconds: 3 * Timestamp.millisecondsPerDay)
    #expect(Deadlines.classify(completedAt: Demo.at(7, 3, 0), due: due, policy: strict) == .onTime)
  }

  @Test func overdueIsAFlag() throws {
    #expect(!Deadlines.isOverdue(due: Demo.at(9, 3), now: Demo.at(9, 3)))
    #expect(Deadlines.isOverdue(due: Demo.at(9, 3), now: Demo.at(9, 3).adding(milliseconds: 1)))
    #expect(!Deadlines.isOverdue(due: nil, now: Demo.at(9, 3)))
    let inProgress = try Canonical.history(in: .inProgress).current  // due 09/03 17:00
    #expect(!Deadlines.isOverdue(inProgress, now: Demo.at(9, 3, 17)))
    #expect(Deadlines.isOverdue(inProgress, now: Demo.at(9, 3, 18)))
    let published = try Canonical.history(in: .published).current
    #expect(!Deadlines.isOverdue(published, now: Demo.at(1, 12)))
    #expect(Deadlines.returnDeadline(inProgress) == nil)
  }

  @Test func statisticsPerUnit() {
    func task(_ n: Int, _ unit: UnitID, done: Timestamp?, _ outcome: UnitTask.Outcome?) -> UnitTask {
      UnitTask(
        id: UnitTaskID("t\(n)"), caseID: "c", unitID: unit, taskType: .fieldReport,
        receivedAt: Demo.at(1, 3), start: Demo.at(1, 3), due: Demo.at(10, 3), completedAt: done,
        outcome: outcome)
    }
    let stats = Deadlines.statistics(
      [
        task(1, Demo.dongLoc, done: Demo.at(5, 3), .resolved),
        task(2, Demo.dongLoc, done: Demo.at(9, 3, 12), .resolved),
        task(3, Demo.dongLoc, done: Demo.at(11, 3), .monitoringClosed),
        task(4, Demo.dongLoc, done: Demo.at(2, 3), .returnedToIoc),
        task(5, Demo.dongLoc, done: nil, nil),
        task(6, Demo.khcn, done: nil, nil),
      ], now: Demo.at(10, 3, 12))
    let dongLoc = stats[Demo.dongLoc]
    #expect(dongLoc?.early == 1)
    #expect(dongLoc?.onTime == 1)
    #expect(dongLoc?.late == 1)
    #expect(dongLoc?.openOverdue == 1)
    #expect(dongLoc?.total == 4, "returned tasks are not counted")
    #expect(stats[Demo.khcn]?.openOverdue == 1)
  }
}

@Suite("Reply letter") struct ReplyLetterTests {
  @Test func templateWithTheUnitsName() {
    let unit = Demo.units[1]
    #expect(
      ReplyLetter.render(for: unit) == """
        Kính gửi: Quý Ông/Bà.
        Vấn đề quý Ông/Bà phản ánh, UBND Xã Đồng Lộc xin thông báo kết quả như sau:
        ....Nội dung thực hiện....
        Chân thành cảm ơn quý Ông/Bà.
        Trân trọng.
        """)
    #expect(ReplyLetter.render(unitName: "Sở Khoa học và Công nghệ", body: "Đã xử lý").contains(
      "phản ánh, Sở Khoa học và Công nghệ xin thông báo kết quả như sau:\nĐã xử lý\n"))
  }
}

@Suite("Instants in messages") struct TimestampDescriptionTests {
  /// Messages show local date and time (issue 12 item 7), never Unix milliseconds.
  @Test func localDateAndTime() {
    // 2026-12-01T10:30:00Z is 17:30 in Hà Tĩnh.
    #expect(Timestamp(millisecondsSince1970: 1_796_121_000_000).description == "2026-12-01 17:30 (UTC+7)")
    // 2026-12-01T17:05:59Z is already the next local day.
    #expect(Timestamp(millisecondsSince1970: 1_796_144_759_000).description == "2026-12-02 00:05 (UTC+7)")
    #expect(Timestamp(millisecondsSince1970: -1).description == "1970-01-01 06:59 (UTC+7)")
    #expect(WorkflowRefusal.pastReturnWindow(deadline: Timestamp(millisecondsSince1970: 1_796_121_000_000)).message
      == "the window for returning the case to the IOC closed at 2026-12-01 17:30 (UTC+7)")
  }
}

@Suite("Vietnamese name search") struct FoldingTests {
  @Test func sourceExamples() {
    #expect(VietnameseFolding.matches(query: "thang", name: "Lê Đại Thắng"))
    #expect(VietnameseFolding.matches(query: "duong", name: "Lê Văn Đường"))
    #expect(VietnameseFolding.matches(query: "toan", name: "Đinh Trường Toàn"))
    #expect(VietnameseFolding.matches(query: "le th", name: "Lê Đại Thắng"))
    #expect(VietnameseFolding.matches(query: "ĐƯỜNG", name: "Lê Văn Đường"))
    #expect(VietnameseFolding.matches(query: "Thắng", name: "le dai thang"))
    #expect(!VietnameseFolding.matches(query: "thang", name: "Lê Văn Đường"))
    #expect(!VietnameseFolding.matches(query: "hang", name: "Lê Đại Thắng"), "prefixes of words only")
    #expect(!VietnameseFolding.matches(query: "  ", name: "Lê Đại Thắng"))
  }

  @Test func foldsEveryToneAndBothNormalForms() {
    #expect(VietnameseFolding.fold("Lê Đại Thắng") == "le dai thang")
    #expect(VietnameseFolding.fold("ẮẰẲẴẶ ẤẦẨẪẬ ỨỪỬỮỰ ỚỜỞỠỢ ỆỀẾỂỄ ỲÝỶỸỴ ÌÍỈĨỊ") ==
      "aaaaa aaaaa uuuuu ooooo eeeee yyyyy iiiii")
    // "Thắng" written decomposed: a + breve + acute as combining marks.
    let decomposed = "Tha\u{0306}\u{0301}ng Đ\u{01B0}\u{031B}"
    #expect(VietnameseFolding.fold(decomposed) == "thang du")
    #expect(VietnameseFolding.matches(query: "thang", name: "Le\u{0302} Đa\u{0323}i Tha\u{0306}\u{0301}ng"))
    #expect(VietnameseFolding.tokens("Nguyễn-Văn  Phối, 2026") == ["nguyen", "van", "phoi", "2026"])
  }

  /// `fold` (one pass with a table) gives what its definition, `slowFold` (full lower-casing,
  /// marks dropped, base letters), gives: on every scalar of the tabled blocks alone, and on
  /// random texts mixing ASCII, Vietnamese in both normal forms, other scripts, letters whose
  /// lower case is longer (İ), emoji and control characters.
  @Test func fastFoldEqualsTheDefinition() {
    for range in [0x80..<0x370, 0x1E00..<0x1F00, 0x370..<0x600] {
      for value in range {
        guard let scalar = Unicode.Scalar(UInt32(value)) else { continue }
        let text = "A\(Character(scalar))z"
        #expect(VietnameseFolding.fold(text) == VietnameseFolding.slowFold(text), "U+\(String(value, radix: 16))")
      }
    }
    let pieces = [
      "Lê Đại Thắng", "ĐƯỜNG", "Tha\u{0306}\u{0301}ng", "İstanbul", "ΣΊΣΥΦΟΣ", "Ǆemal", "ß", "ﬁ",
      "Москва", "東京", "🚧", "\u{0007}", " ", "-", "2026", "NGUYỄN THỊ HÀ", "\u{0323}", "x",
    ]
    var generator = SystemRandomNumberGenerator()
    for _ in 0..<2_000 {
      let text = (0..<Int.random(in: 0...8, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }
        .joined()
      #expect(VietnameseFolding.fold(text) == VietnameseFolding.slowFold(text), "\(text)")
    }
  }
}

@Suite("Role registration") struct RoleRegistrationTests {
  let newcomer = Actor(user: User(id: "moi", fullName: "Nguyễn Văn Mới", kind: .staff), grants: [])
  let dongLoc = Demo.units[1]
  let now = Demo.at(1, 3)

  func pending(_ role: RoleGrant.Role = .officer) throws -> RoleGrant {
    try RoleRegistration.request(
      id: "g", requester: newcomer, unit: dongLoc, role: role, position: "", existing: [], now: now
    ).get()
  }

  @Test func requestRules() throws {
    let citizen = Demo.actor(Demo.citizen)
    #expect(
      RoleRegistration.request(id: "g", requester: citizen, unit: dongLoc, role: .officer, position: "", existing: [], now: now)
        == .failure(.wrongAccountKind(Demo.citizen, .citizen)))
    #expect(
      RoleRegistration.request(id: "g", requester: newcomer, unit: dongLoc, role: .systemAdmin, position: "", existing: [], now: now)
        == .failure(.invalidField(name: "role", reason: "system admin cannot be requested")))
    #expect(
      RoleRegistration.request(id: "g", requester: newcomer, unit: dongLoc, role: .iocOperator, position: "", existing: [], now: now)
        .map(\.status) == .failure(.invalidField(name: "role", reason: "IOC operator only at an IOC centre")))
    let existing = try pending()
    #expect(
      RoleRegistration.request(id: "g2", requester: newcomer, unit: dongLoc, role: .officer, position: "", existing: [existing], now: now)
        == .failure(.duplicateRoleRequest(existing: "g")))
    var rejected = existing
    rejected.status = .rejected
    #expect(
      (try? RoleRegistration.request(id: "g2", requester: newcomer, unit: dongLoc, role: .officer, position: "", existing: [rejected], now: now).get()) != nil,
      "a rejected request may be made again")
    let disabled = Demo.actor(Demo.disabled)
    #expect(
      RoleRegistration.request(id: "g", requester: disabled, unit: dongLoc, role: .officer, position: "", existing: [], now: now)
        == .failure(.inactiveAccount(Demo.disabled)))
  }

  @Test func onlyAnAdminOfThatUnitOrASystemAdminDecides() throws {
    let request = try pending()
    #expect(RoleRegistration.decide(request, approve: true, by: Demo.actor(Demo.duong), now: now)
      == .failure(.wrongRole(required: [.unitAdmin, .systemAdmin], unit: Demo.dongLoc)))
    let otherAdmin = Actor(user: Demo.users[7], grants: [Demo.approved(Demo.tranPhuLeader, .unitAdmin, Demo.tranPhu)])
    #expect(RoleRegistration.decide(request, approve: true, by: otherAdmin, now: now)
      == .failure(.wrongUnit(expected: Demo.dongLoc, actual: Demo.tranPhu)))
    #expect((try? RoleRegistration.decide(request, approve: true, by: Demo.actor(Demo.sysAdmin), now: now).get())?.status == .approved)
    var own = request
    own.userID = Demo.dongLocAdmin
    #expect(RoleRegistration.decide(own, approve: true, by: Demo.actor(Demo.dongLocAdmin), now: now)
      == .failure(.selfDecision(Demo.dongLocAdmin)))
  }

  @Test func decisionsAndRevocation() throws {
    let admin = Demo.actor(Demo.dongLocAdmin)
    let approved = try RoleRegistration.decide(try pending(), approve: true, by: admin, now: now).get()
    let again = RoleRegistration.decide(approved, approve: false, by: admin, now: now)
    #expect(again == .failure(.roleNotPending(current: .approved)))
    if case .failure(let refusal) = again { #expect(refusal.category == .failedPrecondition) }
    let revoked = try RoleRegistration.revoke(approved, note: "Chuyển công tác", by: admin, now: Demo.at(2, 3)).get()
    #expect(revoked.status == .revoked)
    #expect(!Actor(user: newcomer.user, grants: [revoked]).has(.officer, at: Demo.dongLoc))
    #expect(RoleRegistration.revoke(revoked, by: admin, now: now) == .failure(.roleNotApproved(current: .revoked)))
    #expect(RoleRegistration.revoke(try pending(), by: admin, now: now) == .failure(.roleNotApproved(current: .pending)))
  }
}

@Suite("Visibility") struct VisibilityTests {
  @Test func reporterIdentityReachesTheIOCOnly() throws {
    let history = try CaseHistory.submit(by: Demo.citizen)
    let c = history.current
    #expect(c.redacted(for: Demo.actor(Demo.iocOperator)).reporter.fullName == "Trần Thị Dân")
    #expect(c.redacted(for: Demo.actor(Demo.citizen)).reporter.fullName == "Trần Thị Dân")
    for viewer in [Demo.duong, Demo.thang, Demo.sysAdmin, Demo.toan] {
      let seen = c.redacted(for: Demo.actor(viewer))
      #expect(seen.reporter == .anonymous, "\(viewer)")
      #expect(seen.submittedBy == CaseVisibility.hiddenUserID, "a citizen's own account is identity too")
    }
    #expect(c.redacted(for: nil).reporter == .anonymous)
    let entry = try #require(history.journal.first)
    let redactedEntry = entry.redacted(for: Demo.actor(Demo.duong), of: c)
    #expect(redactedEntry.actor == CaseVisibility.hiddenUserID)
    guard case .submitted(let submission) = redactedEntry.event else {
      Issue.record("the first entry is the submission")
      return
    }
    #expect(submission.reporter == .anonymous)
    #expect(entry.redacted(for: Demo.actor(Demo.iocOperator), of: c) == entry)
  }

  @Test func unitStaffSeeWhatPassedThroughTheirUnit() throws {
    var history = try Canonical.history(in: .returnedToIoc)  // passed through Đồng Lộc
    try history.act(.dispatch(DispatchOrder(unit: Demo.khcn)), by: Demo.iocOperator, at: Demo.at(26, 2, 12))
    let c = history.current
    #expect(CaseVisibility.canSee(c, viewer: Demo.actor(Demo.duong)), "it passed through Đồng Lộc")
    #expect(CaseVisibility.canSee(c, viewer: Demo.actor(Demo.toan)), "it is held by Sở KHCN")
    #expect(!CaseVisibility.canSee(c, viewer: Demo.actor(Demo.tranPhuLeader)))
    #expect(CaseVisibility.canSee(c, viewer: Demo.actor(Demo.iocOperator)))
    #expect(!CaseVisibility.canSee(c, viewer: Demo.actor(Demo.disabled)))
    #expect(!CaseVisibility.canSee(c, viewer: nil))
  }

  @Test func participantsFromOtherUnitsSeeTheCasesTheyAreOn() throws {
    var history = try Canonical.history(in: .atUnit)
    try history.act(
      .assign(AssignmentOrder(mainHandler: Demo.thang, coordinators: [Demo.toan], followers: [Demo.khcnLeader])),
      by: Demo.duong, at: Demo.at(26, 2, 10))
    #expect(CaseVisibility.canSee(history.current, viewer: Demo.actor(Demo.toan)))
    #expect(CaseVisibility.canSee(history.current, viewer: Demo.actor(Demo.khcnLeader)))
    #expect(!CaseVisibility.canSee(history.current, viewer: Demo.actor(Demo.tranPhuLeader)))
  }

  @Test func citizensSeeTheirOwnAndPublishedPublicCases() throws {
    let mine = try CaseHistory.submit(by: Demo.citizen).current
    let other = try CaseHistory.submit().current
    let citizen = Demo.actor(Demo.citizen)
    #expect(CaseVisibility.canSee(mine, viewer: citizen))
    #expect(!CaseVisibility.canSee(other, viewer: citizen))
    let published = try Canonical.history(in: .published).current
    #expect(CaseVisibility.isPubliclyListed(published))
    #expect(CaseVisibility.canSee(published, viewer: citizen))
    #expect(CaseVisibility.canSee(published, viewer: nil))
    let publicView = published.redacted(for: nil)
    #expect(publicView.assignment == nil && publicView.tasks.isEmpty && publicView.contributions.isEmpty)
    #expect(publicView.result != nil, "a published result is the point")
    #expect(publicView.holder == .nobody)
  }

  @Test func nonPublicCasesNeverAppearPublicly() throws {
    var history = try Canonical.history(in: .resolved)
    history.current.isPublic = false
    try history.act(.publish(publicly: false), by: Demo.iocOperator, at: Demo.at(27, 2))
    #expect(!CaseVisibility.isPubliclyListed(history.current))
    #expect(!CaseVisibility.canSee(history.current, viewer: nil))
    #expect(!CaseVisibility.canSee(history.current, viewer: Demo.actor(Demo.citizen)))
    #expect(CaseVisibility.canSee(history.current, viewer: Demo.actor(Demo.platform)), "the submitter relays it")
    for state in CaseState.allCases where state != .published {
      #expect(!CaseVisibility.isPubliclyListed(try Canonical.history(in: state).current))
    }
  }

  @Test func journalVisibility() throws {
    let history = try Canonical.history(in: .inProgress)
    let c = history.current
    // A draft entry as older versions journaled it: still private to its author.
    let draft = JournalEntry(
      caseID: c.id, sequence: c.version + 1, actor: Demo.thang, actorUnit: Demo.dongLoc,
      fromState: c.state, toState: c.state, fromHolder: c.holder, toHolder: c.holder,
      content: "nháp", attachments: [], notify: false, at: Demo.at(27, 2), event: .draftSaved)
    #expect(CaseVisibility.canSee(draft, of: c, viewer: Demo.actor(Demo.thang)))
    #expect(!CaseVisibility.canSee(draft, of: c, viewer: Demo.actor(Demo.duong)))
    let assign = history.journal[2]
    #expect(CaseVisibility.canSee(assign, of: c, viewer: Demo.actor(Demo.follower)))
    #expect(!CaseVisibility.canSee(assign, of: c, viewer: Demo.actor(Demo.platform)), "internal step")
    #expect(CaseVisibility.canSee(history.journal[0], of: c, viewer: Demo.actor(Demo.platform)))
  }
}

@Suite("Replay") struct ReplayTests {
  @Test func corruptJournalsAreRefused() throws {
    let journal = try Canonical.history(in: .published).journal
    #expect(try CaseReplay.replay(journal).state == .published)
    #expect(throws: CaseReplay.ReplayError.emptyJournal) { try CaseReplay.replay([]) }
    #expect(throws: CaseReplay.ReplayError.firstEntryNotSubmission) {
      try CaseReplay.replay(Array(journal.dropFirst()))
    }
    var gap = journal
    gap.remove(at: 2)
    #expect(throws: CaseReplay.ReplayError.sequenceGap(expected: 3, found: 4)) { try CaseReplay.replay(gap) }
    var edited = journal
    edited[3].toState = .closed
    #expect(throws: CaseReplay.ReplayError.inconsistentEntry(sequence: 4)) { try CaseReplay.replay(edited) }
    var foreign = journal
    foreign[1].caseID = "other"
    #expect(throws: CaseReplay.ReplayError.wrongCase(expected: "case-1", found: "other")) {
      try CaseReplay.replay(foreign)
    }
    var reordered = journal
    reordered.swapAt(1, 2)
    reordered[1].sequence = 2
    reordered[2].sequence = 3
    #expect(throws: CaseReplay.ReplayError.notApplicable(sequence: 2, action: .assign, state: .received)) {
      try CaseReplay.replay(reordered)
    }
  }

  @Test func entitiesRoundTripThroughJSON() throws {
    let history = try Canonical.history(in: .monitoring)
    let encoded = try JSONEncoder().encode(history.current)
    #expect(try JSONDecoder().decode(Case.self, from: encoded) == history.current)
    let notifications = try JSONEncoder().encode(history.notifications)
    #expect(try JSONDecoder().decode([CaseNotification].self, from: notifications) == history.notifications)
    let ts = try JSONEncoder().encode(Demo.at(6, 3))
    #expect(String(decoding: ts, as: UTF8.self) == "\(Demo.at(6, 3).millisecondsSince1970)")
  }
}

@Suite("Assignment participants") struct AssignmentParticipantTests {
  @Test("hasParticipant answers as participants.contains, for every member and a stranger")
  func agreesWithTheSet() {
    let at = Timestamp(millisecondsSince1970: 0)
    let assignments = [
      Assignment(mainHandler: "main", start: at, due: at, assignedBy: "leader", assignedAt: at),
      Assignment(mainHandler: "main", coordinators: ["c1", "c2"], followers: ["f1"], start: at, due: at, assignedBy: "leader", assignedAt: at),
      Assignment(mainHandler: "main", coordinators: ["main"], followers: ["c1", "main"], start: at, due: at, assignedBy: "leader", assignedAt: at),
    ]
    for assignment in assignments {
      for user: UserID in ["main", "c1", "c2", "f1", "leader", "stranger"] {
        #expect(assignment.hasParticipant(user) == assignment.participants.contains(user), "\(user)")
      }
    }
  }
}
