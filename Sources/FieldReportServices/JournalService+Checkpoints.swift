import FieldReportStore
import FieldReportWorkflow
public import RPCCore
public import WireBridge

// Signed checkpoints of the journal (issue 14, item 6): made on demand here, periodically by
// the server (``CheckpointSigner/makeCheckpoint(store:origin:by:now:skipIfUnchanged:)``).
extension JournalService {
  /// System admins and IOC operators (of any IOC centre): a checkpoint covers every case.
  private func requireCheckpointRole(_ principal: Principal) throws(RPCError) {
    guard principal.isSystemAdmin || principal.hasAnywhere(.iocOperator) else {
      throw RPCError(
        code: .permissionDenied, message: "Only system administrators and IOC operators handle journal checkpoints.")
    }
  }

  public func createCheckpoint(
    _ request: Fieldreport_V1_CreateCheckpointRequest, context: ServerContext
  ) async throws -> Fieldreport_V1_CreateCheckpointResponse {
    let principal = try context.principal()
    try requireCheckpointRole(principal)
    guard let signer = env.checkpointSigner else {
      throw failedPrecondition(
        "NO_CHECKPOINT_KEY", subject: "server", "This server has no checkpoint key (start it with --checkpoint-key).")
    }
    guard let checkpoint = try await signer.makeCheckpoint(
      store: env.store, origin: .onDemand, by: principal.id, now: env.now())
    else { throw RPCError(code: .internal, message: "The checkpoint was not made.") }
    var renderer = try await CaseRenderer.base(env: env, viewer: principal.actor)
    try await renderer.loadUsers([principal.id], store: env.store)
    var response = Fieldreport_V1_CreateCheckpointResponse()
    response.checkpoint = renderer.checkpoint(checkpoint)
    return response
  }

  public func listCheckpoints(
    _ request: Fieldreport_V1_ListCheckpointsRequest, context: ServerContext
  ) async throws -> Fieldreport_V1_ListCheckpointsResponse {
    let principal = try context.principal()
    try requireCheckpointRole(principal)
    guard request.pageSize >= 0 else { throw invalidArgument("page_size", "must not be negative") }
    var before: String?
    if !request.pageToken.isEmpty {
      guard request.pageToken.hasPrefix("k1."), request.pageToken.utf8.count <= 80 else {
        throw invalidArgument("page_token", "is malformed")
      }
      before = String(request.pageToken.dropFirst(3))
    }
    let limit = env.limits.pageSize(request.pageSize)
    let found = try await env.store.checkpoints(before: before, limit: limit + 1)
    let page = Array(found.prefix(limit))
    var renderer = try await CaseRenderer.base(env: env, viewer: principal.actor)
    try await renderer.loadUsers(Set(page.compactMap(\.createdBy)), store: env.store)
    var response = Fieldreport_V1_ListCheckpointsResponse()
    response.checkpoints = page.map(renderer.checkpoint)
    if found.count > limit, let last = page.last { response.nextPageToken = "k1.\(last.id)" }
    return response
  }

  public func getCheckpoint(
    _ request: Fieldreport_V1_GetCheckpointRequest, context: ServerContext
  ) async throws -> Fieldreport_V1_GetCheckpointResponse {
    let principal = try context.principal()
    try requireCheckpointRole(principal)
    guard request.checkpointId.utf8.count <= 64 else { throw invalidArgument("checkpoint_id", "is not a checkpoint id") }
    guard let checkpoint = try await env.store.findCheckpoint(id: request.checkpointId.isEmpty ? nil : request.checkpointId)
    else { throw notFound(request.checkpointId.isEmpty ? "any checkpoint" : "checkpoint \(request.checkpointId)") }
    var renderer = try await CaseRenderer.base(env: env, viewer: principal.actor)
    try await renderer.loadUsers(Set(checkpoint.createdBy.map { [$0] } ?? []), store: env.store)
    var response = Fieldreport_V1_GetCheckpointResponse()
    response.checkpoint = renderer.checkpoint(checkpoint)
    response.heads = checkpoint.heads.map { head in
      var wire = Fieldreport_V1_CheckpointHead()
      wire.caseId = head.caseID.rawValue
      wire.reportCode = head.reportCode
      wire.entryCount = head.entryCount
      wire.headHash = head.headHash
      return wire
    }
    response.exportJson = checkpoint.exportJSON()
    return response
  }
}

extension CaseRenderer {
  /// A checkpoint without its heads.
  func checkpoint(_ checkpoint: JournalCheckpoint) -> Fieldreport_V1_JournalCheckpoint {
    var wire = Fieldreport_V1_JournalCheckpoint()
    wire.checkpointId = checkpoint.id
    wire.createdAtMs = checkpoint.createdAt.millisecondsSince1970
    wire.caseCount = Int64(checkpoint.caseCount)
    wire.entryCount = checkpoint.entryCount
    wire.digest = checkpoint.digest
    wire.signature = checkpoint.signature
    wire.publicKey = checkpoint.publicKey
    wire.keyFingerprint = checkpoint.keyFingerprint
    wire.trigger = checkpoint.origin.rawValue
    if let user = checkpoint.createdBy { wire.createdBy = userRef(user) }
    return wire
  }
}
