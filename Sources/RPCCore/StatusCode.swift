/// The outcome of a call: one of the 17 gRPC status codes, with gRPC's numbers.
///
/// A struct over a private enum (rather than a public enum) so that matching on it need not
/// be exhaustive and new codes can never break a caller's `switch`.
public struct StatusCode: Hashable, Sendable, CustomStringConvertible {
  private enum Wrapped: Int, Sendable {
    case ok = 0
    case cancelled = 1
    case unknown = 2
    case invalidArgument = 3
    case deadlineExceeded = 4
    case notFound = 5
    case alreadyExists = 6
    case permissionDenied = 7
    case resourceExhausted = 8
    case failedPrecondition = 9
    case aborted = 10
    case outOfRange = 11
    case unimplemented = 12
    case `internal` = 13
    case unavailable = 14
    case dataLoss = 15
    case unauthenticated = 16
  }

  private let wrapped: Wrapped

  private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

  /// Creates a code from its gRPC number, or `nil` if the number is not one of the 17 codes.
  public init?(rawValue: Int) {
    guard let wrapped = Wrapped(rawValue: rawValue) else { return nil }
    self.wrapped = wrapped
  }

  /// The gRPC number of the code (0 to 16).
  public var rawValue: Int { self.wrapped.rawValue }

  /// The call succeeded.
  public static let ok = StatusCode(.ok)
  /// The call was cancelled, typically by the caller.
  public static let cancelled = StatusCode(.cancelled)
  /// An error that fits no other code.
  public static let unknown = StatusCode(.unknown)
  /// The caller sent an invalid argument.
  public static let invalidArgument = StatusCode(.invalidArgument)
  /// The deadline expired before the call completed.
  public static let deadlineExceeded = StatusCode(.deadlineExceeded)
  /// A requested entity was not found.
  public static let notFound = StatusCode(.notFound)
  /// The entity the caller tried to create already exists.
  public static let alreadyExists = StatusCode(.alreadyExists)
  /// The caller may not do this.
  public static let permissionDenied = StatusCode(.permissionDenied)
  /// A limit was exceeded.
  public static let resourceExhausted = StatusCode(.resourceExhausted)
  /// The system is not in a state that allows the operation.
  public static let failedPrecondition = StatusCode(.failedPrecondition)
  /// The operation was aborted, typically by a concurrency conflict.
  public static let aborted = StatusCode(.aborted)
  /// A value was outside its valid range.
  public static let outOfRange = StatusCode(.outOfRange)
  /// The service or method is not implemented.
  public static let unimplemented = StatusCode(.unimplemented)
  /// An internal invariant was broken.
  public static let `internal` = StatusCode(.internal)
  /// The service is unavailable right now; retrying with backoff may succeed.
  public static let unavailable = StatusCode(.unavailable)
  /// Unrecoverable data loss or corruption.
  public static let dataLoss = StatusCode(.dataLoss)
  /// The caller is not authenticated.
  public static let unauthenticated = StatusCode(.unauthenticated)

  /// Every code, in numeric order.
  public static let allCodes: [StatusCode] = (0...16).compactMap { StatusCode(rawValue: $0) }

  /// The gRPC name of the code, e.g. `NOT_FOUND`.
  public var description: String {
    switch self.wrapped {
    case .ok: "OK"
    case .cancelled: "CANCELLED"
    case .unknown: "UNKNOWN"
    case .invalidArgument: "INVALID_ARGUMENT"
    case .deadlineExceeded: "DEADLINE_EXCEEDED"
    case .notFound: "NOT_FOUND"
    case .alreadyExists: "ALREADY_EXISTS"
    case .permissionDenied: "PERMISSION_DENIED"
    case .resourceExhausted: "RESOURCE_EXHAUSTED"
    case .failedPrecondition: "FAILED_PRECONDITION"
    case .aborted: "ABORTED"
    case .outOfRange: "OUT_OF_RANGE"
    case .unimplemented: "UNIMPLEMENTED"
    case .internal: "INTERNAL"
    case .unavailable: "UNAVAILABLE"
    case .dataLoss: "DATA_LOSS"
    case .unauthenticated: "UNAUTHENTICATED"
    }
  }
}
