import Synchronization

/// Which idempotency keys the SQLite file may hold, in memory: a Bloom filter over every key
/// recorded in `idempotency`, so that a call whose key was never used (nearly every call: a
/// client sends a fresh key with each new action) is not sent to a reader thread to look it
/// up. A SubmitReport or an action used to make that read before anything else
/// (docs/PERFORMANCE.md, ninth session).
///
/// # What an answer promises
/// `mayContain(key) == false` means no record for `key` is committed, nor being committed:
/// the store adds a key when the write transaction that records it runs, before its COMMIT
/// (``SQLiteFieldReportStore`` does it in `record(_:for:operation:in:)`), and loads every
/// stored key when it opens, after the migrations. `true` may be wrong (a false positive, or a
/// key whose transaction rolled back): the caller then reads, as before. Nothing is ever
/// removed, as no record is. Only for the SQLite store, whose one writer is in this process.
///
/// # Size
/// Sized when the store opens for four times the stored keys, at least 2^20, at 16 bits a key
/// with 7 probes (≈ 0.06 % false positives while within size; 2 MiB at the least). Past its
/// size the false-positive rate grows, and only costs reads; the next open sizes it again.
/// The store loads it in its initializer, before it takes any call.
package final class IdempotencyKeyFilter: Sendable {
  struct State {
    var words: [UInt64]
    /// The number of bits minus one (a power of two minus one).
    var mask: UInt64

    /// An empty filter with room for `keys` keys (at least ``minimumKeys``).
    init(room keys: Int) {
      let wanted = max(keys, IdempotencyKeyFilter.minimumKeys) * IdempotencyKeyFilter.bitsPerKey
      var bits = 64
      while bits < wanted { bits <<= 1 }
      self.words = [UInt64](repeating: 0, count: bits / 64)
      self.mask = UInt64(bits - 1)
    }

    mutating func insert(_ hashes: (UInt64, UInt64)) {
      for probe in 0..<UInt64(IdempotencyKeyFilter.probes) {
        let position = (hashes.0 &+ probe &* hashes.1) & mask
        words[Int(position >> 6)] |= 1 << (position & 63)
      }
    }

    func contains(_ hashes: (UInt64, UInt64)) -> Bool {
      for probe in 0..<UInt64(IdempotencyKeyFilter.probes) {
        let position = (hashes.0 &+ probe &* hashes.1) & mask
        if words[Int(position >> 6)] & (1 << (position & 63)) == 0 { return false }
      }
      return true
    }
  }

  static let probes = 7
  static let bitsPerKey = 16
  static let minimumKeys = 1 << 20

  private let state = Mutex(State(room: 0))

  package init() {}

  /// Replaces the contents with `keys`, sized for four times as many (tests).
  package func load(_ keys: [IdempotencyKey]) {
    load(hashes: keys.map(Self.hashes(of:)))
  }

  /// Replaces the contents with the keys stored in `database`, sized for four times as many
  /// (when the store opens, after the migrations). Each row is hashed as it is read: only the
  /// 16 bytes of its two hashes are kept, not the keys (millions of strings at once would
  /// leave the process's heap that much larger).
  func load(from database: Database) throws {
    load(hashes: try database.query("SELECT scope, key FROM idempotency", []) {
      Self.hashes(of: IdempotencyKey(scope: $0.text(0), key: $0.text(1)))
    })
  }

  private func load(hashes: [(UInt64, UInt64)]) {
    var loaded = State(room: hashes.count * 4)
    for pair in hashes { loaded.insert(pair) }
    state.withLock { $0 = loaded }
  }

  /// Adds `key` (the writer thread, inside the transaction that records it).
  package func insert(_ key: IdempotencyKey) {
    let hashes = Self.hashes(of: key)
    state.withLock { $0.insert(hashes) }
  }

  /// False when `key` is certainly not recorded; true when it may be.
  package func mayContain(_ key: IdempotencyKey) -> Bool {
    let hashes = Self.hashes(of: key)
    return state.withLock { $0.contains(hashes) }
  }

  /// Two independent hashes of the key, combined into the probes' positions (Kirsch and
  /// Mitzenmacher). `Hasher` is seeded per process: the filter is never stored.
  private static func hashes(of key: IdempotencyKey) -> (UInt64, UInt64) {
    var first = Hasher()
    first.combine(key.scope)
    first.combine(key.key)
    var second = Hasher()
    second.combine(key.key)
    second.combine(0x5A as UInt8)
    second.combine(key.scope)
    return (UInt64(bitPattern: Int64(first.finalize())), UInt64(bitPattern: Int64(second.finalize())) | 1)
  }
}
