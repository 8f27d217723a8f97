/// Why a store operation was refused or failed.
///
/// Each case maps to one RPC status code in the services layer; none carries SQL text.
/// - `notFound` → NOT_FOUND
/// - `staleVersion` → ABORTED (the caller re-reads and retries)
/// - `conflict` → ABORTED (another writer changed the record first)
/// - `duplicate` → ALREADY_EXISTS
/// - `tooLarge` → RESOURCE_EXHAUSTED
/// - `invalidArgument` → INVALID_ARGUMENT naming the field
/// - `idempotencyConflict` → FAILED_PRECONDITION (a key reused for a different request)
/// - `integrity` → INTERNAL (stored data failed a consistency or hash check)
/// - `unavailable` → UNAVAILABLE (the database could not be reached or written)
public enum StoreError: Error, Sendable, Hashable, CustomStringConvertible {
  /// The named entity does not exist, e.g. `"case 42"`, `"user thang"`.
  case notFound(String)
  /// An optimistic-concurrency check failed: the caller acted on `expected`, the stored
  /// version is `actual`. Nothing was written.
  case staleVersion(expected: Int64, actual: Int64)
  /// A compare-and-set on a record other than a case failed, e.g. a role grant decided twice.
  case conflict(String)
  /// A uniqueness rule was broken, e.g. `"username thang"`, `"unit code IOC"`.
  case duplicate(String)
  /// A payload exceeded `limit` bytes.
  case tooLarge(limit: Int)
  /// A field value the store cannot accept, e.g. an empty code; names the field and the reason.
  case invalidArgument(field: String, reason: String)
  /// An idempotency key was reused with a request that differs from the first one.
  case idempotencyConflict(key: String)
  /// Stored data failed a consistency check (broken hash chain, undecodable row, foreign key).
  case integrity(String)
  /// The database failed; retrying later may succeed.
  case unavailable(DatabaseFailure)

  public var description: String {
    switch self {
    case .notFound(let what): "not found: \(what)"
    case .staleVersion(let expected, let actual):
      "stale version: expected \(expected), stored \(actual)"
    case .conflict(let what): "conflict: \(what)"
    case .duplicate(let what): "already exists: \(what)"
    case .tooLarge(let limit): "too large: the limit is \(limit) bytes"
    case .invalidArgument(let field, let reason): "invalid \(field): \(reason)"
    case .idempotencyConflict(let key): "idempotency key \(key) was used for a different request"
    case .integrity(let what): "integrity check failed: \(what)"
    case .unavailable(let failure): "store unavailable: \(failure)"
    }
  }
}
