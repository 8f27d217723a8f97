import Synchronization

/// The next report number of each local day, in memory (SQLite: one process writes the file,
/// so its own allocations are all there are).
///
/// Loaded from `report_sequences` when the store opens (after the migrations), it hands out
/// numbers without the writer thread, so a new case can be built, encoded and hashed in its
/// caller's task and the writer only inserts rows (docs/PERFORMANCE.md, ninth session). Every
/// write of a new case also raises the day's row to at least its number (`MAX`), so the file
/// stays the record a reopened store continues from. Numbers are unique and increase within a
/// day. A number taken by a submission that then writes nothing (a refused build, a replay of
/// its idempotency key, a failed write) is given back if no later one was taken meanwhile;
/// only then, with concurrent submissions, is one left unused.
final class ReportSequences: Sendable {
  private let last = Mutex<[Int: Int64]>([:])

  /// Replaces the counters with the stored ones (the writer thread, when the store opens).
  func load(_ rows: [(dayKey: Int, lastValue: Int64)]) {
    let stored = Dictionary(rows.map { ($0.dayKey, $0.lastValue) }, uniquingKeysWith: max)
    last.withLock { $0 = stored }
  }

  /// Takes the day's next number.
  func next(dayKey: Int) -> Int64 {
    last.withLock { last in
      let value = (last[dayKey] ?? 0) + 1
      last[dayKey] = value
      return value
    }
  }

  /// Gives `sequence` back if it is still the day's last number (its case was not written).
  func giveBack(_ sequence: Int64, dayKey: Int) {
    last.withLock { last in
      if last[dayKey] == sequence { last[dayKey] = sequence - 1 }
    }
  }

  /// Raises the day's stored counter to `sequence` (inside the write that uses the number).
  static func record(_ sequence: Int64, dayKey: Int, in database: Database) throws {
    try database.run(
      """
      INSERT INTO report_sequences(day_key, last_value) VALUES (?, ?)
      ON CONFLICT(day_key) DO UPDATE SET last_value = MAX(last_value, excluded.last_value)
      """,
      [dayKey, sequence])
  }

  /// The stored counters (the writer thread, when the store opens).
  static func stored(in database: Database) throws -> [(dayKey: Int, lastValue: Int64)] {
    try database.query("SELECT day_key, last_value FROM report_sequences") { (Int($0.int64(0)), $0.int64(1)) }
  }
}
