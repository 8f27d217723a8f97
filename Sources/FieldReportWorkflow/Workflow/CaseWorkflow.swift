/// The case state machine of DOMAIN.md as pure functions.
///
/// ``decide(_:by:command:now:policy:directory:)`` checks, in this order, and refuses at the
/// first rule broken:
/// 1. the actor's account is active;
/// 2. the caller's expected version is the case's version (``WorkflowRefusal/staleVersion(expected:actual:)``);
/// 3. the action is allowed in the case's state (the state table, ``allowedStates(for:)``);
/// 4. the actor's role, unit and participation;
/// 5. the fields (content, attachments, people, dates).
///
/// It then builds the journal entry and computes the new case by applying that entry with
/// ``CaseReplay/apply(_:to:)``, so replaying a journal always reproduces the case.
///
/// Every accepted action (a contribution included) appends one journal entry and raises the
/// version by one. Saving a draft is not an action: ``checkDraft(_:by:expectedVersion:content:attachments:outputProductNumber:now:policy:)``
/// checks it against the same rules (state, main handler, version, fields) and the store keeps
/// it per (case, author) outside the journal, so it bumps no version and notifies no one.
public enum CaseWorkflow {
  /// The state table: the states from which each action is accepted.
  public static func allowedStates(for action: ActionKind) -> Set<CaseState> {
    switch action {
    case .submit: []
    case .dispatch, .reject: [.received, .returnedToIoc]
    case .returnToIoc, .assign, .transferForMonitoring: [.atUnit]
    case .reassign, .submitResult, .addContribution: [.inProgress]
    // The main handler's work in progress; a monitoring recipient's notes ("Lưu công việc").
    case .saveDraft: [.inProgress, .monitoring]
    case .acknowledgeMonitoring, .closeMonitoring: [.monitoring]
    case .approve, .returnToOfficer: [.awaitingApproval]
    case .sendBackToUnit, .publish: [.resolved]
    // The unit's own handling time: not at_unit (the leader's decision on competence and the
    // return window need nothing from the citizen) nor awaiting_approval (the result is written).
    case .holdClock, .resumeClock: [.inProgress]
    }
  }

  /// The only actions allowed while the case's clock is on hold: every other one is refused
  /// with ``WorkflowRefusal/clockOnHold(since:)`` (resume first), so a held task never
  /// completes, changes hands or gets a new deadline during the hold.
  public static let allowedWhileHeld: Set<ActionKind> = [.resumeClock, .addContribution, .saveDraft]

  /// The actions accepted for `c` now: ``allowedActions(in:)`` of its state, narrowed to
  /// ``allowedWhileHeld`` while its clock is on hold, without a hold while held or a
  /// resume while running.
  public static func allowedActions(for c: Case) -> [ActionKind] {
    let held = c.currentTask?.openHold != nil
    return allowedActions(in: c.state).filter { kind in
      switch kind {
      case .holdClock: !held
      case .resumeClock: held
      default: !held || allowedWhileHeld.contains(kind)
      }
    }
  }

  /// The actions accepted in `state`, in declaration order.
  public static func allowedActions(in state: CaseState) -> [ActionKind] {
    Self.actionsByState[state] ?? []
  }

  /// ``allowedStates(for:)`` inverted once (every rendered case asks; building the sets per
  /// call was 2 % of a GetCase's server CPU).
  private static let actionsByState: [CaseState: [ActionKind]] = Dictionary(
    uniqueKeysWithValues: CaseState.allCases.map { state in
      (state, ActionKind.allCases.filter { allowedStates(for: $0).contains(state) })
    })

  /// Decides an action on a case.
  ///
  /// - Parameters:
  ///   - current: the case as stored.
  ///   - actor: who acts, with their role grants.
  ///   - command: the action, the version the caller saw, content, attachments, notify flag.
  ///   - now: the decision time (the store's clock).
  ///   - policy: windows and limits.
  ///   - directory: units, users, grants, groups the decision needs (see ``Directory``).
  /// - Returns: the transition to persist atomically, or the rule broken.
  public static func decide(
    _ current: Case, by actor: Actor, command: CaseCommand, now: Timestamp,
    policy: WorkflowPolicy = .standard, directory: Directory
  ) -> Swift.Result<Transition, WorkflowRefusal> {
    do {
      return .success(
        try transition(current, actor: actor, command: command, now: now, policy: policy,
          directory: directory))
    } catch {
      return .failure(error)
    }
  }

  static func transition(
    _ c: Case, actor: Actor, command: CaseCommand, now: Timestamp, policy: WorkflowPolicy,
    directory: Directory
  ) throws(WorkflowRefusal) -> Transition {
    guard actor.user.isActive else { throw .inactiveAccount(actor.id) }
    guard command.expectedVersion == c.version else {
      throw .staleVersion(expected: command.expectedVersion, actual: c.version)
    }
    let kind = command.action.kind
    guard allowedStates(for: kind).contains(c.state) else {
      throw .wrongState(current: c.state, action: kind)
    }
    if let hold = c.currentTask?.openHold, !allowedWhileHeld.contains(kind) {
      throw .clockOnHold(since: hold.heldAt)
    }
    try Validation.content(command.content, policy: policy)
    try Validation.attachments(command.attachments, policy: policy)

    let event: JournalEvent
    // The unit the actor acted for; nil for the platform relaying a citizen's answer.
    let actorUnit: UnitID?
    switch command.action {
    case .dispatch(let order):
      actorUnit = try requireIOCOperator(actor, c)
      event = try dispatchEvent(c, order: order, now: now, policy: policy, directory: directory)

    case .reject(let reason, let duplicateOf, let routedTo, let outsideCompetence):
      actorUnit = try requireIOCOperator(actor, c)
      try checkReturnConfirmation(c, outsideCompetence)
      if let duplicateOf {
        guard reason == .duplicate else {
          throw .invalidField(name: "duplicateOf", reason: "only for a duplicate")
        }
        guard duplicateOf != c.id else {
          throw .invalidField(name: "duplicateOf", reason: "a case cannot duplicate itself")
        }
      }
      // Out of scope is never a dead end: the IOC names the outside agency that receives it
      // (a matter for a unit inside the system is re-dispatched instead).
      var agency: String?
      if reason == .outOfScope {
        guard let routedTo, !Validation.isBlank(routedTo) else {
          throw .invalidField(
            name: "routedTo", reason: "name the agency outside the system that receives the report")
        }
        try Validation.line(
          routedTo, name: "routedTo", maxLength: policy.maxClosureReasonLength, required: true)
        agency = routedTo
      } else if let routedTo, !Validation.isBlank(routedTo) {
        throw .invalidField(name: "routedTo", reason: "only for a report out of scope")
      }
      event = .rejected(
        reason: reason, duplicateOf: duplicateOf, routedTo: agency,
        returnOutsideCompetence: outsideCompetence ? true : nil)

    case .returnToIoc:
      actorUnit = try requireLeader(actor, c)
      let deadline =
        c.currentTask.map { Deadlines.returnDeadline(of: $0, policy: policy) }
        ?? c.stepReceivedAt.adding(milliseconds: policy.returnWindowMilliseconds)
      guard now <= deadline else { throw .pastReturnWindow(deadline: deadline) }
      try Validation.required(command.content, name: "content", why: "the reason is required")
      event = .returnedToIoc

    case .assign(let order):
      actorUnit = try requireLeader(actor, c)
      event = .assigned(
        try makeAssignment(c, order: order, actor: actor, now: now, policy: policy,
          directory: directory))

    case .reassign(let order):
      actorUnit = try requireLeader(actor, c)
      event = .reassigned(
        try makeAssignment(c, order: order, actor: actor, now: now, policy: policy,
          directory: directory))

    case .transferForMonitoring(let recipients, let groupID):
      actorUnit = try requireLeader(actor, c)
      try Validation.required(command.content, name: "content", why: "the content is required")
      var members: [UserID] = []
      if let groupID {
        guard let group = directory.groups[groupID], group.unitID == c.currentUnitID else {
          throw .unknownGroup(groupID)
        }
        members = group.memberIDs
      }
      let (everyone, leftOut) = Self.monitoringRecipients(
        named: recipients, groupMembers: members, transferredBy: actor.id)
      guard !everyone.isEmpty else {
        throw .invalidField(
          name: "recipients",
          reason: leftOut.isEmpty
            ? "at least one recipient or a group"
            : "at least one recipient besides yourself (the transferring leader is not a recipient of their own transfer)")
      }
      guard everyone.count <= policy.maxPeoplePerAction else {
        throw .invalidField(
          name: "recipients", reason: "at most \(policy.maxPeoplePerAction) people")
      }
      for user in everyone { try requireKnownStaff(user, directory) }
      event = .transferredForMonitoring(recipients: everyone, group: groupID)

    case .acknowledgeMonitoring:
      guard let monitoring = c.monitoring, monitoring.recipients.contains(actor.id) else {
        throw .notARecipient(actor.id)
      }
      guard monitoring.pendingRecipients.contains(actor.id) else {
        throw .alreadyAcknowledged(actor.id)
      }
      actorUnit = c.currentUnitID
      event = .monitoringAcknowledged

    case .closeMonitoring:
      actorUnit = try requireLeader(actor, c)
      event = .monitoringClosed

    case .submitResult(let nextHandler, let outputProduct, let cannotBeResolved):
      actorUnit = try requireMainHandler(actor, c)
      try Validation.required(command.content, name: "content", why: "the result is required")
      if let nextHandler {
        try requireKnownStaff(nextHandler, directory)
        guard directory.has(nextHandler, .leader, at: c.currentUnitID) else {
          throw .notEligible(nextHandler, role: "leader", unit: c.currentUnitID)
        }
      }
      if let outputProduct { try Validation.outputProduct(outputProduct) }
      if let cannotBeResolved {
        try Validation.line(
          cannotBeResolved, name: "cannotBeResolved", maxLength: policy.maxClosureReasonLength,
          required: true)
      }
      event = .resultSubmitted(
        nextHandler: nextHandler, outputProduct: outputProduct, cannotBeResolved: cannotBeResolved)

    case .addContribution:
      guard let assignment = c.assignment, assignment.coordinators.contains(actor.id) else {
        throw .notAParticipant(actor.id)
      }
      try Validation.required(
        command.content, name: "content", why: "the contribution is required")
      actorUnit = c.currentUnitID
      event = .contributionAdded

    case .approve:
      actorUnit = try requireLeader(actor, c)
      event = .approved

    case .returnToOfficer(let newDue):
      actorUnit = try requireLeader(actor, c)
      try Validation.required(command.content, name: "content", why: "the reason is required")
      guard let officer = c.assignment?.mainHandler else { throw .missingMainHandler }
      try Validation.futureDue(newDue, now: now)
      event = .returnedToOfficer(officer: officer, newDue: newDue)

    case .sendBackToUnit(let newDue):
      actorUnit = try requireIOCOperator(actor, c)
      try Validation.required(command.content, name: "content", why: "the reason is required")
      guard let handler = c.assignment?.mainHandler else { throw .missingMainHandler }
      try Validation.futureDue(newDue, now: now)
      event = .sentBackToUnit(handler: handler, newDue: newDue)

    case .publish(let publicly, let text):
      actorUnit = try requireIOCOperator(actor, c)
      if publicly, !c.isPublic || (c.assignment?.doNotPublish ?? false) {
        throw .publicationNotAllowed
      }
      // The citizen is shown the IOC's text or the approved reply letter, recorded as shown
      // (the journal is the record of what was published); the note stays the entry's content.
      // A result that cannot be resolved is published as such (ClosureWording).
      event = .published(
        publicly: publicly,
        text: text ?? ClosureWording.publishedText(for: c, reply: c.result?.content ?? ""))

    case .holdClock(let holdKind):
      actorUnit = try requireLeaderOrMainHandler(actor, c)
      try Validation.required(command.content, name: "content", why: "the reason is required")
      event = .clockHeld(kind: holdKind)

    case .resumeClock:
      guard let hold = c.currentTask?.openHold else { throw .clockNotHeld }
      actorUnit = try requireClockResumer(actor, c, hold: hold)
      event = .clockResumed
    }

    let notify = command.notify
    var entry = JournalEntry(
      caseID: c.id, sequence: c.version + 1, actor: actor.id, actorUnit: actorUnit,
      fromState: c.state, toState: c.state, fromHolder: c.holder, toHolder: c.holder,
      content: command.content, attachments: command.attachments, notify: notify, at: now,
      event: event)
    guard let next = CaseReplay.apply(entry, to: c) else {
      // Every precondition of apply was checked above; reaching here is a rule-table bug,
      // reported as a refusal rather than a crash.
      throw .wrongState(current: c.state, action: kind)
    }
    entry.toState = next.state
    entry.toHolder = next.holder
    let notifications = Notifications.make(
      for: entry, before: c, after: next, directory: directory)
    return Transition(newCase: next, entry: entry, notifications: notifications)
  }

  /// Checks that `actor` may save this draft of case `c` now, and builds it.
  ///
  /// The rules are those of a step by the main handler (active account, the version the
  /// caller saw, state IN_PROGRESS, the main handler with a role at the unit, content and
  /// attachment limits), but nothing is journaled: the caller stores the draft per
  /// (case, author) (see ``CaseDraft``).
  /// - Returns: the draft to store, or the rule broken.
  public static func checkDraft(
    _ c: Case, by actor: Actor, expectedVersion: Int64, content: String,
    attachments: [AttachmentRef], outputProductNumber: String = "", now: Timestamp,
    policy: WorkflowPolicy = .standard
  ) -> Swift.Result<CaseDraft, WorkflowRefusal> {
    do throws(WorkflowRefusal) {
      guard actor.user.isActive else { throw .inactiveAccount(actor.id) }
      guard expectedVersion == c.version else {
        throw .staleVersion(expected: expectedVersion, actual: c.version)
      }
      guard allowedStates(for: .saveDraft).contains(c.state) else {
        throw .wrongState(current: c.state, action: .saveDraft)
      }
      if c.state == .monitoring {
        guard c.monitoring?.recipients.contains(actor.id) == true else { throw .notARecipient(actor.id) }
        guard outputProductNumber.isEmpty else {
          throw .invalidField(name: "outputProduct.number", reason: "only the main handler's result has an output product")
        }
      } else {
        _ = try requireMainHandler(actor, c)
      }
      try Validation.content(content, policy: policy)
      try Validation.attachments(attachments, policy: policy)
      try Validation.line(
        outputProductNumber, name: "outputProduct.number", maxLength: 100, required: false)
      return .success(
        CaseDraft(
          caseID: c.id, author: actor.id, content: content, attachments: attachments,
          outputProductNumber: outputProductNumber, savedAt: now))
    } catch {
      return .failure(error)
    }
  }

  /// Whether `author` keeps a draft on `c` that they are shown: the main handler's work in
  /// progress, a monitoring recipient's notes. Drafts are private: only their author sees them.
  public static func keepsDraft(_ c: Case, author: UserID) -> Bool {
    c.assignment?.mainHandler == author || c.monitoring?.recipients.contains(author) == true
  }

  // MARK: Authorisation

  /// An approved IOC operator of the case's IOC; returns the unit acted for.
  static func requireIOCOperator(_ actor: Actor, _ c: Case) throws(WorkflowRefusal) -> UnitID {
    if actor.has(.iocOperator, at: c.iocUnitID) { return c.iocUnitID }
    if let other = actor.grants.first(where: { $0.status == .approved && $0.role == .iocOperator }) {
      throw .wrongUnit(expected: c.iocUnitID, actual: other.unitID)
    }
    throw .wrongRole(required: [.iocOperator], unit: c.iocUnitID)
  }

  /// An approved leader of the unit holding the case; returns that unit.
  static func requireLeader(_ actor: Actor, _ c: Case) throws(WorkflowRefusal) -> UnitID {
    if actor.has(.leader, at: c.currentUnitID) { return c.currentUnitID }
    if let other = actor.grants.first(where: { $0.status == .approved && $0.role == .leader }) {
      throw .wrongUnit(expected: c.currentUnitID, actual: other.unitID)
    }
    throw .wrongRole(required: [.leader], unit: c.currentUnitID)
  }

  /// The case's main handler (who must still hold a role at the unit); returns the unit.
  static func requireMainHandler(_ actor: Actor, _ c: Case) throws(WorkflowRefusal) -> UnitID {
    guard let assignment = c.assignment else { throw .missingMainHandler }
    guard assignment.mainHandler == actor.id else { throw .notTheMainHandler(actor.id) }
    guard actor.hasAny(of: [.officer, .leader], at: c.currentUnitID) else {
      throw .wrongRole(required: [.officer, .leader], unit: c.currentUnitID)
    }
    return c.currentUnitID
  }

  /// A leader of the unit holding the case, or its main handler; returns that unit. Who may
  /// put the clock on hold.
  static func requireLeaderOrMainHandler(_ actor: Actor, _ c: Case) throws(WorkflowRefusal) -> UnitID {
    if actor.has(.leader, at: c.currentUnitID) { return c.currentUnitID }
    if c.assignment?.mainHandler == actor.id { return try requireMainHandler(actor, c) }
    return try requireLeader(actor, c)
  }

  /// Who may resume `hold`: a leader of the holding unit or the main handler (returns the
  /// unit); for a hold awaiting the citizen also the service account that submitted the report
  /// (the platform relaying the citizen's answer), which acts for no unit (returns nil).
  static func requireClockResumer(_ actor: Actor, _ c: Case, hold: ClockHold) throws(WorkflowRefusal) -> UnitID? {
    if hold.kind == .awaitingCitizen, actor.user.kind == .serviceAccount, actor.id == c.submittedBy {
      return nil
    }
    return try requireLeaderOrMainHandler(actor, c)
  }

  static func requireKnownStaff(_ user: UserID, _ directory: Directory) throws(WorkflowRefusal) {
    guard let known = directory.users[user] else { throw .unknownUser(user) }
    guard known.isActive else { throw .inactiveAccount(user) }
    guard known.kind == .staff else { throw .wrongAccountKind(user, known.kind) }
  }

  // MARK: Action-specific validation

  static func dispatchEvent(
    _ c: Case, order: DispatchOrder, now: Timestamp, policy: WorkflowPolicy,
    directory: Directory
  ) throws(WorkflowRefusal) -> JournalEvent {
    guard let unit = directory.units[order.unit] else { throw .unknownUnit(order.unit) }
    guard unit.isHandlingUnit else { throw .notAHandlingUnit(order.unit) }
    if let leader = order.leader {
      try requireKnownStaff(leader, directory)
      guard directory.has(leader, .leader, at: unit.id) else {
        throw .notEligible(leader, role: "leader", unit: unit.id)
      }
    }
    let start = order.start ?? now
    // The category's default processing time, else the policy's default handling time.
    let processing =
      directory.categories[c.categoryID]?.defaultProcessingMilliseconds.flatMap { $0 > 0 ? $0 : nil }
      ?? policy.defaultHandlingMilliseconds
    let due = order.due ?? start.adding(milliseconds: processing)
    guard due > start else { throw .invalidField(name: "due", reason: "must be after the start") }
    guard due > now else { throw .invalidField(name: "due", reason: "is already past") }
    var title: String?
    if let given = order.title, !Validation.isBlank(given) {
      try Validation.line(given, name: "title", maxLength: policy.maxTitleLength, required: true)
      title = given
    }
    let window = order.returnWindowMilliseconds ?? policy.returnWindowMilliseconds
    guard policy.returnWindowRange.contains(window) else {
      throw .invalidField(
        name: "returnWindow",
        reason: "must be \(policy.returnWindowRange.lowerBound / Timestamp.millisecondsPerHour) to "
          + "\(policy.returnWindowRange.upperBound / Timestamp.millisecondsPerHour) hours")
    }
    let task = UnitTask(
      id: UnitTask.makeID(caseID: c.id, number: c.tasks.count + 1), caseID: c.id,
      unitID: unit.id, taskType: order.taskType, receivedAt: now, start: start, due: due,
      title: title, returnBy: now.adding(milliseconds: window))
    try checkReturnConfirmation(c, order.returnOutsideCompetence)
    return .dispatched(
      unit: unit.id, leader: order.leader, task: task,
      returnOutsideCompetence: order.returnOutsideCompetence ? true : nil)
  }

  /// The IOC may confirm a return as outside the unit's competence only while handling a case
  /// that a unit returned.
  static func checkReturnConfirmation(_ c: Case, _ confirmed: Bool) throws(WorkflowRefusal) {
    guard confirmed else { return }
    guard c.state == .returnedToIoc, c.tasks.last?.outcome == .returnedToIoc else {
      throw .invalidField(
        name: "returnOutsideCompetence", reason: "only when handling a case that a unit returned to the IOC")
    }
  }

  static func makeAssignment(
    _ c: Case, order: AssignmentOrder, actor: Actor, now: Timestamp, policy: WorkflowPolicy,
    directory: Directory
  ) throws(WorkflowRefusal) -> Assignment {
    guard let main = order.mainHandler else { throw .missingMainHandler }
    let unit = c.currentUnitID
    try requireKnownStaff(main, directory)
    guard directory.has(main, .officer, at: unit) || directory.has(main, .leader, at: unit) else {
      throw .notEligible(main, role: "officer", unit: unit)
    }
    let coordinators = order.coordinators
    let followers = order.followers
    guard Set(coordinators).count == coordinators.count else {
      throw .invalidField(name: "coordinators", reason: "lists someone twice")
    }
    guard Set(followers).count == followers.count else {
      throw .invalidField(name: "followers", reason: "lists someone twice")
    }
    guard !coordinators.contains(main) else {
      throw .invalidField(name: "coordinators", reason: "includes the main handler")
    }
    guard !followers.contains(main) else {
      throw .invalidField(name: "followers", reason: "includes the main handler")
    }
    guard Set(coordinators).isDisjoint(with: followers) else {
      throw .invalidField(name: "followers", reason: "includes a coordinator")
    }
    guard 1 + coordinators.count + followers.count <= policy.maxPeoplePerAction else {
      throw .invalidField(name: "coordinators", reason: "at most \(policy.maxPeoplePerAction) people")
    }
    for user in coordinators + followers { try requireKnownStaff(user, directory) }
    let start = order.start ?? now
    let due = order.due ?? c.currentTask?.due ?? start.adding(
      milliseconds: policy.defaultHandlingMilliseconds)
    guard due > start else { throw .invalidField(name: "due", reason: "must be after the start") }
    guard due > now else { throw .invalidField(name: "due", reason: "is already past") }
    if let product = order.outputProduct { try Validation.outputProduct(product) }
    return Assignment(
      mainHandler: main, coordinators: coordinators, followers: followers, start: start,
      due: due, outputProduct: order.outputProduct, doNotPublish: order.doNotPublish,
      assignedBy: actor.id, assignedAt: now)
  }
}
