extension CaseWorkflow {
  /// Creates a case from a submitted report: the first journal entry (sequence 1, version 1)
  /// and the IOC operators' notifications.
  ///
  /// Who may submit: an active citizen (for themselves: the reporter's user id becomes theirs),
  /// an active service account (the platform, on a citizen's behalf), or an approved IOC
  /// operator of the receiving centre (a report taken by phone).
  ///
  /// - Parameters:
  ///   - report: the report's fields.
  ///   - caseID: the id the store chose for the case.
  ///   - reportCode: the code the store issued (``ReportCode/make(dayOf:sequence:)`` with
  ///     the day's next sequence); it must be for the day of `now`.
  ///   - actor: who submits.
  ///   - notify: notify the reporter's app that the report was received.
  ///   - now: the time of receipt.
  ///   - directory: must contain the IOC unit and the category (and the IOC's operators'
  ///     grants, to notify them).
  public static func submit(
    _ report: NewReport, caseID: CaseID, reportCode: ReportCode, by actor: Actor,
    notify: Bool = false, now: Timestamp, policy: WorkflowPolicy = .standard,
    directory: Directory
  ) -> Swift.Result<Transition, WorkflowRefusal> {
    do {
      return .success(
        try submission(
          report, caseID: caseID, reportCode: reportCode, actor: actor, notify: notify,
          now: now, policy: policy, directory: directory))
    } catch {
      return .failure(error)
    }
  }

  /// The checks of a report's own fields (title, description, address, location, reporter,
  /// attachments, the report's time), with no directory needed: services run them before
  /// queueing a write, and ``submit(_:caseID:reportCode:by:notify:now:policy:directory:)``
  /// runs them again (one owner of every limit: the policy).
  public static func validate(
    _ report: NewReport, reporter: Case.Reporter? = nil, now: Timestamp, policy: WorkflowPolicy = .standard
  ) throws(WorkflowRefusal) {
    let reporter = reporter ?? report.reporter
    try Validation.line(
      report.title, name: "title", maxLength: policy.maxTitleLength, required: true)
    try Validation.required(report.description, name: "description", why: "is required")
    try Validation.content(report.description, policy: policy, name: "description")
    try Validation.line(
      report.location.address, name: "location.address", maxLength: policy.maxAddressLength, required: false)
    try validateCoordinates(report.location)
    try Validation.line(reporter.fullName, name: "reporter.fullName", maxLength: 200, required: false)
    try Validation.line(reporter.phone, name: "reporter.phone", maxLength: 50, required: false)
    try Validation.line(reporter.email, name: "reporter.email", maxLength: 254, required: false)
    try Validation.attachments(report.attachments, policy: policy)
    let reportedAt = report.reportedAt ?? now
    guard reportedAt <= now.adding(milliseconds: policy.allowedClockSkewMilliseconds) else {
      throw .invalidField(name: "reportedAt", reason: "is in the future")
    }
    guard reportedAt >= now.adding(milliseconds: -policy.maxReportAgeMilliseconds) else {
      throw .invalidField(
        name: "reportedAt",
        reason: "is more than \(policy.maxReportAgeMilliseconds / Timestamp.millisecondsPerDay) days old")
    }
  }

  static func submission(
    _ report: NewReport, caseID: CaseID, reportCode: ReportCode, actor: Actor, notify: Bool,
    now: Timestamp, policy: WorkflowPolicy, directory: Directory
  ) throws(WorkflowRefusal) -> Transition {
    guard actor.user.isActive else { throw .inactiveAccount(actor.id) }
    var reporter = report.reporter
    switch actor.user.kind {
    case .citizen:
      reporter.userID = actor.id
    case .serviceAccount:
      break
    case .staff:
      guard actor.has(.iocOperator, at: report.iocUnitID) else {
        throw .wrongRole(required: [.iocOperator], unit: report.iocUnitID)
      }
    }
    try Validation.line(caseID.rawValue, name: "caseID", maxLength: 100, required: true)
    guard let ioc = directory.units[report.iocUnitID] else {
      throw .unknownUnit(report.iocUnitID)
    }
    guard ioc.kind == .ioc else {
      throw .invalidField(name: "iocUnitID", reason: "\(ioc.name) is not an IOC centre")
    }
    guard let category = directory.categories[report.categoryID] else {
      throw .unknownCategory(report.categoryID)
    }
    guard category.isActive else {
      throw .invalidField(name: "categoryID", reason: "\(category.name) no longer accepts reports")
    }
    try validate(report, reporter: reporter, now: now, policy: policy)
    let reportedAt = report.reportedAt ?? now
    guard reportCode.day == LocalDay(of: now) else {
      throw .invalidField(
        name: "reportCode", reason: "\(reportCode) is not a code of \(LocalDay(of: now))")
    }

    let submission = CaseSubmission(
      caseID: caseID, reportCode: reportCode, iocUnitID: ioc.id, reporter: reporter,
      categoryID: category.id, title: report.title, description: report.description,
      location: report.location, isPublic: report.isPublic, linkedCaseID: report.linkedCaseID,
      reportedAt: reportedAt,
      platformReference: report.platformReference.isEmpty ? nil : report.platformReference)
    let entry = JournalEntry(
      caseID: caseID, sequence: 1, actor: actor.id,
      actorUnit: actor.user.kind == .staff ? ioc.id : nil, fromState: nil, toState: .received,
      fromHolder: nil, toHolder: .unit(ioc.id), content: report.description,
      attachments: report.attachments, notify: notify, at: now, event: .submitted(submission))
    return try creation(from: entry, directory: directory)
  }

  /// The transition that creates a case from its first journal entry (a submission, or a
  /// re-report opened by a verdict): the case replayed from the entry, the entry's state and
  /// holder as replayed, and the notifications.
  static func creation(from first: JournalEntry, directory: Directory) throws(WorkflowRefusal) -> Transition {
    var entry = first
    guard let created = CaseReplay.apply(entry, to: nil) else {
      throw .invalidField(name: "caseID", reason: "cannot create the case")
    }
    entry.toState = created.state
    entry.toHolder = created.holder
    let notifications = Notifications.make(
      for: entry, before: created, after: created, directory: directory)
    return Transition(newCase: created, entry: entry, notifications: notifications)
  }

  private static func validateCoordinates(_ location: Case.Location) throws(WorkflowRefusal) {
    switch (location.latitude, location.longitude) {
    case (nil, nil):
      return
    case (let lat?, let lon?):
      guard lat.isFinite, (-90...90).contains(lat) else {
        throw .invalidField(name: "location.latitude", reason: "must be within -90...90")
      }
      guard lon.isFinite, (-180...180).contains(lon) else {
        throw .invalidField(name: "location.longitude", reason: "must be within -180...180")
      }
    default:
      throw .invalidField(name: "location", reason: "latitude and longitude go together")
    }
  }
}
