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
  private struct State: ~Copyable {
    var failures: [String: [Int64]] = [:]
  }

  private let state = Mutex(State())
  private let limits: ServiceLimits
  /// The most accounts plus peers tracked at once.
  let maximumKeys = 100_000

  /// Creates a throttle with the limits' thresholds and window.
  public init(limits: ServiceLimits) {
    self.limits = limits
  }

  /// How long the caller must wait before trying again, or nil when an attempt is allowed.
  func retryDelay(account: String, peer: String, now: Timestamp) -> Int64? {
    let window = self.limits.failedLoginWindowMilliseconds
    let since = now.millisecondsSince1970 - window
    return self.state.withLock { state -> Int64? in
      var delay: Int64?
      for (key, limit) in [("a:" + account, self.limits.failedLoginsPerAccount), ("p:" + peer, self.limits.failedLoginsPerPeer)] {
        let recent = (state.failures[key] ?? []).filter { $0 > since }
        if recent.count >= limit, let oldest = recent.first {
          // The attempt becomes possible when the oldest counted failure leaves the window.
          let wait = max(1, oldest + window - now.millisecondsSince1970)
          delay = max(delay ?? 0, wait)
        }
      }
      return delay
    }
  }

  /// Records a failed attempt against the account and the peer.
  func recordFailure(account: String, peer: String, now: Timestamp) {
    let since = now.millisecondsSince1970 - self.limits.failedLoginWindowMilliseconds
    self.state.withLock { state in
      if state.failures.count >= self.maximumKeys {
        state.failures = state.failures.filter { $0.value.last.map { $0 > since } ?? false }
        while state.failures.count >= self.maximumKeys, let key = state.failures.keys.first {
          state.failures[key] = nil
        }
      }
      for key in ["a:" + account, "p:" + peer] {
        var recent = (state.failures[key] ?? []).filter { $0 > since }
        recent.append(now.millisecondsSince1970)
        state.failures[key] = recent
      }
    }
  }

  /// Forgets an account's failures after a successful login.
  func recordSuccess(account: String) {
    _ = self.state.withLock { $0.failures.removeValue(forKey: "a:" + account) }
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
