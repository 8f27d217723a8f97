import NIOConcurrencyHelpers
import NIOCore

/// The server-wide budget of buffered request bytes: what every connection's incomplete
/// large frames may hold at once.
///
/// A connection reserves a frame's *declared* length when the frame's header arrives and its
/// payload has not (frames of at most ``freeBelow`` bytes are not counted: a read's own
/// buffer holds them), and releases it when the frame completes, is refused, or the
/// connection closes. A reservation that does not fit is refused (the call is answered
/// `RESOURCE_EXHAUSTED`), and the holder that has gone longest without receiving a byte is
/// closed if it has been stalled for at least ``stallBeforeEviction``, so that slow or
/// stopped senders cannot keep the budget from well-behaved ones.
///
/// Thread-safe: one lock, taken only for frames over ``freeBelow`` bytes.
public final class InboundMemoryBudget: Sendable {
  /// Frames of at most this many bytes are not counted (64 KiB).
  public static let freeBelow = 64 * 1024

  /// The budget in bytes.
  public let limit: Int
  /// How long a holder must have received nothing before a refused reservation closes it.
  public let stallBeforeEviction: Duration

  private struct Holder {
    var bytes: Int
    var lastProgress: NIODeadline
    /// Closes the holder's connection (runs the close on its event loop).
    var evict: @Sendable () -> Void
  }

  private struct State {
    var used = 0
    var holders: [ObjectIdentifier: Holder] = [:]
  }

  private let state = NIOLockedValueBox(State())

  /// Creates a budget of `limit` bytes.
  public init(limit: Int, stallBeforeEviction: Duration = .seconds(1)) {
    self.limit = limit
    self.stallBeforeEviction = stallBeforeEviction
  }

  /// The bytes reserved now.
  public var used: Int { self.state.withLockedValue { $0.used } }

  /// Reserves `bytes` for `holder` (one reservation per holder at a time).
  /// - Returns: `true` if reserved. When it does not fit, the longest-stalled holder (stalled
  ///   for at least ``stallBeforeEviction``) is evicted, and `false` is returned: the frame
  ///   is refused now, and a retry finds the evicted holder's bytes free.
  func reserve(
    _ bytes: Int, for holder: ObjectIdentifier, now: NIODeadline, evict: @escaping @Sendable () -> Void
  ) -> Bool {
    let stall = TimeAmount.microseconds(self.stallBeforeEviction.microseconds)
    let (reserved, victim) = self.state.withLockedValue { state -> (Bool, (@Sendable () -> Void)?) in
      if let earlier = state.holders.removeValue(forKey: holder) { state.used -= earlier.bytes }
      if state.used + bytes <= self.limit {
        state.used += bytes
        state.holders[holder] = Holder(bytes: bytes, lastProgress: now, evict: evict)
        return (true, nil)
      }
      guard
        let (id, oldest) = state.holders.min(by: { $0.value.lastProgress < $1.value.lastProgress }),
        oldest.lastProgress + stall <= now
      else { return (false, nil) }
      // Evicted: its bytes are free at once; its connection closes on its own loop.
      state.used -= oldest.bytes
      state.holders[id] = nil
      return (false, oldest.evict)
    }
    victim?()
    return reserved
  }

  /// Records that `holder`'s frame received bytes.
  func progress(_ holder: ObjectIdentifier, now: NIODeadline) {
    self.state.withLockedValue { $0.holders[holder]?.lastProgress = now }
  }

  /// Releases `holder`'s reservation, if it still has one.
  func release(_ holder: ObjectIdentifier) {
    self.state.withLockedValue { state in
      if let held = state.holders.removeValue(forKey: holder) { state.used -= held.bytes }
    }
  }
}
