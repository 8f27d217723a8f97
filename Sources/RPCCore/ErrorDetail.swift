/// One structured detail of an ``RPCError``, mirroring `rpc.v1.StatusDetail`.
public enum ErrorDetail: Sendable, Hashable {
  /// Which request fields were invalid and why.
  case badRequest([FieldViolation])
  /// Which preconditions failed.
  case preconditionFailure([PreconditionViolation])
  /// How long the caller should wait before retrying (millisecond precision on the wire).
  case retryInfo(delay: Duration)
  /// A machine-readable reason, its domain and context.
  case errorInfo(reason: String, domain: String, metadata: Metadata)
  /// A detail of a kind this version does not define, carried as-is.
  case opaque(kind: String, bytes: [UInt8])
}

/// One invalid request field.
public struct FieldViolation: Sendable, Hashable {
  /// The path to the field, e.g. `report.location.latitude`.
  public var field: String
  /// Why its value is invalid.
  public var explanation: String

  /// Creates a violation.
  public init(field: String, explanation: String) {
    self.field = field
    self.explanation = explanation
  }
}

/// One failed precondition.
public struct PreconditionViolation: Sendable, Hashable {
  /// A short service-specific token naming the kind of precondition, e.g. `STATE`.
  public var kind: String
  /// What failed, e.g. a resource name.
  public var subject: String
  /// Why it failed.
  public var explanation: String

  /// Creates a violation.
  public init(kind: String, subject: String, explanation: String) {
    self.kind = kind
    self.subject = subject
    self.explanation = explanation
  }
}
