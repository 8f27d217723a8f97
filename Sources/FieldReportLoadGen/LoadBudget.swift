import Synchronization

/// How many calls are left and until when: every worker takes a ticket before each call,
/// so the run stops by itself at whichever bound comes first.
///
/// # Thread safety
/// The count is an atomic; the deadline is immutable.
final class LoadBudget: Sendable {
  private let remaining: Atomic<Int>
  /// When the run started taking calls.
  let start: ContinuousClock.Instant
  /// When the run stops taking new calls.
  let deadline: ContinuousClock.Instant

  /// - Parameters:
  ///   - calls: The most calls to make.
  ///   - duration: The longest the run may last.
  init(calls: Int, duration: Duration, start: ContinuousClock.Instant = .now) {
    self.remaining = Atomic(calls)
    self.start = start
    self.deadline = start + duration
  }

  /// Takes one call from the budget; false once the count or the time is used up.
  func take() -> Bool {
    guard ContinuousClock.now < self.deadline else { return false }
    return self.remaining.subtract(1, ordering: .relaxed).newValue >= 0
  }

  /// Whether time is up (the count is not consulted).
  var expired: Bool { ContinuousClock.now >= self.deadline }
}

/// A shared counter (an `Atomic` in a class, so that tasks can capture it).
final class Counter: Sendable {
  private let value = Atomic<Int>(0)

  var current: Int { self.value.load(ordering: .relaxed) }

  func add(_ amount: Int = 1) { self.value.add(amount, ordering: .relaxed) }

  func subtract(_ amount: Int = 1) { self.value.subtract(amount, ordering: .relaxed) }
}

/// SplitMix64: a fast generator for choosing operations and cases (the system generator costs
/// a system call per number, which shows at tens of thousands of calls per second).
struct FastRandom: RandomNumberGenerator {
  private var state: UInt64

  /// Seeded from the system generator, mixed with `stream` (e.g. the worker's number).
  init(stream: Int = 0) {
    var system = SystemRandomNumberGenerator()
    self.state = system.next() ^ (UInt64(truncatingIfNeeded: stream) &* 0x9E37_79B9_7F4A_7C15)
  }

  mutating func next() -> UInt64 {
    self.state &+= 0x9E37_79B9_7F4A_7C15
    var z = self.state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
