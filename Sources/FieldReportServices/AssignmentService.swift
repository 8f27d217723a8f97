public import FieldReportAPI
import FieldReportWorkflow
public import RPCCore
public import WireBridge

/// The handling unit's side of a case (source §3): return to the IOC, assign and reassign,
/// transfer for monitoring and acknowledge, save a draft, submit the result, contribute,
/// approve or return to the officer.
///
/// Every rpc is one ``CaseActionPipeline`` run: the workflow decides (roles, unit, state,
/// fields), the store applies atomically, and the answer carries the new summary and the
/// journal entry (`idempotent_replay` for a retried key).
///
/// # Thread safety
/// Stateless beyond its environment; safe to call concurrently.
public struct AssignmentService: Fieldreport_V1_AssignmentServiceHandler {
  private let pipeline: CaseActionPipeline

  /// Creates the service.
  public init(env: ServiceEnvironment) {
    self.pipeline = CaseActionPipeline(env: env)
  }

  /// Workflow field names of an assignment → request paths.
  private static let assignmentFields: [String: String] = [
    "mainHandler": "assignment.main_handler_user_id",
    "coordinators": "assignment.coordinator_user_ids",
    "followers": "assignment.follower_user_ids",
    "due": "assignment.due_at_ms",
    "outputProduct.number": "assignment.output_product_number",
  ]

  public func assign(
    _ request: Fieldreport_V1_AssignRequest, context: ServerContext
  ) async throws -> Fieldreport_V1_AssignResponse {
    let outcome = try await pipeline.run(
      request.common ?? .init(), context: context, kind: .assign, fields: Self.assignmentFields
    ) { _, _ in .assign(try Self.order(request.assignment)) }
    return Fieldreport_V1_AssignResponse(outcome)
  }

  public func reassign(
    _ request: Fieldreport_V1_ReassignRequest, context: ServerContext
  ) async throws -> Fieldreport_V1_ReassignResponse {
    let outcome = try await pipeline.run(
      request.common ?? .init(), context: context, kind: .reassign, fields: Self.assignmentFields
    ) { _, _ in .reassign(try Self.order(request.assignment)) }
    return Fieldreport_V1_ReassignResponse(outcome)
  }

  public func returnToIoc(
    _ request: Fieldreport_V1_ReturnToIocRequest, context: ServerContext
  ) async throws -> Fieldreport_V1_ReturnToIocResponse {
    let outcome = try await pipeline.run(
      request.common ?? .init(), context: context, kind: .returnToIoc
    ) { _, _ in .returnToIoc }
    return Fieldreport_V1_ReturnToIocResponse(outcome)
  }

  public func transferForMonitoring(
    _ request: Fieldreport_V1_TransferForMonitoringRequest, context: ServerContext
  ) async throws -> Fieldreport_V1_TransferForMonitoringResponse {
    let store = pipeline.env.store
    let outcome = try await pipeline.run(
      request.common ?? .init(), context: context, kind: .transferForMonitoring,
      fields: ["recipients": "recipient_user_ids"]
    ) { current, principal in
      guard request.recipientUserIds.count + request.groupIds.count <= 500 else {
        throw invalidArgument("recipient_user_ids", "at most 500 recipients")
      }
      var recipients: [UserID] = []
      for (index, raw) in request.recipientUserIds.enumerated() {
        guard !raw.isEmpty, raw.utf8.count <= 64 else {
          throw invalidArgument("recipient_user_ids[\(index)]", "is not a user id")
        }
        guard try await store.findUser(id: UserID(raw)) != nil else {
          throw notFound("user \(raw)")
        }
        recipients.append(UserID(raw))
      }
      // The workflow expands one group; further groups' members are added here as named
      // recipients (members of the holding unit's group); the workflow leaves the transferring
      // leader out of both alike.
      var groups: [TransferGroupID] = []
      for (index, raw) in request.groupIds.enumerated() {
        guard !raw.isEmpty, raw.utf8.count <= 64 else {
          throw invalidArgument("group_ids[\(index)]", "is not a group id")
        }
        let id = TransferGroupID(raw)
        guard let group = try await store.findTransferGroup(id: id),
          group.unitID == current.currentUnitID
        else { throw notFound("transfer group \(raw) of the holding unit") }
        if !groups.isEmpty { recipients += group.memberIDs }
        if !groups.contains(id) { groups.append(id) }
      }
      return .transferForMonitoring(recipients: recipients, group: groups.first)
    }
    var response = Fieldreport_V1_TransferForMonitoringResponse(outcome)
    // Say who was left out (the workflow's rule, for the request as given; a retry answers the
    // same). Read after the step: a failed read leaves the list empty, never fails the step.
    let leader = try context.principal().id
    var members: [UserID] = []
    for raw in Set(request.groupIds) {
      if let group = try? await store.findTransferGroup(id: TransferGroupID(raw)) { members += group.memberIDs }
    }
    let leftOut = CaseWorkflow.monitoringRecipients(
      named: request.recipientUserIds.map { UserID($0) }, groupMembers: members, transferredBy: leader
    ).leftOut
    response.leftOut = leftOut.map(outcome.renderer.userRef)
    return response
  }

  public func acknowledgeMonitoring(
    _ request: Fieldreport_V1_AcknowledgeMonitoringRequest, context: ServerContext
  ) async throws -> Fieldreport_V1_AcknowledgeMonitoringResponse {
    let outcome = try await pipeline.run(
      request.common ?? .init(), context: context, kind: .acknowledgeMonitoring
    ) { _, _ in .acknowledgeMonitoring }
    // The workflow closes monitoring within the last acknowledgement itself (its entry's
    // to_state is CLOSED); there is no separate closing entry.
    return Fieldreport_V1_AcknowledgeMonitoringResponse(outcome)
  }

  public func closeMonitoring(
    _ request: Fieldreport_V1_CloseMonitoringRequest, context: ServerContext
  ) async throws -> Fieldreport_V1_CloseMonitoringResponse {
    let outcome = try await pipeline.run(
      request.common ?? .init(), context: context, kind: .closeMonitoring
    ) { _, _ in .closeMonitoring }
    return Fieldreport_V1_CloseMonitoringResponse(outcome)
  }

  public func saveDraft(
    _ request: Fieldreport_V1_SaveDraftRequest, context: ServerContext
  ) async throws -> Fieldreport_V1_SaveDraftResponse {
    let principal = try context.principal()
    let common = request.common ?? .init()
    let caseID = try CaseActionPipeline.validate(common, policy: pipeline.env.policy)
    guard request.outputProductNumber.utf8.count <= 64 else {
      throw invalidArgument("output_product_number", "is longer than 64 bytes")
    }
    // Saving a draft records no key (saving the same draft again is harmless), so a key
    // already on record belongs to another action: reusing it is refused, as everywhere.
    if let key = CaseActionPipeline.idempotencyKey(common.idempotencyKey, caller: principal),
      try await pipeline.env.store.idempotentResult(for: key) != nil
    {
      throw CaseActionPipeline.keyReused
    }
    guard let current = try await pipeline.env.store.findCase(id: caseID),
      CaseVisibility.canSee(current, viewer: principal.actor)
    else { throw notFound("case \(caseID)") }
    let attachments = try await resolveAttachments(
      common.attachmentIds, field: "common.attachment_ids", on: current, caller: principal.id,
      store: pipeline.env.store)
    // A draft is private work in progress: checked like a step of the main handler, but
    // kept outside the journal, so it bumps no version and notifies no one.
    let draft: CaseDraft
    switch CaseWorkflow.checkDraft(
      current, by: principal.actor, expectedVersion: common.expectedVersion,
      content: common.content, attachments: attachments,
      outputProductNumber: request.outputProductNumber, now: pipeline.env.now(), policy: pipeline.env.policy)
    {
    case .success(let checked): draft = checked
    case .failure(let refusal):
      throw CaseActionPipeline.translate(
        refusal,
        fields: CaseActionPipeline.commonFields.merging(
          ["outputProduct.number": "output_product_number"]) { $1 })
    }
    try await pipeline.env.store.saveDraft(draft, expectedVersion: common.expectedVersion)
    let renderer = try await CaseRenderer.load(env: pipeline.env, viewer: principal.actor, cases: [current])
    var response = Fieldreport_V1_SaveDraftResponse()
    response.caseSummary = renderer.summary(current)
    response.draft = renderer.draft(draft)
    return response
  }

  public func submitResult(
    _ request: Fieldreport_V1_SubmitResultRequest, context: ServerContext
  ) async throws -> Fieldreport_V1_SubmitResultResponse {
    let outcome = try await pipeline.run(
      request.common ?? .init(), context: context, kind: .submitResult,
      fields: [
        "outputProduct.number": "output_product_number",
        "cannotBeResolved": "cannot_be_resolved_reason",
      ]
    ) { current, _ in
      // Empty: the result resolves the problem; otherwise why it cannot (the workflow checks it).
      let unresolved = request.cannotBeResolvedReason.isEmpty ? nil : request.cannotBeResolvedReason
      let next: UserID?
      if request.nextHandlerUserId.isEmpty {
        next = current.assignment?.assignedBy
      } else {
        guard request.nextHandlerUserId.utf8.count <= 64 else {
          throw invalidArgument("next_handler_user_id", "is not a user id")
        }
        next = UserID(request.nextHandlerUserId)
      }
      guard request.outputProductNumber.utf8.count <= 64 else {
        throw invalidArgument("output_product_number", "is longer than 64 bytes")
      }
      let planned = current.assignment?.outputProduct
      let kind: OutputProduct.Kind?
      switch request.outputProductKind.domain {
      case .success(let chosen): kind = chosen ?? planned?.kind
      case .failure: throw invalidArgument("output_product_kind", "unknown value")
      }
      let number =
        request.outputProductNumber.isEmpty ? (planned?.number ?? "") : request.outputProductNumber
      guard let kind else {
        guard number.isEmpty else {
          throw invalidArgument("output_product_kind", "is required with an output product number")
        }
        return .submitResult(nextHandler: next, outputProduct: nil, cannotBeResolved: unresolved)
      }
      return .submitResult(
        nextHandler: next, outputProduct: OutputProduct(kind: kind, number: number),
        cannotBeResolved: unresolved)
    }
    return Fieldreport_V1_SubmitResultResponse(outcome)
  }

  public func addContribution(
    _ request: Fieldreport_V1_AddContributionRequest, context: ServerContext
  ) async throws -> Fieldreport_V1_AddContributionResponse {
    let outcome = try await pipeline.run(
      request.common ?? .init(), context: context, kind: .addContribution
    ) { _, _ in .addContribution }
    return Fieldreport_V1_AddContributionResponse(outcome)
  }

  public func approve(
    _ request: Fieldreport_V1_ApproveRequest, context: ServerContext
  ) async throws -> Fieldreport_V1_ApproveResponse {
    let outcome = try await pipeline.run(
      request.common ?? .init(), context: context, kind: .approve
    ) { _, _ in .approve }
    return Fieldreport_V1_ApproveResponse(outcome)
  }

  public func returnToOfficer(
    _ request: Fieldreport_V1_ReturnToOfficerRequest, context: ServerContext
  ) async throws -> Fieldreport_V1_ReturnToOfficerResponse {
    let now = pipeline.env.now()
    let outcome = try await pipeline.run(
      request.common ?? .init(), context: context, kind: .returnToOfficer,
      fields: ["newDue": "new_due_at_ms"]
    ) { current, _ in
      if !request.officerUserId.isEmpty,
        request.officerUserId != current.assignment?.mainHandler.rawValue
      {
        throw invalidArgument("officer_user_id", "must be the case's main handler")
      }
      if let due = request.newDueAtMs, due <= now.millisecondsSince1970 {
        throw invalidArgument("new_due_at_ms", "must be in the future")
      }
      return .returnToOfficer(newDue: request.newDueAtMs.map(Timestamp.init(millisecondsSince1970:)))
    }
    return Fieldreport_V1_ReturnToOfficerResponse(outcome)
  }

  // MARK: Paused clocks

  public func holdClock(
    _ request: Fieldreport_V1_HoldClockRequest, context: ServerContext
  ) async throws -> Fieldreport_V1_HoldClockResponse {
    let outcome = try await pipeline.run(
      request.common ?? .init(), context: context, kind: .holdClock
    ) { _, _ in
      guard let kind = request.kind.domain else {
        throw invalidArgument("kind", "is required: CLOCK_HOLD_KIND_AWAITING_CITIZEN or CLOCK_HOLD_KIND_AWAITING_OTHER_AGENCY")
      }
      return .holdClock(kind)
    }
    return Fieldreport_V1_HoldClockResponse(outcome)
  }

  public func resumeClock(
    _ request: Fieldreport_V1_ResumeClockRequest, context: ServerContext
  ) async throws -> Fieldreport_V1_ResumeClockResponse {
    let outcome = try await pipeline.run(
      request.common ?? .init(), context: context, kind: .resumeClock
    ) { _, _ in .resumeClock }
    return Fieldreport_V1_ResumeClockResponse(outcome)
  }

  /// The workflow's assignment order from the request's assignment input.
  /// - Throws: INVALID_ARGUMENT naming the field.
  static func order(_ input: Fieldreport_V1_AssignmentInput?) throws(RPCError) -> AssignmentOrder {
    guard let input else { throw invalidArgument("assignment", "is required") }
    func ids(_ raw: [String], _ field: String) throws(RPCError) -> [UserID] {
      guard raw.count <= 50 else { throw invalidArgument(field, "at most 50 people") }
      var out: [UserID] = []
      for (index, id) in raw.enumerated() {
        guard !id.isEmpty, id.utf8.count <= 64 else {
          throw invalidArgument("\(field)[\(index)]", "is not a user id")
        }
        out.append(UserID(id))
      }
      return out
    }
    guard !input.mainHandlerUserId.isEmpty else {
      throw invalidArgument("assignment.main_handler_user_id", "is required")
    }
    let main = try ids([input.mainHandlerUserId], "assignment.main_handler_user_id")[0]
    let coordinators = try ids(input.coordinatorUserIds, "assignment.coordinator_user_ids")
    let followers = try ids(input.followerUserIds, "assignment.follower_user_ids")
    guard input.outputProductNumber.utf8.count <= 64 else {
      throw invalidArgument("assignment.output_product_number", "is longer than 64 bytes")
    }
    let product: OutputProduct?
    switch input.outputProductKind.domain {
    case .success(let kind?):
      product = OutputProduct(kind: kind, number: input.outputProductNumber)
    case .success(nil):
      guard input.outputProductNumber.isEmpty else {
        throw invalidArgument(
          "assignment.output_product_kind", "is required with an output product number")
      }
      product = nil
    case .failure:
      throw invalidArgument("assignment.output_product_kind", "unknown value")
    }
    guard input.dueAtMs >= 0 else {
      throw invalidArgument("assignment.due_at_ms", "must not be negative")
    }
    return AssignmentOrder(
      mainHandler: main, coordinators: coordinators, followers: followers,
      start: input.startAtMs.map(Timestamp.init(millisecondsSince1970:)),
      due: input.dueAtMs == 0 ? nil : Timestamp(millisecondsSince1970: input.dueAtMs),
      outputProduct: product, doNotPublish: input.doNotPublish)
  }
}
