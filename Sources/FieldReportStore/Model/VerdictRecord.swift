public import FieldReportWorkflow

/// What ``FieldReportStore/recordVerdict(_:idempotencyKey:reopen:)`` stored (or had stored).
public struct VerdictRecord: Sendable {
  /// The verdict as stored (with the reopened case's id when one was opened).
  public var verdict: CaseVerdict
  /// The re-report a "not resolved" verdict opened, as stored now; nil otherwise.
  public var reopened: Case?
  /// True when this answers a retry with the same idempotency key: nothing was written.
  public var isReplay: Bool

  public init(verdict: CaseVerdict, reopened: Case?, isReplay: Bool) {
    self.verdict = verdict
    self.reopened = reopened
    self.isReplay = isReplay
  }
}
