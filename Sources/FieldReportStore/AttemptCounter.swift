public import FieldReportWorkflow
import Synchronization

/// Where a throttle counts attempts: event times per key within a sliding window.
///
/// The throttles of the services (failed logins, new reports per reporter) own their rules
/// (the limits, the windows, what a key is); the store they run on owns the counts, because
/// only the store knows how many processes share them. A store one process owns (SQLite)
/// counts in memory (``InMemoryAttemptCounter``); a store that several replicas share
/// (PostgreSQL) counts in the database, so attempts spread over the replicas reach a limit at
/// the same total as attempts on one.
///
/// # Thread safety
/// Implementations are `Sendable`; every method may be called concurrently.
public protocol AttemptCounter: Sendable {
  /// How long until `key` is under `limit` again (its oldest attempt within the window leaves
  /// it), in milliseconds, or nil when it is under the limit at `now`.
  func delay(_ key: String, limit: Int, window: Int64, now: Timestamp) async throws -> Int64?
  /// Counts an attempt of `key` at `now`; attempts older than `window` are forgotten.
  func record(_ key: String, now: Timestamp, window: Int64) async throws
  /// Forgets every attempt of `key`.
  func remove(_ key: String) async throws
}

/// Counts in this process's memory, bounded in keys (see ``SlidingWindowCounts``); a restart
/// forgets them. What a store owned by one process uses.
///
/// # Thread safety
/// A `Mutex` guards the counts.
public final class InMemoryAttemptCounter: AttemptCounter {
  private let state: Mutex<SlidingWindowCounts>

  /// An empty counter tracking at most `maximumKeys` keys at once.
  public init(maximumKeys: Int = 100_000) {
    self.state = Mutex(SlidingWindowCounts(maximumKeys: maximumKeys))
  }

  public func delay(_ key: String, limit: Int, window: Int64, now: Timestamp) -> Int64? {
    state.withLock { $0.delay(key, limit: limit, window: window, now: now.millisecondsSince1970) }
  }

  public func record(_ key: String, now: Timestamp, window: Int64) {
    state.withLock { $0.record(key, now: now.millisecondsSince1970, window: window) }
  }

  public func remove(_ key: String) {
    state.withLock { $0.remove(key) }
  }
}
