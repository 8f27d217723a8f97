/// The error a call ends with: a status code, a human-readable message, structured
/// details and trailing metadata. What a handler throws and what a client catches.
public struct RPCError: Error, Hashable, Sendable, CustomStringConvertible {
  /// The status code; never `.ok` for an error that reached a caller.
  public var code: StatusCode
  /// A human-readable message (any Unicode).
  public var message: String
  /// Structured details: field violations, precondition failures, retry info, ...
  public var details: [ErrorDetail]
  /// Trailing metadata sent with the status.
  public var metadata: Metadata

  /// Creates an error.
  /// - Parameters:
  ///   - code: The status code.
  ///   - message: A human-readable message.
  ///   - details: Structured details.
  ///   - metadata: Trailing metadata.
  public init(
    code: StatusCode,
    message: String,
    details: [ErrorDetail] = [],
    metadata: Metadata = Metadata()
  ) {
    self.code = code
    self.message = message
    self.details = details
    self.metadata = metadata
  }

  public var description: String {
    self.message.isEmpty ? "\(self.code)" : "\(self.code): \(self.message)"
  }

  /// The first retry delay among the details, if any.
  public var retryDelay: Duration? {
    for detail in self.details {
      if case .retryInfo(let delay) = detail { return delay }
    }
    return nil
  }

  /// The field violations among the details, in order.
  public var fieldViolations: [FieldViolation] {
    self.details.flatMap { detail -> [FieldViolation] in
      if case .badRequest(let violations) = detail { return violations }
      return []
    }
  }
}

/// An error that knows which ``RPCError`` it should reach the caller as.
///
/// A handler may throw any error; errors conforming to this protocol are converted with
/// ``rpcError``, others become `UNKNOWN` with a generic message (their text never reaches
/// the wire, so internal details such as SQL do not leak).
public protocol RPCErrorConvertible: Error {
  /// The error as the caller should see it.
  var rpcError: RPCError { get }
}

extension RPCError {
  /// Converts any error thrown by a handler or interceptor into the error the caller sees.
  public init(converting error: any Error) {
    if let error = error as? RPCError {
      self = error
    } else if let convertible = error as? any RPCErrorConvertible {
      self = convertible.rpcError
    } else if error is CancellationError {
      self = RPCError(code: .cancelled, message: "The call was cancelled.")
    } else {
      self = RPCError(code: .unknown, message: "The handler failed.")
    }
  }
}
