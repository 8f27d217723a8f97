public import FieldReportWorkflow

/// What the store answers for a create or apply: the stored case and its stored entry.
public struct CaseChangeResult: Hashable, Codable, Sendable {
  /// The case as stored after the change.
  public var storedCase: Case
  /// The journal entry as stored (with its event sequence and hash).
  public var entry: StoredJournalEntry
  /// True when this answer is the recorded result of an earlier request with the same
  /// idempotency key: nothing was written this time.
  public var isReplay: Bool

  /// Creates a result.
  public init(storedCase: Case, entry: StoredJournalEntry, isReplay: Bool) {
    self.storedCase = storedCase
    self.entry = entry
    self.isReplay = isReplay
  }
}
