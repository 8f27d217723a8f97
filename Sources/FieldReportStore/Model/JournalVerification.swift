/// The outcome of checking a case's journal hash chain.
public enum JournalVerification: Hashable, Sendable {
  /// Every entry is present, in order, unaltered; `headHashHex` is the last entry's hash.
  case intact(entries: Int, headHashHex: String)
  /// The chain is broken at entry `sequence` (1-based) for `reason`.
  case broken(sequence: Int64, reason: String)

  /// Whether the chain verified.
  public var isIntact: Bool {
    if case .intact = self { return true }
    return false
  }
}
