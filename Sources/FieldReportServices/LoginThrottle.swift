public import FieldReportStore
import FieldReportWorkflow
public import Logging
import Synchronization

/// Sliding-window limits on failed logins, per account and per peer address: the rule (which
/// keys, which limits, which window) lives here, the counts in the store's
/// ``FieldReportStore/AttemptCounter`` (in memory for SQLite, in the database for PostgreSQL,
/// so attempts spread over replicas count once, together).
///
/// A brute-force brake next to the slow password hash: in memory, a restart forgets the
/// counts, and the counter bounds the keys it keeps.
///
/// # Thread safety
/// `Sendable`; all methods may be called concurrently (the counter and ``AttemptsUnderWay``
/// synchronize).
public struct LoginThrottle: Sendable {
  private let counter: any AttemptCounter
  private let limits: ServiceLimits
  private let logger: Logger
  private let inFlight = AttemptsUnderWay()

  /// Creates a throttle with the limits' thresholds and window, counting in `counter`.
  public init(limits: ServiceLimits, counter: any AttemptCounter, logger: Logger) {
    self.limits = limits
    self.counter = counter
    self.logger = logger
  }

  /// What became of a password attempt made through ``attempt(account:peer:now:check:)``.
  enum Outcome<Accepted> {
    /// The password was right: what the check answered.
    case accepted(Accepted)
    /// The password was wrong (counted against the account and the peer).
    case refused
    /// Not checked: too many failures, or too many attempts under way at once; the caller may
    /// try again after this many milliseconds.
    case throttled(retryAfterMilliseconds: Int64)
  }

  /// Makes one password attempt for `account` from `peer`: refuses it without running `check`
  /// while the account or the peer is over its limit, otherwise runs `check` (a value: the
  /// password was right; nil: it was wrong) and counts a failure or forgets the account's
  /// failures.
  ///
  /// Attempts under way count against the limits as if they had failed: without that, many
  /// attempts sent at once (pipelined on one connection, or over many) would all pass the
  /// check before the first failure was counted, and a password check is slow by design.
  /// A peer's attempt under way counts only in this process; across replicas each adds its own.
  /// - Throws: ``FieldReportStore/StoreError`` when the counts cannot be read; what `check`
  ///   throws (the attempt is then not counted as a failure).
  func attempt<Accepted>(
    account: String, peer: String, now: Timestamp, check: () async throws -> Accepted?
  ) async throws -> Outcome<Accepted> {
    let keys = ["a:" + account, "p:" + peer]
    let caps = [self.limits.failedLoginsPerAccount, self.limits.failedLoginsPerPeer]
    let ahead = inFlight.enter(keys)
    defer { inFlight.leave(keys) }
    let window = self.limits.failedLoginWindowMilliseconds
    var delays: [Int64] = []
    for (index, key) in keys.enumerated() {
      let room = caps[index] - ahead[index]
      if room <= 0 {
        // Enough attempts already under way to reach the limit: they end within a password
        // check, so a second is enough to wait.
        delays.append(Self.underWayDelayMilliseconds)
      } else if let delay = try await counter.delay(key, limit: room, window: window, now: now) {
        delays.append(delay)
      }
    }
    if let delay = delays.max() { return .throttled(retryAfterMilliseconds: delay) }
    guard let accepted = try await check() else {
      await recordFailure(keys: keys, now: now)
      return .refused
    }
    await recordSuccess(accountKey: keys[0])
    return .accepted(accepted)
  }

  /// The retry delay suggested when attempts under way fill the limit.
  static let underWayDelayMilliseconds: Int64 = 1_000

  /// Records a failed attempt against the account and the peer (a failure to count is logged:
  /// the caller is told about their login, not about the counter).
  private func recordFailure(keys: [String], now: Timestamp) async {
    let window = self.limits.failedLoginWindowMilliseconds
    do {
      for key in keys { try await counter.record(key, now: now, window: window) }
    } catch {
      logger.warning("a failed login could not be counted", metadata: ["error": "\(error)"])
    }
  }

  /// Forgets an account's failures after a successful login.
  private func recordSuccess(accountKey: String) async {
    do {
      try await counter.remove(accountKey)
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

/// How many password attempts are under way per throttle key, in this process.
///
/// # Thread safety
/// A `Mutex` guards the counts; a key leaves the map when its last attempt ends.
final class AttemptsUnderWay: Sendable {
  private let counts = Mutex<[String: Int]>([:])

  /// Counts one more attempt of each key; answers how many were already under way for each.
  func enter(_ keys: [String]) -> [Int] {
    counts.withLock { counts in
      keys.map { key in
        let ahead = counts[key, default: 0]
        counts[key] = ahead + 1
        return ahead
      }
    }
  }

  /// Ends one attempt of each key.
  func leave(_ keys: [String]) {
    counts.withLock { counts in
      for key in keys {
        let left = counts[key, default: 1] - 1
        counts[key] = left > 0 ? left : nil
      }
    }
  }
}
