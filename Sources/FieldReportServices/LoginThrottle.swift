public import FieldReportStore
import FieldReportWorkflow
public import Logging

/// Sliding-window limits on failed logins, per account and per peer address: the rule (which
/// keys, which limits, which window) lives here, the counts in the store's
/// ``FieldReportStore/AttemptCounter`` (in memory for SQLite, in the database for PostgreSQL,
/// so attempts spread over replicas count once, together).
///
/// A brute-force brake next to the slow password hash: in memory, a restart forgets the
/// counts, and the counter bounds the keys it keeps.
///
/// # Thread safety
/// `Sendable`; all methods may be called concurrently (the counter synchronizes).
public struct LoginThrottle: Sendable {
  private let counter: any AttemptCounter
  private let limits: ServiceLimits
  private let logger: Logger

  /// Creates a throttle with the limits' thresholds and window, counting in `counter`.
  public init(limits: ServiceLimits, counter: any AttemptCounter, logger: Logger) {
    self.limits = limits
    self.counter = counter
    self.logger = logger
  }

  /// How long the caller must wait before trying again, or nil when an attempt is allowed.
  /// - Throws: ``FieldReportStore/StoreError`` when the counts cannot be read.
  func retryDelay(account: String, peer: String, now: Timestamp) async throws -> Int64? {
    let window = self.limits.failedLoginWindowMilliseconds
    let delays = [
      try await counter.delay("a:" + account, limit: self.limits.failedLoginsPerAccount, window: window, now: now),
      try await counter.delay("p:" + peer, limit: self.limits.failedLoginsPerPeer, window: window, now: now),
    ]
    return delays.compactMap { $0 }.max()
  }

  /// Records a failed attempt against the account and the peer (a failure to count is logged:
  /// the caller is told about their login, not about the counter).
  func recordFailure(account: String, peer: String, now: Timestamp) async {
    let window = self.limits.failedLoginWindowMilliseconds
    do {
      try await counter.record("a:" + account, now: now, window: window)
      try await counter.record("p:" + peer, now: now, window: window)
    } catch {
      logger.warning("a failed login could not be counted", metadata: ["error": "\(error)"])
    }
  }

  /// Forgets an account's failures after a successful login.
  func recordSuccess(account: String) async {
    do {
      try await counter.remove("a:" + account)
    } catch {
      logger.warning("a login's earlier failures could not be forgotten", metadata: ["error": "\(error)"])
    }
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
