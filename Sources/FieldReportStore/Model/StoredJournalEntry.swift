public import FieldReportWorkflow

/// A journal entry as stored: with its place in the global event order and its chain hash.
public struct StoredJournalEntry: Hashable, Codable, Sendable {
  /// The global, strictly increasing event number across all cases (the WatchEvents cursor).
  public var eventSequence: Int64
  /// The entry.
  public var entry: JournalEntry
  /// Lowercase hex SHA-256 of the previous entry of the same case (64 zeros for the first).
  public var previousHashHex: String
  /// Lowercase hex SHA-256 of this entry (see the store's journal-chain documentation).
  public var hashHex: String

  /// Creates a stored entry.
  public init(eventSequence: Int64, entry: JournalEntry, previousHashHex: String, hashHex: String) {
    self.eventSequence = eventSequence
    self.entry = entry
    self.previousHashHex = previousHashHex
    self.hashHex = hashHex
  }
}
