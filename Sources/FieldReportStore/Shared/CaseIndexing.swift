package import FieldReportWorkflow

/// What a stored case is indexed by, derived from its body by one set of rules for every
/// engine: the folded search text, the link rows (`case_links`) and a task's timeliness.
package enum CaseIndexing {
  /// The folded text a case's free-text search matches (report code, title, description,
  /// address).
  package static func searchText(of stored: Case) -> String {
    TextFolding.fold(
      [stored.reportCode.rawValue, stored.title, stored.description, stored.location.address]
        .joined(separator: " "))
  }

  /// Whether two versions of a case have the same ``searchText(of:)`` because the fields it is
  /// folded from are equal (no folding needed to tell). A SQLite update then keeps the row's
  /// stored text, so a change to the folding itself (``TextFolding``) must come with a migration
  /// that folds every row again: updates no longer refresh it.
  package static func searchesTheSame(_ a: Case, _ b: Case) -> Bool {
    a.reportCode == b.reportCode && a.title == b.title && a.description == b.description
      && a.location.address == b.location.address
  }

  /// One `case_links` row's identity (with the case's id and report time).
  package struct Link: Hashable, Sendable {
    /// `holder`, `unit` (passed through or current), `participant` (on the assignment),
    /// `submitter`, `rereports` (the earlier case a re-report links to), or `duplicates` (the
    /// original of a case closed as its duplicate).
    package var kind: String
    /// The person, unit or earlier case linked.
    package var subject: String

    package init(kind: String, subject: String) {
      self.kind = kind
      self.subject = subject
    }
  }

  /// The one link kind whose rows do not carry their case's step start and are not in the
  /// partial index `case_links_by_step` (SQLite schema version 15): `submitter`. Every step
  /// moved each of a case's link rows in that index, its two submitter rows (the platform
  /// account's and the citizen's) too; a submitter's listing defaults to newest report first
  /// (the primary key's order) and in step order sorts the submitter's cases, as every link
  /// listing does in the due and update orders. Its rows' `step_started` is 0 on SQLite.
  package static let unsteppedKind = "submitter"

  /// The condition on `case_links` (columns qualified by `alias`) that the partial index's
  /// definition and every listing that walks it state, term for term: SQLite uses a partial
  /// index only for a query whose WHERE clause contains the index's condition. A single
  /// comparison: an `IN` list made every insert, update and delete of a link row build a
  /// temporary b-tree to test it (`EXPLAIN`).
  package static func stepIndexCondition(alias: String) -> String {
    "\(alias.isEmpty ? "" : alias + ".")kind <> '\(unsteppedKind)'"
  }

  /// Whether rows of this link kind carry the case's step start (every kind but
  /// ``unsteppedKind``).
  package static func isStepped(_ kind: String) -> Bool { kind != unsteppedKind }

  /// Every link row a case has now.
  package static func links(of stored: Case) -> Set<Link> {
    var links: Set<Link> = []
    for user in stored.holder.userIDs { links.insert(Link(kind: "holder", subject: user.rawValue)) }
    for unit in stored.unitsPassedThrough + [stored.currentUnitID] {
      links.insert(Link(kind: "unit", subject: unit.rawValue))
    }
    if let assignment = stored.assignment {
      for user in assignment.participants { links.insert(Link(kind: "participant", subject: user.rawValue)) }
    }
    links.insert(Link(kind: "submitter", subject: stored.submittedBy.rawValue))
    // A re-report points at the earlier case: that case's detail lists it.
    if let earlier = stored.linkedCaseID { links.insert(Link(kind: "rereports", subject: earlier.rawValue)) }
    // A case closed as a duplicate points at its original (schema 12; PostgreSQL 4): the
    // original's detail lists it, and its publication reaches the duplicate's reporter.
    if let original = stored.rejection?.duplicateOf {
      links.insert(Link(kind: "duplicates", subject: original.rawValue))
    }
    if let reporter = stored.reporter.userID { links.insert(Link(kind: "submitter", subject: reporter.rawValue)) }
    return links
  }

  /// An ended case's `case_outcomes` row (schema version 12; PostgreSQL 4).
  package struct OutcomeRow: Hashable, Sendable {
    /// The unit the outcome counts for (``Case/outcomeUnitID``).
    package var unitID: String
    /// ``CaseOutcome``'s raw value.
    package var outcome: String
    /// When the case ended, Unix milliseconds.
    package var endedAt: Int64
  }

  /// The `case_outcomes` row of an ended case; nil while it is open (an ended case never
  /// reopens: a re-report is a new case).
  package static func outcomeRow(of stored: Case) -> OutcomeRow? {
    guard let outcome = stored.outcome, let ended = stored.endedAt else { return nil }
    return OutcomeRow(
      unitID: stored.outcomeUnitID.rawValue, outcome: outcome.rawValue,
      endedAt: ended.millisecondsSince1970)
  }

  /// The workflow's ``Timeliness`` raw value for a completed task; `not_counted` for a task
  /// returned to the IOC (the unit was not competent: it says nothing about timeliness, as in
  /// ``Deadlines/statistics(_:now:policy:)``); nil while open.
  package static func timeliness(of task: UnitTask, policy: WorkflowPolicy) -> String? {
    guard let completed = task.completedAt else { return nil }
    if task.outcome == .returnedToIoc { return "not_counted" }
    // Held time excluded (the workflow's rule, ``Deadlines/timeliness(of:policy:)``).
    return (Deadlines.timeliness(of: task, policy: policy)
      ?? Deadlines.classify(completedAt: completed, due: task.due, policy: policy)).rawValue
  }
}
