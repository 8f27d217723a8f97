import FieldReportWorkflow
import Synchronization

/// In-memory sliding-window limits on failed logins, per account and per peer address.
///
/// A server restart forgets the counts; that is acceptable for a brute-force brake (the slow
/// password hash is the other). Memory is bounded: expired attempts are pruned, and at most
/// ``maximumKeys`` accounts and peers are tracked (the oldest are forgotten first).
///
/// # Thread safety
/// All methods may be called concurrently (a `Mutex` guards the counts).
public final class LoginThrottle: Sendable {
  private let state: Mutex<SlidingWindowCounts>
  private let limits: ServiceLimits
  /// The most accounts plus peers tracked at once.
  let maximumKeys = 100_000

  /// Creates a throttle with the limits' thresholds and window.
  public init(limits: ServiceLimits) {
    self.limits = limits
    self.state = Mutex(SlidingWindowCounts(maximumKeys: self.maximumKeys))
  }

  /// How long the caller must wait before trying again, or nil when an attempt is allowed.
  func retryDelay(account: String, peer: String, now: Timestamp) -> Int64? {
    let window = self.limits.failedLoginWindowMilliseconds
    return self.state.withLock { state -> Int64? in
      let delays = [
        state.delay("a:" + account, limit: self.limits.failedLoginsPerAccount, window: window, now: now.millisecondsSince1970),
        state.delay("p:" + peer, limit: self.limits.failedLoginsPerPeer, window: window, now: now.millisecondsSince1970),
      ].compactMap { $0 }
      return delays.max()
    }
  }

  /// Records a failed attempt against the account and the peer.
  func recordFailure(account: String, peer: String, now: Timestamp) {
    let window = self.limits.failedLoginWindowMilliseconds
    self.state.withLock { state in
      state.record("a:" + account, now: now.millisecondsSince1970, window: window)
      state.record("p:" + peer, now: now.millisecondsSince1970, window: window)
    }
  }

  /// Forgets an account's failures after a successful login.
  func recordSuccess(account: String) {
    self.state.withLock { $0.remove("a:" + account) }
  }

  /// The address part of a peer description (`[IPv4]10.0.0.7:50312` → `[IPv4]10.0.0.7`):
  /// a client reconnecting from another port is the same peer.
  static func peerAddress(_ peer: String) -> String {
    guard let colon = peer.lastIndex(of: ":"),
      peer[peer.index(after: colon)...].allSatisfy(\.isNumber)
    else { return peer }
    return String(peer[..<colon])
  }
}
