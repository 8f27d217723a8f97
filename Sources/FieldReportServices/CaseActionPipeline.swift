import FieldReportStore
import FieldReportWorkflow
import Logging
import RPCCore
import WireBridge

/// The result of one action on a case, rendered for its caller.
struct CaseActionOutcome: Sendable {
  /// The case after the action (as stored then, for a replay).
  var summary: Fieldreport_V1_CaseSummary
  /// The journal entry the action created.
  var entry: Fieldreport_V1_JournalEntry
  /// True when this answers a retry of an earlier request with the same idempotency key.
  var isReplay: Bool
  /// The stored outcome.
  var change: CaseChangeResult
  /// The renderer used (for action-specific extras such as a saved draft).
  var renderer: CaseRenderer
}

/// The one path every mutating rpc on an existing case takes:
///
/// authenticate → validate the common fields → answer a retried idempotency key with the
/// first answer (before anything else: a retried step is usually no longer legal) → load the
/// case (NOT_FOUND when absent or invisible) → resolve attachments → build the action →
/// load the ``FieldReportWorkflow/Directory`` → ``FieldReportWorkflow/CaseWorkflow/decide(_:by:command:now:policy:directory:)``
/// → ``FieldReportStore/FieldReportStore/apply(_:expectedVersion:idempotencyKey:)`` → render.
///
/// Refusals and store errors map through the foundation's error mapping; workflow field names
/// are translated into request paths (`due` → `assignment.due_at_ms`).
struct CaseActionPipeline: Sendable {
  /// The service environment.
  let env: ServiceEnvironment

  /// Workflow field names → request paths, shared by every action.
  static let commonFields: [String: String] = [
    "content": "common.content",
    "attachments": "common.attachment_ids",
    "expectedVersion": "common.expected_version",
  ]

  /// Runs one action.
  /// - Parameters:
  ///   - common: The request's common fields.
  ///   - context: The call.
  ///   - kind: The action (checked against an idempotency record found for the key).
  ///   - fields: Extra workflow-field → request-path translations for this rpc.
  ///   - makeAction: Builds the workflow action from the stored case and the caller; throws
  ///     an ``RPCCore/RPCError`` for a bad request field.
  func run(
    _ common: Fieldreport_V1_ActionCommon, context: ServerContext, kind: ActionKind,
    fields: [String: String] = [:],
    makeAction: (Case, Principal) async throws -> CaseAction
  ) async throws(RPCError) -> CaseActionOutcome {
    let logger = env.logger(for: context)
    do {
      let principal = try context.principal()
      let caseID = try Self.validate(common, policy: env.policy)
      let key = Self.idempotencyKey(common.idempotencyKey, caller: principal)

      // One snapshot: a retry's first answer, else the case.
      let found: Case?
      switch try await env.store.actionStart(caseID: caseID, idempotencyKey: key) {
      case .replay(let earlier):
        guard earlier.storedCase.id == caseID, earlier.entry.entry.action == kind,
          earlier.entry.entry.content == common.content
        else { throw Self.keyReused }
        return try await render(earlier, principal: principal)
      case .current(let current):
        found = current
      }
      guard let current = found, CaseVisibility.canSee(current, viewer: principal.actor)
      else { throw notFound("case \(caseID)") }

      let attachments = try await resolveAttachments(
        common.attachmentIds, field: "common.attachment_ids", on: current, caller: principal.id,
        store: env.store)
      let action = try await makeAction(current, principal)
      let command = CaseCommand(
        expectedVersion: common.expectedVersion, action: action, content: common.content,
        attachments: attachments, notify: common.notifyMobileApp)
      let directory = try await loadDirectory(for: current, command: command, env: env)
      let decision = CaseWorkflow.decide(
        current, by: principal.actor, command: command, now: env.now(), policy: env.policy,
        directory: directory)
      var transition: Transition
      switch decision {
      case .success(let accepted): transition = accepted
      case .failure(let refusal):
        var names = directory
        names.users[principal.id] = principal.user
        throw Self.translate(refusal, fields: Self.commonFields.merging(fields) { $1 }, naming: names)
      }
      if kind == .publish {
        // One handling: the reporters of the cases closed as duplicates of this one receive
        // its result too, written with the publication.
        var duplicates: [Case] = []
        for id in try await env.store.duplicates(of: current.id) {
          if let duplicate = try await env.store.findCase(id: id) { duplicates.append(duplicate) }
        }
        transition.notifications += CaseWorkflow.duplicateNotifications(
          published: transition.newCase, entry: transition.entry, duplicates: duplicates)
      }
      let change = try await env.store.apply(
        transition, expectedVersion: common.expectedVersion, idempotencyKey: key)
      return try await render(change, principal: principal)
    } catch {
      throw rpcError(error, logger: logger)
    }
  }

  /// Renders a stored outcome for the caller.
  func render(_ change: CaseChangeResult, principal: Principal) async throws -> CaseActionOutcome {
    let renderer = try await CaseRenderer.load(
      env: env, viewer: principal.actor, cases: [change.storedCase], entries: [change.entry.entry])
    return CaseActionOutcome(
      summary: renderer.summary(change.storedCase),
      entry: renderer.entry(change.entry, of: change.storedCase), isReplay: change.isReplay,
      change: change, renderer: renderer)
  }

  /// The error for an idempotency key already used for another request.
  static let keyReused = RPCError(
    code: .alreadyExists,
    message: "This idempotency key was already used for a different request.",
    details: [.errorInfo(reason: "IDEMPOTENCY_KEY_REUSED", domain: "fieldreport.v1", metadata: Metadata())])

  /// Checks the common fields; returns the case id.
  static func validate(_ common: Fieldreport_V1_ActionCommon, policy: WorkflowPolicy) throws(RPCError) -> CaseID {
    guard !common.caseId.isEmpty else { throw invalidArgument("common.case_id", "is required") }
    guard common.caseId.utf8.count <= 64 else {
      throw invalidArgument("common.case_id", "is longer than 64 bytes")
    }
    guard common.expectedVersion >= 1 else {
      throw invalidArgument("common.expected_version", "must be at least 1")
    }
    try validateIdempotencyKey(common.idempotencyKey, field: "common.idempotency_key")
    // Checked before any read (a draft is saved without a workflow decision); the limit is
    // the workflow's.
    guard common.content.utf8.count <= policy.maxContentLength else {
      throw invalidArgument("common.content", "is longer than \(policy.maxContentLength) bytes")
    }
    guard common.attachmentIds.count <= 20 else {
      throw invalidArgument("common.attachment_ids", "at most 20 attachments")
    }
    return CaseID(common.caseId)
  }

  /// The caller-scoped idempotency key of a request; nil when the client sent none (the
  /// request is then not safe to retry).
  static func idempotencyKey(_ key: String, caller: Principal) -> IdempotencyKey? {
    key.isEmpty ? nil : IdempotencyKey(scope: caller.id.rawValue, key: key)
  }

  /// Checks an idempotency key: empty (none), or 1 to 128 bytes of printable ASCII.
  static func validateIdempotencyKey(_ key: String, field: String) throws(RPCError) {
    guard !key.isEmpty else { return }
    guard key.utf8.count <= IdempotencyKey.maximumLength else {
      throw invalidArgument(field, "is longer than \(IdempotencyKey.maximumLength) bytes")
    }
    guard key.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else {
      throw invalidArgument(field, "must be printable ASCII")
    }
  }

  /// A refusal as the caller sees it, naming the request field when it is about one.
  /// People and units are named from `names` (the directory the workflow decided with).
  static func translate(_ refusal: WorkflowRefusal, fields: [String: String], naming names: Directory? = nil) -> RPCError {
    guard let name = refusal.fieldName else { return RPCError(refusal, naming: names) }
    return RPCError(refusal, field: fields[name] ?? snakeCase(name), naming: names)
  }
}

/// Resolves attachment ids (content SHA-256 in hex) into the references an action records:
/// a reference already on the case keeps its name; otherwise the caller must have uploaded the
/// content (the store's durable upload record gives the name and media type they uploaded it
/// with). Content stored before uploads were recorded (no record at all) stays attachable
/// under a name derived from its id.
/// - Throws: INVALID_ARGUMENT naming the entry (`<field>[i]`) for a malformed id, unknown
///   content, or content the caller neither uploaded nor finds on the case.
func resolveAttachments(
  _ ids: [String], field: String, on current: Case?, caller: UserID, store: any FieldReportStore
) async throws -> [AttachmentRef] {
  var known: [String: AttachmentRef] = [:]
  if let current {
    var onCase = current.reportAttachments + (current.result?.attachments ?? [])
    onCase += current.contributions.flatMap(\.attachments)
    for ref in onCase { known[ref.sha256Hex] = ref }
  }
  var refs: [AttachmentRef] = []
  for (index, raw) in ids.enumerated() {
    let id = raw.lowercased()
    let path = "\(field)[\(index)]"
    guard id.utf8.count == 64, HexBytes.decode(id) != nil else {
      throw invalidArgument(path, "is not an attachment id")
    }
    if let ref = known[id] {
      refs.append(ref)
      continue
    }
    guard let stored = try await store.findAttachment(sha256Hex: id) else {
      throw invalidArgument(path, "no such attachment; upload it first")
    }
    let uploads = try await store.attachmentUploads(sha256Hex: id)
    if let mine = uploads.first(where: { $0.uploader == caller }) {
      refs.append(mine.ref)
    } else if uploads.isEmpty {
      var ref = stored.ref
      ref.name = AttachmentNaming.fallbackName(sha256Hex: id, mediaType: ref.mimeType)
      refs.append(ref)
    } else {
      throw invalidArgument(path, "upload it yourself first, or use one already on the case")
    }
  }
  return refs
}

/// Names for attachments whose upload name is no longer known.
enum AttachmentNaming {
  /// `tep-<first 12 hex digits>.<extension of the media type>`.
  static func fallbackName(sha256Hex: String, mediaType: String) -> String {
    let ext: String =
      switch mediaType {
      case "image/jpeg": "jpg"
      case "image/png": "png"
      case "image/heic": "heic"
      case "image/webp": "webp"
      case "application/pdf": "pdf"
      case "video/mp4": "mp4"
      default: "bin"
      }
    return "tep-\(sha256Hex.prefix(12)).\(ext)"
  }
}
