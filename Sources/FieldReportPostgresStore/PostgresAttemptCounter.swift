import FieldReportStore
import FieldReportWorkflow

/// A throttle's counts in the database (`throttle_attempts`), so that every replica counts the
/// same attempts: failed logins spread over two replicas reach the limit at the same total as
/// on one.
///
/// Each method is one statement in its own (autocommit) transaction. A key's attempts older
/// than the window are deleted when the key is counted again; every 256th count in a process
/// also deletes every expired attempt, so keys never seen again do not pile up.
///
/// Like the in-memory counter, a check and the count that follows it are not one atomic step:
/// concurrent attempts may overshoot a limit by the number in flight.
///
/// # Thread safety
/// `Sendable`; the pool synchronizes, and the sweep's tick is an atomic of the store.
struct PostgresAttemptCounter: AttemptCounter {
  let store: PostgresFieldReportStore
  /// The throttle's name (`login`, `submission`): its rows' `counter`.
  let name: String

  func delay(_ key: String, limit: Int, window: Int64, now: Timestamp) async throws -> Int64? {
    let now = now.millisecondsSince1970
    guard
      let row = try await store.statement(
        "SELECT count(*), min(at) FROM throttle_attempts WHERE counter = $1 AND key = $2 AND at > $3",
        [name, key, now - window]
      ).first
    else { return nil }
    let count = try row.value(0, as: Int64.self)
    guard count >= Int64(limit), let oldest = try row.value(1, as: Int64?.self) else { return nil }
    return max(1, oldest + window - now)
  }

  func record(_ key: String, now: Timestamp, window: Int64) async throws {
    let now = now.millisecondsSince1970
    try await store.statement(
      """
      WITH expired AS (DELETE FROM throttle_attempts WHERE counter = $1 AND key = $2 AND at <= $3)
      INSERT INTO throttle_attempts(counter, key, at, expires_at) VALUES ($1, $2, $4, $5)
      """, [name, key, now - window, now, now + window])
    // Not the `ticks.add` result's exact value: one sweep every 256 counts or so is enough.
    if store.attemptTicks.add(1, ordering: .relaxed).newValue % 256 == 0 {
      try await store.statement("DELETE FROM throttle_attempts WHERE expires_at <= $1", [now])
    }
  }

  func remove(_ key: String) async throws {
    try await store.statement("DELETE FROM throttle_attempts WHERE counter = $1 AND key = $2", [name, key])
  }
}
