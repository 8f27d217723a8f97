extension CaseWorkflow {
  /// Checks a reporter's verdict on case `c` and builds it (without the reopened case).
  ///
  /// Rules, in order: the actor's account is active; the case is published
  /// (``WorkflowRefusal/verdictNotOpen(current:)``); the actor is the account that submitted
  /// it (the platform's service account) or the reporting citizen
  /// (``WorkflowRefusal/notTheReporter(_:)``); the rating is 1 to 5 (`rating`); the comment
  /// fits the content limit (`comment`). One verdict per case is the store's to enforce.
  public static func checkVerdict(
    _ c: Case, by actor: Actor, rating: Int, comment: String, notResolved: Bool, now: Timestamp,
    policy: WorkflowPolicy = .standard
  ) -> Swift.Result<CaseVerdict, WorkflowRefusal> {
    do throws(WorkflowRefusal) {
      guard actor.user.isActive else { throw .inactiveAccount(actor.id) }
      guard c.state == .published else { throw .verdictNotOpen(current: c.state) }
      guard actor.id == c.submittedBy || (c.reporter.userID.map { $0 == actor.id } ?? false) else {
        throw .notTheReporter(actor.id)
      }
      guard CaseVerdict.ratings.contains(rating) else {
        throw .invalidField(name: "rating", reason: "must be 1 to 5")
      }
      try Validation.content(comment, policy: policy, name: "comment")
      return .success(
        CaseVerdict(
          caseID: c.id, unitID: c.outcomeUnitID, rating: rating, comment: comment,
          notResolved: notResolved, recordedBy: actor.id, recordedAt: now))
    } catch {
      return .failure(error)
    }
  }

  /// The re-report a "not resolved" verdict opens: a new case linked to `original`
  /// (``Case/linkedCaseID``), with the original's report (title, description, place,
  /// category, reporter, publicity), started directly at the unit that handled the original
  /// (``CaseState/atUnit``, held by that unit's leaders, a new task due after the category's
  /// processing time) rather than at the IOC. Its first entry is a submission by the verdict's
  /// relayer, with the reporter's comment as content; the unit's leaders are notified.
  ///
  /// - Parameters:
  ///   - caseID, reportCode: chosen by the store, as for a submission.
  public static func reopen(
    _ original: Case, verdict: CaseVerdict, caseID: CaseID, reportCode: ReportCode, by actor: Actor,
    now: Timestamp, policy: WorkflowPolicy = .standard, directory: Directory
  ) -> Swift.Result<Transition, WorkflowRefusal> {
    do throws(WorkflowRefusal) {
      guard verdict.notResolved, verdict.caseID == original.id else {
        throw .invalidField(name: "notResolved", reason: "only a \"not resolved\" verdict reopens a case")
      }
      guard reportCode.day == LocalDay(of: now) else {
        throw .invalidField(name: "reportCode", reason: "\(reportCode) is not a code of \(LocalDay(of: now))")
      }
      guard let unit = directory.units[verdict.unitID], unit.isHandlingUnit else {
        throw .notAHandlingUnit(verdict.unitID)
      }
      let processing =
        directory.categories[original.categoryID]?.defaultProcessingMilliseconds.flatMap { $0 > 0 ? $0 : nil }
        ?? policy.defaultHandlingMilliseconds
      let task = UnitTask(
        id: UnitTask.makeID(caseID: caseID, number: 1), caseID: caseID, unitID: unit.id,
        taskType: .fieldReport, receivedAt: now, start: now, due: now.adding(milliseconds: processing),
        returnBy: now.adding(milliseconds: policy.returnWindowMilliseconds))
      let submission = CaseSubmission(
        caseID: caseID, reportCode: reportCode, iocUnitID: original.iocUnitID,
        reporter: original.reporter, categoryID: original.categoryID, title: original.title,
        description: original.description, location: original.location,
        isPublic: original.isPublic, linkedCaseID: original.id, reportedAt: now,
        platformReference: original.platformReference, reopenedTask: task)
      let entry = JournalEntry(
        caseID: caseID, sequence: 1, actor: actor.id, actorUnit: nil, fromState: nil,
        toState: .atUnit, fromHolder: nil, toHolder: .unit(unit.id),
        content: ClosureWording.reopenedContent(verdict: verdict), attachments: [], notify: false,
        at: now, event: .submitted(submission))
      return .success(try creation(from: entry, directory: directory))
    } catch {
      return .failure(error)
    }
  }
}
