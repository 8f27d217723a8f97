/// Role registration (source §2): a staff member requests a role at a unit; the request is
/// pending until an admin *of that unit* (or a system admin) approves or rejects it; an
/// approved role can later be revoked. Only approved grants confer anything (``Actor/has(_:at:)``).
public enum RoleRegistration {
  /// A new pending request.
  ///
  /// - Parameters:
  ///   - id: the id the store chose for the grant.
  ///   - requester: who asks (must be active staff; the request is for themselves).
  ///   - unit: the unit (must be known to the caller: pass the stored unit).
  ///   - role: leader, officer, unit admin, or IOC operator (at an IOC unit only). The system
  ///     admin role is never requested; it is created at first run.
  ///   - position: free-text position (chức vụ).
  ///   - existing: the requester's current grants, to refuse a duplicate.
  public static func request(
    id: RoleGrantID, requester: Actor, unit: Unit, role: RoleGrant.Role, position: String,
    existing: [RoleGrant], now: Timestamp
  ) -> Result<RoleGrant, WorkflowRefusal> {
    guard requester.user.isActive else { return .failure(.inactiveAccount(requester.id)) }
    guard requester.user.kind == .staff else {
      return .failure(.wrongAccountKind(requester.id, requester.user.kind))
    }
    switch role {
    case .systemAdmin:
      return .failure(.invalidField(name: "role", reason: "system admin cannot be requested"))
    case .iocOperator where unit.kind != .ioc:
      return .failure(.invalidField(name: "role", reason: "IOC operator only at an IOC centre"))
    default:
      break
    }
    do {
      try Validation.line(position, name: "position", maxLength: 200, required: false)
    } catch {
      return .failure(error)
    }
    if let duplicate = existing.first(where: {
      $0.userID == requester.id && $0.unitID == unit.id && $0.role == role
        && ($0.status == .pending || $0.status == .approved)
    }) {
      return .failure(.duplicateRoleRequest(existing: duplicate.id))
    }
    return .success(
      RoleGrant(
        id: id, userID: requester.id, unitID: unit.id, role: role, position: position,
        status: .pending, requestedAt: now))
  }

  /// Approves or rejects a pending request.
  ///
  /// - Parameters:
  ///   - grant: the pending request.
  ///   - approve: true to approve, false to reject.
  ///   - note: the decider's note (recommended for a rejection).
  ///   - decider: an approved unit admin of the grant's unit, or a system admin; never the
  ///     requester.
  public static func decide(
    _ grant: RoleGrant, approve: Bool, note: String = "", by decider: Actor, now: Timestamp
  ) -> Result<RoleGrant, WorkflowRefusal> {
    if let refusal = checkAdmin(decider, over: grant) { return .failure(refusal) }
    guard grant.status == .pending else { return .failure(.roleNotPending(current: grant.status)) }
    do {
      try Validation.line(note, name: "note", maxLength: 2000, required: false)
    } catch {
      return .failure(error)
    }
    var decided = grant
    decided.status = approve ? .approved : .rejected
    decided.decidedBy = decider.id
    decided.decidedAt = now
    decided.decisionNote = note
    return .success(decided)
  }

  /// Withdraws an approved role (same deciders as ``decide(_:approve:note:by:now:)``).
  public static func revoke(
    _ grant: RoleGrant, note: String = "", by decider: Actor, now: Timestamp
  ) -> Result<RoleGrant, WorkflowRefusal> {
    if let refusal = checkAdmin(decider, over: grant) { return .failure(refusal) }
    guard grant.status == .approved else {
      return .failure(.roleNotApproved(current: grant.status))
    }
    do {
      try Validation.line(note, name: "note", maxLength: 2000, required: false)
    } catch {
      return .failure(error)
    }
    var revoked = grant
    revoked.status = .revoked
    revoked.decidedBy = decider.id
    revoked.decidedAt = now
    revoked.decisionNote = note
    return .success(revoked)
  }

  /// Whether `actor` may decide requests at `unit` (approved unit admin there, or system admin).
  public static func canAdminister(_ actor: Actor, unit: UnitID) -> Bool {
    actor.user.isActive && (actor.isSystemAdmin || actor.has(.unitAdmin, at: unit))
  }

  private static func checkAdmin(_ decider: Actor, over grant: RoleGrant) -> WorkflowRefusal? {
    guard decider.user.isActive else { return .inactiveAccount(decider.id) }
    guard canAdminister(decider, unit: grant.unitID) else {
      if let other = decider.grants.first(where: { $0.status == .approved && $0.role == .unitAdmin }) {
        return .wrongUnit(expected: grant.unitID, actual: other.unitID)
      }
      return .wrongRole(required: [.unitAdmin, .systemAdmin], unit: grant.unitID)
    }
    guard decider.id != grant.userID else { return .selfDecision(decider.id) }
    return nil
  }
}
