/// Who sees what (DOMAIN.md, "Who sees what"), as pure predicates and redactions.
///
/// - The reporter's identity reaches the IOC only (and the reporter, and the account that
///   submitted the report on their behalf); everyone else sees ``Case/Reporter/anonymous``.
/// - A case is in public listings only once published publicly, if public and not marked
///   "do not publish"; non-public cases never are.
/// - Staff with an approved role at a unit see every case held by or passed through it;
///   people on the assignment and monitoring recipients see the cases they are on.
/// - Citizens see their own reports and public results. System admins see every case, but not
///   reporters.
///
/// A viewer of `nil` is the public (not signed in). A disabled account is treated as the public.
public enum CaseVisibility {
  /// The id shown in place of a hidden reporter's account.
  public static let hiddenUserID: UserID = "hidden"

  /// Whether the case may appear in public listings.
  public static func isPubliclyListed(_ c: Case) -> Bool {
    c.state == .published && (c.publication?.publicly ?? false) && c.isPublic
      && !(c.assignment?.doNotPublish ?? false)
  }

  /// Whether `viewer` acts for the case's IOC centre.
  public static func isIOC(_ viewer: Actor?, of c: Case) -> Bool {
    guard let viewer, viewer.user.isActive else { return false }
    return viewer.has(.iocOperator, at: c.iocUnitID)
  }

  /// Whether `viewer` may see the reporter's identity.
  public static func canSeeReporter(_ c: Case, viewer: Actor?) -> Bool {
    guard let viewer, viewer.user.isActive else { return false }
    return isIOC(viewer, of: c) || c.reporter.userID == viewer.id || c.submittedBy == viewer.id
  }

  /// Whether `viewer` works on the case: the IOC, a system admin, staff of a unit it passed
  /// through, someone on its assignment, or a monitoring recipient.
  private static let staffRoles: [RoleGrant.Role] = [.leader, .officer, .unitAdmin]

  public static func isInternal(_ c: Case, viewer: Actor?) -> Bool {
    guard let viewer, viewer.user.isActive else { return false }
    if isIOC(viewer, of: c) || viewer.isSystemAdmin { return true }
    if c.unitsPassedThrough.contains(where: { viewer.hasAny(of: staffRoles, at: $0) }) {
      return true
    }
    if c.assignment?.hasParticipant(viewer.id) ?? false { return true }
    return c.monitoring?.recipients.contains(viewer.id) ?? false
  }

  /// Whether `viewer` may see the case at all.
  public static func canSee(_ c: Case, viewer: Actor?) -> Bool {
    if isPubliclyListed(c) { return true }
    guard let viewer, viewer.user.isActive else { return false }
    if c.reporter.userID == viewer.id || c.submittedBy == viewer.id { return true }
    return isInternal(c, viewer: viewer)
  }

  /// Whether `viewer` may see a journal entry of case `c` (assuming they may see the case).
  ///
  /// People working on the case see every entry but others' drafts (journaled only by older
  /// versions, see ``JournalEvent/draftSaved``); the reporter, the
  /// submitting platform and the public see only submission, rejection and publication, and
  /// the holds waiting for the citizen (the request for information) with their resumption.
  public static func canSee(_ entry: JournalEntry, of c: Case, viewer: Actor?) -> Bool {
    guard canSee(c, viewer: viewer) else { return false }
    if isInternal(c, viewer: viewer) {
      return entry.action != .saveDraft || entry.actor == viewer?.id
    }
    switch entry.event {
    case .submitted, .rejected, .published: return true
    // The platform relays a request for information to the citizen, and the answer back.
    case .clockHeld(let kind): return kind == .awaitingCitizen
    case .clockResumed:
      return c.tasks.contains { task in
        task.holds.contains { $0.kind == .awaitingCitizen && $0.resumedAt == entry.at }
      }
    default: return false
    }
  }
}

extension Case {
  /// This case as `viewer` may see it: the reporter hidden from all but the IOC (and the
  /// reporter and submitter), and internal working data
  /// (assignment, contributions, monitoring, tasks, unpublished result) removed for people
  /// who do not work on the case. Callers must still check ``CaseVisibility/canSee(_:viewer:)``.
  public func redacted(for viewer: Actor?) -> Case {
    var c = self
    if !CaseVisibility.canSeeReporter(self, viewer: viewer) {
      if let reporterAccount = c.reporter.userID, reporterAccount == c.submittedBy {
        c.submittedBy = CaseVisibility.hiddenUserID
      }
      c.reporter = .anonymous
      if case .submit = c.previousStep?.action { c.previousStep = nil }
    }
    if !CaseVisibility.isInternal(self, viewer: viewer) {
      c.assignment = nil
      c.contributions = []
      c.monitoring = nil
      c.tasks = []
      c.previousStep = nil
      if c.state != .published { c.result = nil }
      c.holder = visibleHolder(isInternal: false)
    }
    return c
  }

  /// The holder as a viewer sees it: people who do not work on the case see the unit only.
  public func visibleHolder(isInternal: Bool) -> Holder {
    isInternal ? holder : holder.unitID.map(Holder.unit) ?? .nobody
  }

  /// The title a viewer sees: the current unit task's title for people who work on the case
  /// (others see no tasks), else the report's own.
  public func visibleTitle(isInternal: Bool) -> String {
    (isInternal ? tasks.last?.title : nil) ?? title
  }
}

extension JournalEntry {
  /// This entry as `viewer` may see it: the submission's reporter (and a citizen submitter's
  /// account) hidden from all but the IOC, the reporter and the submitter; the IOC's note on a
  /// publication (the entry's content, the IOC's own record) hidden from people who do not
  /// work on the case, who see the published text only.
  public func redacted(for viewer: Actor?, of c: Case) -> JournalEntry {
    var entry = self
    // Only entries that record the published text apart: older ones kept it as their content.
    if case .published(_, _?) = entry.event, !CaseVisibility.isInternal(c, viewer: viewer) {
      entry.content = ""
    }
    guard !CaseVisibility.canSeeReporter(c, viewer: viewer) else { return entry }
    if case .submitted(var submission) = entry.event {
      if let account = submission.reporter.userID, account == entry.actor {
        entry.actor = CaseVisibility.hiddenUserID
      }
      submission.reporter = .anonymous
      entry.event = .submitted(submission)
    }
    return entry
  }
}
