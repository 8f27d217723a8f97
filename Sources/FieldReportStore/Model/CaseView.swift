public import FieldReportWorkflow

/// How a case is looked up: by id or by report code.
public enum CaseKey: Hashable, Sendable {
  case id(CaseID)
  case code(ReportCode)
}

/// A case with what its detail shows, read from one snapshot
/// (``FieldReportStore/caseView(_:draftAuthor:)``).
public struct CaseView: Hashable, Sendable {
  /// The case.
  public var `case`: Case
  /// Its journal, oldest first.
  public var journal: [StoredJournalEntry]
  /// The later cases that re-report it, oldest report first (not yet filtered for a viewer).
  public var rereports: [Case]
  /// The main handler's draft, when asked for by the main handler.
  public var draft: CaseDraft?
  /// The cases closed as duplicates of it (links of kind `duplicates`), oldest report first.
  public var duplicates: [CaseID]
  /// The reporter's verdict on it, if one was recorded (published cases only).
  public var verdict: CaseVerdict?

  public init(
    case: Case, journal: [StoredJournalEntry], rereports: [Case], draft: CaseDraft?, duplicates: [CaseID] = [],
    verdict: CaseVerdict? = nil
  ) {
    self.case = `case`
    self.journal = journal
    self.rereports = rereports
    self.draft = draft
    self.duplicates = duplicates
    self.verdict = verdict
  }
}

/// What an action on a case starts from (``FieldReportStore/actionStart(caseID:idempotencyKey:)``).
public enum ActionStart: Sendable {
  /// The key was used before: the first answer.
  case replay(CaseChangeResult)
  /// The case as it is now, or nil when there is none.
  case current(Case?)
}
