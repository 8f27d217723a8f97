import Synchronization

/// How many calls are left and until when: every worker takes a ticket before each call,
/// so the run stops by itself at whichever bound comes first.
///
/// # Thread safety
/// The count is an atomic; the deadline is immutable.
final class LoadBudget: Sendable {
  private let remaining: Atomic<Int>
  /// When the run stops taking new calls.
  let deadline: ContinuousClock.Instant

  /// - Parameters:
  ///   - calls: The most calls to make.
  ///   - duration: The longest the run may last.
  init(calls: Int, duration: Duration) {
    self.remaining = Atomic(calls)
    self.deadline = ContinuousClock.now + duration
  }

  /// Takes one call from the budget; false once the count or the time is used up.
  func take() -> Bool {
    guard ContinuousClock.now < self.deadline else { return false }
    return self.remaining.subtract(1, ordering: .relaxed).newValue >= 0
  }
}
