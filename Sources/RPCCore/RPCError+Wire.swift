import WireBridge

extension StatusCode {
  /// The code as the runtime's wire enum.
  public var wire: Rpc_V1_StatusCode {
    switch self {
    case .ok: .ok
    case .cancelled: .cancelled
    case .unknown: .unknown
    case .invalidArgument: .invalidArgument
    case .deadlineExceeded: .deadlineExceeded
    case .notFound: .notFound
    case .alreadyExists: .alreadyExists
    case .permissionDenied: .permissionDenied
    case .resourceExhausted: .resourceExhausted
    case .failedPrecondition: .failedPrecondition
    case .aborted: .aborted
    case .outOfRange: .outOfRange
    case .unimplemented: .unimplemented
    case .internal: .internal
    case .unavailable: .unavailable
    case .dataLoss: .dataLoss
    case .unauthenticated: .unauthenticated
    default: .unknown
    }
  }

  /// Creates a code from the wire enum; a number outside 0...16 becomes `.unknown`
  /// (as gRPC does for codes it does not know).
  public init(wire: Rpc_V1_StatusCode) {
    switch wire {
    case .ok: self = .ok
    case .cancelled: self = .cancelled
    case .unknown: self = .unknown
    case .invalidArgument: self = .invalidArgument
    case .deadlineExceeded: self = .deadlineExceeded
    case .notFound: self = .notFound
    case .alreadyExists: self = .alreadyExists
    case .permissionDenied: self = .permissionDenied
    case .resourceExhausted: self = .resourceExhausted
    case .failedPrecondition: self = .failedPrecondition
    case .aborted: self = .aborted
    case .outOfRange: self = .outOfRange
    case .unimplemented: self = .unimplemented
    case .internal: self = .internal
    case .unavailable: self = .unavailable
    case .dataLoss: self = .dataLoss
    case .unauthenticated: self = .unauthenticated
    case .unrecognized: self = .unknown
    }
  }
}

extension Metadata {
  /// The entries as wire messages.
  public var wire: [Rpc_V1_MetadataEntry] {
    self.entries.map { entry in
      var wire = Rpc_V1_MetadataEntry()
      wire.key = entry.key
      switch entry.value {
      case .text(let text): wire.value = .text(text)
      case .binary(let bytes): wire.value = .binary(bytes)
      }
      return wire
    }
  }

  /// Creates metadata from wire entries; an entry with no value becomes an empty text value.
  public init(wire: [Rpc_V1_MetadataEntry]) {
    self.init(
      wire.map { entry in
        switch entry.value {
        case .text(let text): Entry(received: entry.key, value: .text(text))
        case .binary(let bytes): Entry(received: entry.key, value: .binary(bytes))
        case nil: Entry(received: entry.key, value: .text(""))
        }
      }
    )
  }
}

extension ErrorDetail {
  /// The detail as a wire message.
  public var wire: Rpc_V1_StatusDetail {
    var detail = Rpc_V1_StatusDetail()
    switch self {
    case .badRequest(let violations):
      var badRequest = Rpc_V1_BadRequest()
      badRequest.fieldViolations = violations.map {
        var violation = Rpc_V1_FieldViolation()
        violation.field = $0.field
        violation.explanation = $0.explanation
        return violation
      }
      detail.detail = .badRequest(badRequest)
    case .preconditionFailure(let violations):
      var failure = Rpc_V1_PreconditionFailure()
      failure.violations = violations.map {
        var violation = Rpc_V1_PreconditionViolation()
        violation.kind = $0.kind
        violation.subject = $0.subject
        violation.explanation = $0.explanation
        return violation
      }
      detail.detail = .preconditionFailure(failure)
    case .retryInfo(let delay):
      var info = Rpc_V1_RetryInfo()
      let (seconds, attoseconds) = delay.components
      info.retryDelayMs = seconds &* 1000 &+ attoseconds / 1_000_000_000_000_000
      detail.detail = .retryInfo(info)
    case .errorInfo(let reason, let domain, let metadata):
      var info = Rpc_V1_ErrorInfo()
      info.reason = reason
      info.domain = domain
      info.metadata = metadata.wire
      detail.detail = .errorInfo(info)
    case .opaque(let kind, let bytes):
      var opaque = Rpc_V1_OpaqueDetail()
      opaque.kind = kind
      opaque.value = bytes
      detail.detail = .opaque(opaque)
    }
    return detail
  }

  /// Creates a detail from the wire message, or `nil` if the message carries none.
  public init?(wire: Rpc_V1_StatusDetail) {
    switch wire.detail {
    case .badRequest(let badRequest):
      self = .badRequest(
        badRequest.fieldViolations.map { FieldViolation(field: $0.field, explanation: $0.explanation) }
      )
    case .preconditionFailure(let failure):
      self = .preconditionFailure(
        failure.violations.map {
          PreconditionViolation(kind: $0.kind, subject: $0.subject, explanation: $0.explanation)
        }
      )
    case .retryInfo(let info):
      self = .retryInfo(delay: .milliseconds(info.retryDelayMs))
    case .errorInfo(let info):
      self = .errorInfo(reason: info.reason, domain: info.domain, metadata: Metadata(wire: info.metadata))
    case .opaque(let opaque):
      self = .opaque(kind: opaque.kind, bytes: opaque.value)
    case nil:
      return nil
    }
  }
}

extension RPCError {
  /// The error as the wire `Status` message.
  public var wireStatus: Rpc_V1_Status {
    var status = Rpc_V1_Status()
    status.code = self.code.wire
    status.message = self.message
    status.details = self.details.map(\.wire)
    status.trailers = self.metadata.wire
    return status
  }

  /// Creates an error from a wire `Status` (whose code is not OK).
  public init(wireStatus status: Rpc_V1_Status) {
    self.init(
      code: StatusCode(wire: status.code),
      message: status.message,
      details: status.details.compactMap(ErrorDetail.init(wire:)),
      metadata: Metadata(wire: status.trailers)
    )
  }
}
