public import FieldReportStore
public import FieldReportWorkflow
public import Logging
public import RPCCore
import WireBridge

/// The error domain of every `errorInfo` detail this module attaches.
let errorDomain = "fieldreport.v1"

extension RPCError {
  /// The error a workflow refusal reaches the caller as: the status code of its
  /// ``FieldReportWorkflow/RefusalCategory``, its message, an `errorInfo` detail with its
  /// stable code (e.g. `WRONG_STATE`), and a field-violation detail (invalid arguments) or a
  /// precondition-failure detail (failed preconditions).
  /// - Parameters:
  ///   - refusal: The workflow's refusal.
  ///   - field: The request field to name instead of the workflow's own field name (e.g.
  ///     `common.expected_version`); nil uses the workflow's name in snake case.
  ///   - names: People and units the message names by name (their ids otherwise): the
  ///     directory the workflow decided with, and the caller.
  public init(_ refusal: WorkflowRefusal, field: String? = nil, naming names: Directory? = nil) {
    var message = refusal.message(naming: names)
    // A bad field is named as the caller wrote it (the request's field), not by the workflow's name.
    if case .invalidField(_, let reason) = refusal, let field { message = "invalid \(field): \(reason)" }
    var details: [ErrorDetail] = [
      .errorInfo(reason: refusal.code, domain: errorDomain, metadata: Metadata())
    ]
    let code: StatusCode
    switch refusal.category {
    case .permissionDenied: code = .permissionDenied
    case .failedPrecondition:
      code = .failedPrecondition
      details.append(
        .preconditionFailure([
          PreconditionViolation(kind: refusal.code, subject: "", explanation: message)
        ]))
    case .aborted: code = .aborted
    case .invalidArgument: code = .invalidArgument
    case .notFound: code = .notFound
    }
    if let name = field ?? refusal.fieldName.map(snakeCase), code == .invalidArgument {
      details.append(.badRequest([FieldViolation(field: name, explanation: message)]))
    }
    self.init(code: code, message: message, details: details)
  }

  /// The error a store failure reaches the caller as. Never carries storage text: integrity
  /// and availability failures get a generic message (log the original with
  /// ``rpcError(_:logger:)``).
  ///
  /// `notFound` → NOT_FOUND; `staleVersion` and `conflict` → ABORTED; `duplicate` and
  /// `idempotencyConflict` → ALREADY_EXISTS (the contract's rule for a reused key);
  /// `tooLarge` → RESOURCE_EXHAUSTED; `invalidArgument` → INVALID_ARGUMENT with a field
  /// violation; `integrity` → INTERNAL; `unavailable` → UNAVAILABLE.
  public init(_ error: StoreError) {
    switch error {
    case .notFound(let what):
      self.init(code: .notFound, message: "Not found: \(what).")
    case .staleVersion(let expected, let actual):
      self.init(
        code: .aborted,
        message: "The case changed: expected version \(expected), it is now \(actual); reload and retry.",
        details: [.errorInfo(reason: "STALE_VERSION", domain: errorDomain, metadata: Metadata())])
    case .conflict(let what):
      self.init(code: .aborted, message: "Changed meanwhile by someone else (\(what)); reload and retry.")
    case .duplicate(let what):
      self.init(code: .alreadyExists, message: "Already exists: \(what).")
    case .tooLarge(let limit):
      self.init(code: .resourceExhausted, message: "Too large: the limit is \(limit) bytes.")
    case .invalidArgument(let field, let reason):
      self.init(
        code: .invalidArgument, message: "Invalid \(field): \(reason).",
        details: [.badRequest([FieldViolation(field: snakeCase(field), explanation: reason)])])
    case .idempotencyConflict:
      self.init(
        code: .alreadyExists,
        message: "This idempotency key was already used for a different request.",
        details: [.errorInfo(reason: "IDEMPOTENCY_KEY_REUSED", domain: errorDomain, metadata: Metadata())])
    case .integrity:
      self.init(code: .internal, message: "The server found inconsistent stored data.")
    case .unavailable:
      self.init(code: .unavailable, message: "The database is temporarily unavailable; retry later.")
    }
  }
}

/// Converts anything a handler caught into the error the caller sees, logging what the
/// caller must not see.
///
/// `RPCError` passes through; ``FieldReportWorkflow/WorkflowRefusal`` and
/// ``FieldReportStore/StoreError`` map with ``RPCCore/RPCError/init(_:field:)`` and
/// ``RPCCore/RPCError/init(_:)-(StoreError)``; `WireError` becomes INVALID_ARGUMENT;
/// cancellation becomes CANCELLED; anything else becomes INTERNAL with a generic message,
/// and its text is logged (with the logger's metadata, which should carry the trace id).
/// - Parameters:
///   - error: What was thrown.
///   - logger: Where server-side faults are logged.
public func rpcError(_ error: any Error, logger: Logger) -> RPCError {
  rpcError(error, logger: CallLogger(logger))
}

/// ``rpcError(_:logger:)-(_,Logger)`` with a call's logger.
public func rpcError(_ error: any Error, logger: CallLogger) -> RPCError {
  switch error {
  case let error as RPCError:
    return error
  case let refusal as WorkflowRefusal:
    return RPCError(refusal)
  case let storeError as StoreError:
    switch storeError {
    case .integrity, .unavailable:
      logger.error("store failure", metadata: ["error": "\(storeError)"])
    default:
      break
    }
    return RPCError(storeError)
  case let wire as WireError:
    return RPCError(
      code: .invalidArgument, message: "The request could not be decoded: \(wire.subject).",
      details: [.badRequest([FieldViolation(field: wire.subject, explanation: "\(wire)")])])
  case is CancellationError:
    return RPCError(code: .cancelled, message: "The call was cancelled.")
  default:
    logger.error("unexpected failure", metadata: ["error": "\(String(reflecting: error))"])
    return RPCError(code: .internal, message: "The server failed; the incident was logged.")
  }
}

/// An INVALID_ARGUMENT error naming the request field, with a field-violation detail.
/// - Parameters:
///   - field: The field's path in the request, snake case as in the .proto
///     (e.g. `common.case_id`, `member_user_ids[3]`).
///   - why: What is wrong with its value.
public func invalidArgument(_ field: String, _ why: String) -> RPCError {
  RPCError(
    code: .invalidArgument, message: "Invalid \(field): \(why).",
    details: [.badRequest([FieldViolation(field: field, explanation: why)])])
}

/// A PERMISSION_DENIED error.
func permissionDenied(_ why: String) -> RPCError {
  RPCError(code: .permissionDenied, message: why)
}

/// A NOT_FOUND error.
func notFound(_ what: String) -> RPCError {
  RPCError(code: .notFound, message: "Not found: \(what).")
}

/// A FAILED_PRECONDITION error with a precondition-failure detail.
func failedPrecondition(_ kind: String, subject: String = "", _ why: String) -> RPCError {
  RPCError(
    code: .failedPrecondition, message: why,
    details: [.preconditionFailure([PreconditionViolation(kind: kind, subject: subject, explanation: why)])])
}

/// `expectedVersion` → `expected_version`: the workflow and the store name fields the Swift
/// way; field violations use the .proto's names.
func snakeCase(_ name: String) -> String {
  var result = ""
  for character in name {
    if character.isUppercase {
      if !result.isEmpty { result.append("_") }
      result += character.lowercased()
    } else {
      result.append(character)
    }
  }
  return result
}
