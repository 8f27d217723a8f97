import FieldReportWorkflow
import Testing

@Suite("Refusals") struct RefusalTests {
  let t = Canonical.workTime

  @Test func staleVersionIsAborted() throws {
    let history = try Canonical.history(in: .atUnit)
    let refusal = history.refusal(.approve, by: Demo.duong, at: t, version: 1)
    #expect(refusal == .staleVersion(expected: 1, actual: 2))
    #expect(refusal?.category == .aborted)
  }

  @Test func wrongStateIsAFailedPrecondition() throws {
    let history = try Canonical.history(in: .received)
    let refusal = history.refusal(.approve, by: Demo.duong, at: t)
    #expect(refusal == .wrongState(current: .received, action: .approve))
    #expect(refusal?.category == .failedPrecondition)
  }

  @Test func wrongRoleForEveryRoleGatedAction() throws {
    // An officer of the right unit tries the leader's and the IOC's actions.
    for kind: ActionKind in [.returnToIoc, .assign, .transferForMonitoring] {
      let history = try Canonical.history(in: .atUnit)
      let (action, _, content) = Canonical.step(kind)
      #expect(
        history.refusal(action, by: Demo.thang, content: content, at: t)
          == .wrongRole(required: [.leader], unit: Demo.dongLoc), "\(kind)")
    }
    for kind: ActionKind in [.dispatch, .reject] {
      let history = try Canonical.history(in: .received)
      let (action, _, content) = Canonical.step(kind)
      let refusal = history.refusal(action, by: Demo.duong, content: content, at: t)
      #expect(refusal == .wrongRole(required: [.iocOperator], unit: Demo.ioc), "\(kind)")
      #expect(refusal?.category == .permissionDenied)
    }
    for kind: ActionKind in [.publish, .sendBackToUnit] {
      let history = try Canonical.history(in: .resolved)
      let (action, _, content) = Canonical.step(kind)
      #expect(
        history.refusal(action, by: Demo.thang, content: content, at: t)
          == .wrongRole(required: [.iocOperator], unit: Demo.ioc), "\(kind)")
    }
    let inProgress = try Canonical.history(in: .inProgress)
    #expect(
      inProgress.refusal(.reassign(Canonical.assignment), by: Demo.thang, at: t)
        == .wrongRole(required: [.leader], unit: Demo.dongLoc))
    for kind: ActionKind in [.approve, .returnToOfficer] {
      let history = try Canonical.history(in: .awaitingApproval)
      let (action, _, content) = Canonical.step(kind)
      #expect(
        history.refusal(action, by: Demo.thang, content: content, at: t)
          == .wrongRole(required: [.leader], unit: Demo.dongLoc), "\(kind)")
    }
    let monitoring = try Canonical.history(in: .monitoring)
    #expect(
      monitoring.refusal(.closeMonitoring, by: Demo.thang, at: t)
        == .wrongRole(required: [.leader], unit: Demo.dongLoc))
  }

  @Test func aPendingOrRevokedRoleGrantsNothing() throws {
    var directory = Demo.directory
    directory.grants = directory.grants.map { grant in
      var grant = grant
      if grant.userID == Demo.duong { grant.status = .pending }
      return grant
    }
    var history = try Canonical.history(in: .atUnit)
    history.directory = directory
    let actor = try #require(directory.actor(Demo.duong))
    let outcome = CaseWorkflow.decide(
      history.current, by: actor,
      command: CaseCommand(expectedVersion: history.current.version, action: .approve),
      now: t, directory: directory)
    #expect(outcome == .failure(.wrongState(current: .atUnit, action: .approve)))
    let assign = CaseWorkflow.decide(
      history.current, by: actor,
      command: CaseCommand(expectedVersion: history.current.version, action: .assign(Canonical.assignment)),
      now: t, directory: directory)
    #expect(assign == .failure(.wrongRole(required: [.leader], unit: Demo.dongLoc)))
  }

  @Test func aLeaderOfAnotherUnitIsTheWrongUnit() throws {
    let history = try Canonical.history(in: .atUnit)
    let refusal = history.refusal(.assign(Canonical.assignment), by: Demo.khcnLeader, at: t)
    #expect(refusal == .wrongUnit(expected: Demo.dongLoc, actual: Demo.khcn))
    #expect(refusal?.category == .permissionDenied)
  }

  @Test func returnWindowIsOneDayFromReceiptByDefault() throws {
    let history = try Canonical.history(in: .atUnit)  // dispatched 26/02 09:00
    let reason = "Không đúng chức năng nhiệm vụ"
    #expect(history.refusal(.returnToIoc, by: Demo.duong, content: reason, at: Demo.at(27, 2, 9)) == nil)
    let refusal = history.refusal(
      .returnToIoc, by: Demo.duong, content: reason, at: Demo.at(27, 2, 9, 1))
    #expect(refusal == .pastReturnWindow(deadline: Demo.at(27, 2, 9)))
    #expect(refusal?.category == .failedPrecondition)
    #expect(Deadlines.returnDeadline(history.current) == Demo.at(27, 2, 9))
  }

  /// Issue 12 item 3: the province sets the window (the policy), the IOC may set it per
  /// dispatch, and the deadline is fixed when the case is dispatched.
  @Test func returnWindowIsTheProvincesOrTheDispatchsAndFixedAtDispatch() throws {
    let reason = "Không đúng chức năng nhiệm vụ"
    var province = WorkflowPolicy.standard
    province.returnWindowMilliseconds = 3 * Timestamp.millisecondsPerDay
    var history = try CaseHistory.submit(policy: province)
    try history.act(.dispatch(DispatchOrder(unit: Demo.dongLoc)), by: Demo.iocOperator, at: Demo.at(26, 2, 9))
    #expect(Deadlines.returnDeadline(history.current) == Demo.at(1, 3, 9))
    #expect(history.refusal(.returnToIoc, by: Demo.duong, content: reason, at: Demo.at(28, 2)) == nil)
    // The province narrowing its window later does not move a deadline already given.
    var narrowed = history
    narrowed.policy.returnWindowMilliseconds = Timestamp.millisecondsPerDay
    #expect(narrowed.refusal(.returnToIoc, by: Demo.duong, content: reason, at: Demo.at(28, 2)) == nil)
    #expect(Deadlines.returnDeadline(narrowed.current, policy: narrowed.policy) == Demo.at(1, 3, 9))

    // The IOC's window for one dispatch wins over the province's.
    var perDispatch = try CaseHistory.submit()
    try perDispatch.act(
      .dispatch(DispatchOrder(unit: Demo.dongLoc, returnWindowMilliseconds: 3 * Timestamp.millisecondsPerHour)),
      by: Demo.iocOperator, at: Demo.at(26, 2, 9))
    #expect(perDispatch.refusal(.returnToIoc, by: Demo.duong, content: reason, at: Demo.at(26, 2, 12)) == nil)
    #expect(
      perDispatch.refusal(.returnToIoc, by: Demo.duong, content: reason, at: Demo.at(26, 2, 12, 1))
        == .pastReturnWindow(deadline: Demo.at(26, 2, 12)))

    // One hour to thirty days, named as the dispatch's field.
    let fresh = try CaseHistory.submit()
    for window in [30 * Timestamp.millisecondsPerMinute, 31 * Timestamp.millisecondsPerDay] {
      let refusal = fresh.refusal(
        .dispatch(DispatchOrder(unit: Demo.dongLoc, returnWindowMilliseconds: window)), by: Demo.iocOperator,
        at: Demo.at(26, 2, 9))
      #expect(refusal?.fieldName == "returnWindow", "\(String(describing: refusal))")
    }
  }

  @Test func assignmentNeedsAMainHandler() throws {
    let history = try Canonical.history(in: .atUnit)
    let refusal = history.refusal(.assign(AssignmentOrder(mainHandler: nil)), by: Demo.duong, at: t)
    #expect(refusal == .missingMainHandler)
    #expect(refusal?.category == .invalidArgument)
    #expect(refusal?.fieldName == "mainHandler")
  }

  @Test func assignmentFieldRules() throws {
    let history = try Canonical.history(in: .atUnit)
    func refusal(_ order: AssignmentOrder) -> WorkflowRefusal? {
      history.refusal(.assign(order), by: Demo.duong, at: t)
    }
    #expect(
      refusal(AssignmentOrder(mainHandler: Demo.thang, coordinators: [Demo.thang]))
        == .invalidField(name: "coordinators", reason: "includes the main handler"))
    #expect(
      refusal(AssignmentOrder(mainHandler: Demo.thang, followers: [Demo.thang]))
        == .invalidField(name: "followers", reason: "includes the main handler"))
    #expect(
      refusal(
        AssignmentOrder(
          mainHandler: Demo.thang, coordinators: [Demo.follower], followers: [Demo.follower]))
        == .invalidField(name: "followers", reason: "includes a coordinator"))
    #expect(
      refusal(AssignmentOrder(mainHandler: Demo.thang, coordinators: [Demo.follower, Demo.follower]))
        == .invalidField(name: "coordinators", reason: "lists someone twice"))
    #expect(
      refusal(AssignmentOrder(mainHandler: Demo.thang, start: Demo.at(5, 3), due: Demo.at(4, 3)))
        == .invalidField(name: "due", reason: "must be after the start"))
    #expect(
      refusal(AssignmentOrder(mainHandler: Demo.thang, start: Demo.at(1, 2), due: Demo.at(2, 2)))
        == .invalidField(name: "due", reason: "is already past"))
    #expect(refusal(AssignmentOrder(mainHandler: "ghost")) == .unknownUser("ghost"))
    #expect(refusal(AssignmentOrder(mainHandler: Demo.toan)) == .notEligible(Demo.toan, role: "officer", unit: Demo.dongLoc))
    #expect(refusal(AssignmentOrder(mainHandler: Demo.disabled)) == .inactiveAccount(Demo.disabled))
    #expect(
      refusal(AssignmentOrder(mainHandler: Demo.thang, coordinators: [Demo.citizen]))
        == .wrongAccountKind(Demo.citizen, .citizen))
    #expect(refusal(AssignmentOrder(mainHandler: Demo.thang, coordinators: [Demo.toan])) == nil,
      "coordinators may come from other units")
  }

  @Test func commonFieldRules() throws {
    let history = try Canonical.history(in: .atUnit)
    let reason = "Không đúng chức năng nhiệm vụ"
    #expect(
      history.refusal(.returnToIoc, by: Demo.duong, content: "  \n", at: t)
        == .invalidField(name: "content", reason: "the reason is required"))
    #expect(
      history.refusal(.returnToIoc, by: Demo.duong, content: "a\u{0}b", at: t)
        == .invalidField(name: "content", reason: "contains control characters"))
    #expect(
      history.refusal(
        .returnToIoc, by: Demo.duong, content: String(repeating: "x", count: 20_001), at: t)
        == .invalidField(name: "content", reason: "longer than 20000 bytes"))
    var bad = Demo.photo
    bad.sha256Hex = "XYZ"
    #expect(
      history.refusal(.returnToIoc, by: Demo.duong, content: reason, at: t, attachments: [bad])
        == .invalidField(name: "attachments[0].sha256", reason: "must be 64 lowercase hex digits"))
    bad = Demo.photo
    bad.size = 0
    #expect(
      history.refusal(.returnToIoc, by: Demo.duong, content: reason, at: t, attachments: [bad])?
        .fieldName == "attachments[0].size")
    bad = Demo.photo
    bad.name = ""
    #expect(
      history.refusal(.returnToIoc, by: Demo.duong, content: reason, at: t, attachments: [bad])?
        .fieldName == "attachments[0].name")
    #expect(
      history.refusal(
        .returnToIoc, by: Demo.duong, content: reason, at: t,
        attachments: Array(repeating: Demo.photo, count: 21))?.fieldName == "attachments")
    let transfer = history.refusal(
      .transferForMonitoring(recipients: [], group: nil), by: Demo.duong, content: "x", at: t)
    #expect(transfer == .invalidField(name: "recipients", reason: "at least one recipient or a group"))
    #expect(
      history.refusal(
        .transferForMonitoring(recipients: [Demo.thang], group: nil), by: Demo.duong, at: t)?
        .fieldName == "content")
  }

  @Test func participationRefusals() throws {
    let history = try Canonical.history(in: .inProgress)
    #expect(history.refusal(.addContribution, by: Demo.follower, content: "x", at: t) == .notAParticipant(Demo.follower))
    #expect(history.refusal(.addContribution, by: Demo.duong, content: "x", at: t) == .notAParticipant(Demo.duong))
    #expect(
      CaseWorkflow.checkDraft(
        history.current, by: Demo.actor(Demo.coordinator), expectedVersion: history.current.version,
        content: "x", attachments: [], now: t) == .failure(.notTheMainHandler(Demo.coordinator)))
    let submit = history.refusal(
      .submitResult(nextHandler: nil, outputProduct: nil), by: Demo.duong, content: "x", at: t)
    #expect(submit == .notTheMainHandler(Demo.duong))
    #expect(submit?.category == .permissionDenied)
    #expect(
      history.refusal(.submitResult(nextHandler: Demo.thang, outputProduct: nil), by: Demo.thang, content: "x", at: t)
        == .notEligible(Demo.thang, role: "leader", unit: Demo.dongLoc))
    #expect(
      history.refusal(.submitResult(nextHandler: nil, outputProduct: nil), by: Demo.thang, at: t)
        == .invalidField(name: "content", reason: "the result is required"))
  }

  @Test func monitoringRefusals() throws {
    var history = try Canonical.history(in: .monitoring)
    let notRecipient = history.refusal(.acknowledgeMonitoring, by: Demo.follower, at: t)
    #expect(notRecipient == .notARecipient(Demo.follower))
    #expect(notRecipient?.category == .permissionDenied)
    try history.act(.acknowledgeMonitoring, by: Demo.thang, at: t)
    let again = history.refusal(.acknowledgeMonitoring, by: Demo.thang, at: t)
    #expect(again == .alreadyAcknowledged(Demo.thang))
    #expect(again?.category == .failedPrecondition)
    let atUnit = try Canonical.history(in: .atUnit)
    #expect(
      atUnit.refusal(.transferForMonitoring(recipients: [], group: "nhom-mua-bao"), by: Demo.duong, content: "x", at: t)
        == .unknownGroup("nhom-mua-bao"), "another unit's group")
  }

  @Test func dispatchRefusals() throws {
    let history = try Canonical.history(in: .received)
    #expect(history.refusal(.dispatch(DispatchOrder(unit: "nowhere")), by: Demo.iocOperator, at: t) == .unknownUnit("nowhere"))
    let notHandling = history.refusal(.dispatch(DispatchOrder(unit: Demo.ioc)), by: Demo.iocOperator, at: t)
    #expect(notHandling == .notAHandlingUnit(Demo.ioc))
    #expect(notHandling?.category == .invalidArgument)
    #expect(
      history.refusal(.dispatch(DispatchOrder(unit: Demo.dongLoc, leader: Demo.thang)), by: Demo.iocOperator, at: t)
        == .notEligible(Demo.thang, role: "leader", unit: Demo.dongLoc))
    #expect(
      history.refusal(.dispatch(DispatchOrder(unit: Demo.dongLoc, due: Demo.at(1, 1))), by: Demo.iocOperator, at: t)?
        .fieldName == "due")
  }

  @Test func publicationRules() throws {
    let history = try Canonical.history(in: .resolved)
    #expect(history.refusal(.publish(publicly: true), by: Demo.iocOperator, at: t) == nil)
    var privateCase = history
    privateCase.current.isPublic = false
    let refusal = privateCase.refusal(.publish(publicly: true), by: Demo.iocOperator, at: t)
    #expect(refusal == .publicationNotAllowed)
    #expect(refusal?.category == .failedPrecondition)
    #expect(privateCase.refusal(.publish(publicly: false), by: Demo.iocOperator, at: t) == nil)
    var doNotPublish = history
    doNotPublish.current.assignment?.doNotPublish = true
    #expect(doNotPublish.refusal(.publish(publicly: true), by: Demo.iocOperator, at: t) == .publicationNotAllowed)
  }

  @Test func accountRefusals() throws {
    let history = try Canonical.history(in: .inProgress)
    #expect(
      history.refusal(.submitResult(nextHandler: nil, outputProduct: nil), by: Demo.disabled, content: "x", at: t)
        == .inactiveAccount(Demo.disabled))
    #expect(
      history.refusal(.submitResult(nextHandler: nil, outputProduct: nil), by: Demo.disabled, content: "x", at: t)?
        .category == .permissionDenied)
    #expect(
      CaseWorkflow.checkDraft(
        history.current, by: Demo.actor(Demo.disabled), expectedVersion: history.current.version,
        content: "x", attachments: [], now: t) == .failure(.inactiveAccount(Demo.disabled)))
    let received = try Canonical.history(in: .received)
    #expect(
      received.refusal(.dispatch(DispatchOrder(unit: Demo.dongLoc)), by: Demo.citizen, at: t)
        == .wrongRole(required: [.iocOperator], unit: Demo.ioc))
  }

  @Test func submissionRefusals() throws {
    func submit(
      _ report: NewReport, by user: UserID = Demo.platform, code: ReportCode? = nil,
      now: Timestamp = Demo.at(6, 3)
    ) throws -> WorkflowRefusal? {
      let code = try code ?? ReportCode.make(dayOf: now, sequence: 1)
      if case .failure(let refusal) = CaseWorkflow.submit(
        report, caseID: "c", reportCode: code, by: Demo.actor(user), now: now,
        directory: Demo.directory)
      {
        return refusal
      }
      return nil
    }
    let good = NewReport(
      iocUnitID: Demo.ioc, reporter: Case.Reporter(fullName: "A"), categoryID: Demo.environment,
      title: "Làm việc gây ồn ào tại 81 Ngô Quyền", description: "Ồn ào",
      location: Case.Location(address: "81 Ngô Quyền", latitude: 18.34, longitude: 105.9),
      isPublic: false)
    #expect(try submit(good) == nil)
    #expect(try submit(good, by: Demo.citizen) == nil)
    #expect(try submit(good, by: Demo.iocOperator) == nil)
    #expect(try submit(good, by: Demo.duong) == .wrongRole(required: [.iocOperator], unit: Demo.ioc))
    #expect(try submit(good, by: Demo.disabled) == .inactiveAccount(Demo.disabled))
    var r = good
    r.title = " "
    #expect(try submit(r) == .invalidField(name: "title", reason: "is required"))
    r = good
    r.description = ""
    #expect(try submit(r)?.fieldName == "description")
    r = good
    r.categoryID = "none"
    #expect(try submit(r) == .unknownCategory("none"))
    #expect(try submit(r)?.category == .notFound)
    r.categoryID = "cu"
    #expect(try submit(r)?.fieldName == "categoryID")
    r = good
    r.iocUnitID = Demo.dongLoc
    #expect(try submit(r)?.fieldName == "iocUnitID")
    r.iocUnitID = "x"
    #expect(try submit(r) == .unknownUnit("x"))
    r = good
    r.location.latitude = 91
    #expect(try submit(r)?.fieldName == "location.latitude")
    r.location.latitude = nil
    #expect(try submit(r)?.fieldName == "location")
    r = good
    r.reportedAt = Demo.at(8, 3)
    #expect(try submit(r)?.fieldName == "reportedAt")
    #expect(
      try submit(good, code: ReportCode.make(dayOf: Demo.at(5, 3), sequence: 1))?.fieldName
        == "reportCode")
  }

  @Test func citizenSubmissionRecordsTheCitizenAsReporter() throws {
    let history = try CaseHistory.submit(by: Demo.citizen)
    #expect(history.current.reporter.userID == Demo.citizen)
    #expect(history.current.submittedBy == Demo.citizen)
  }

  @Test func codesAreUniqueAndCategorised() {
    let samples: [WorkflowRefusal] = [
      .wrongRole(required: [.leader], unit: nil), .wrongUnit(expected: "a", actual: nil),
      .wrongState(current: .received, action: .approve), .staleVersion(expected: 1, actual: 2),
      .pastReturnWindow(deadline: Timestamp(millisecondsSince1970: 0)), .missingMainHandler,
      .invalidField(name: "f", reason: "r"), .notAParticipant("u"), .notTheMainHandler("u"),
      .notARecipient("u"), .alreadyAcknowledged("u"), .inactiveAccount("u"),
      .wrongAccountKind("u", .citizen), .unknownUnit("x"), .unknownUser("x"),
      .unknownCategory("x"), .selfDecision("u"), .unknownGroup("g"), .notAHandlingUnit("x"),
      .notEligible("u", role: "leader", unit: "x"), .publicationNotAllowed,
      .roleNotPending(current: .approved), .roleNotApproved(current: .pending),
      .duplicateRoleRequest(existing: "g"),
    ]
    #expect(Set(samples.map(\.code)).count == samples.count)
    for refusal in samples {
      #expect(!refusal.message.isEmpty)
      #expect(refusal.description.hasPrefix(refusal.code))
    }
    #expect(Set(samples.map(\.category)) == Set(RefusalCategory.allCases))
  }
}
