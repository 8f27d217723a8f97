import NIOCore

/// When a connection's one deadline timer fires, as a value: one timer serves the deadlines of
/// every call in flight on a connection, client or server, instead of a task scheduled on the
/// event loop for each call.
///
/// A task per call cost more than the rest of the call's bookkeeping: scheduling it inserts into
/// the event loop's timer heap, and cancelling it when the call ends (nearly always long before
/// its deadline) searches the heap and sifts it, copying scheduled tasks. In a profile of the
/// load generator at 64 calls in flight that was a fifth of its CPU time (docs/PERFORMANCE.md).
///
/// Here the timer is armed for the earliest deadline known when it is armed. A call that ends
/// leaves it armed: it fires, finds nothing due, and is armed again for the earliest deadline
/// still in flight. A call whose deadline is earlier than the armed time re-arms it. So a
/// connection whose calls share one timeout arms its timer about once per timeout, whatever
/// its call rate, and a call's deadline is still enforced at its time.
///
/// It reads no clock and schedules nothing: the connection handler passes the time and the
/// deadlines of its calls, and schedules (or cancels) what the answers say.
struct CallDeadlineTimer {
  /// When the timer is armed to fire; nil while it is not armed.
  private(set) var armedAt: NIODeadline?

  /// A call with `deadline` started.
  /// - Returns: When to arm the timer, replacing the armed one; nil if it is armed for that
  ///   time or earlier (it then fires first, and is armed again for this call if it is still in
  ///   flight).
  mutating func callStarted(deadline: NIODeadline) -> NIODeadline? {
    if let armedAt = self.armedAt, armedAt <= deadline { return nil }
    self.armedAt = deadline
    return deadline
  }

  /// The timer fired at `now`.
  /// - Parameter deadlines: The id and deadline of every call still in flight that has one
  ///   (calls that already ended must not be among them).
  /// - Returns: The calls whose deadline has passed, in id order (end them with
  ///   `DEADLINE_EXCEEDED`), and when to arm the timer next: the earliest deadline left, or nil
  ///   when no call with a deadline is left.
  mutating func fired(
    now: NIODeadline, deadlines: some Sequence<(id: UInt32, deadline: NIODeadline)>
  ) -> (expired: [UInt32], next: NIODeadline?) {
    var expired: [UInt32] = []
    var next: NIODeadline?
    for (id, deadline) in deadlines {
      if deadline <= now {
        expired.append(id)
      } else if next.map({ deadline < $0 }) ?? true {
        next = deadline
      }
    }
    expired.sort()
    self.armedAt = next
    return (expired, next)
  }

  /// The connection closed: the timer is no longer armed (the handler cancels it).
  mutating func disarm() {
    self.armedAt = nil
  }
}
