/// The gRPC-like status family a ``WorkflowRefusal`` belongs to, so that services can map
/// refusals to wire status codes without this module knowing any RPC.
public enum RefusalCategory: String, Hashable, Codable, Sendable, CaseIterable {
  /// The actor lacks the role, unit or participation the rule requires (PERMISSION_DENIED).
  case permissionDenied = "permission_denied"
  /// The case (or grant) is not in a state that allows the action (FAILED_PRECONDITION).
  case failedPrecondition = "failed_precondition"
  /// The caller acted on an outdated version; re-read and retry (ABORTED).
  case aborted
  /// A field of the request is malformed or out of range (INVALID_ARGUMENT).
  case invalidArgument = "invalid_argument"
  /// Something the request names does not exist (NOT_FOUND).
  case notFound = "not_found"
}
