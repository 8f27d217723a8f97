import FieldReportAPI
import FieldReportStore
import FieldReportWorkflow
import RPCCore
import WireBridge

extension IdentityService {
  public func requestRole(_ request: Fieldreport_V1_RequestRoleRequest, context: ServerContext) async throws
    -> Fieldreport_V1_RequestRoleResponse
  {
    let principal = try context.principal()
    try RequestValidation.id(request.unitId, "unit_id")
    guard request.subjectKind == .civilServant else {
      throw invalidArgument("subject_kind", "must be SUBJECT_KIND_CIVIL_SERVANT (CCVC)")
    }
    guard let role = request.roleKind.domainRole, role != .systemAdmin else {
      throw invalidArgument("role_kind", "must be LEADER, OFFICER, UNIT_ADMIN or IOC_OPERATOR")
    }
    try RequestValidation.text(request.positionTitle, "position_title", min: 1, maxBytes: 100)
    try RequestValidation.text(request.requestNote, "request_note", maxBytes: 2000)
    try RequestValidation.idempotencyKey(request.idempotencyKey)
    guard let unit = try await self.store.findUnit(id: UnitID(request.unitId)) else {
      throw notFound("unit \(request.unitId)")
    }
    if role == .iocOperator && unit.kind != .ioc {
      throw invalidArgument("role_kind", "IOC operator only at the IOC unit")
    }
    let existing = try await self.store.roleGrants(userID: principal.id)
    let id =
      request.idempotencyKey.isEmpty
      ? RoleGrantID(Secrets.id("g-"))
      : RoleGrantID(Secrets.id("g-", caller: principal.id.rawValue, idempotencyKey: request.idempotencyKey))
    var references = References(store: self.store)
    if let first = existing.first(where: { $0.id == id }) {
      guard first.unitID == unit.id, first.role == role else {
        throw RPCError(code: .alreadyExists, message: "This idempotency key was already used for a different request.")
      }
      var response = Fieldreport_V1_RequestRoleResponse()
      response.grant = try await references.wire(first)
      return response
    }
    let grant: RoleGrant
    switch RoleRegistration.request(
      id: id, requester: principal.actor, unit: unit, role: role, position: request.positionTitle,
      existing: existing, now: self.env.now())
    {
    case .success(var made):
      made.requestNote = request.requestNote.isEmpty ? nil : request.requestNote
      grant = made
    case .failure(.duplicateRoleRequest(let existing)):
      throw RPCError(code: .alreadyExists, message: "You already requested or hold this role at this unit (\(existing)).")
    case .failure(.invalidField(let name, let reason)) where name == "position":
      throw invalidArgument("position_title", reason)
    case .failure(let refusal): throw RPCError(refusal, naming: Directory(units: [unit], users: [principal.user]))
    }
    try await self.store.createRoleGrant(grant)
    var response = Fieldreport_V1_RequestRoleResponse()
    response.grant = try await references.wire(grant)
    return response
  }

  public func listRoleRequests(_ request: Fieldreport_V1_ListRoleRequestsRequest, context: ServerContext) async throws
    -> Fieldreport_V1_ListRoleRequestsResponse
  {
    let principal = try context.principal()
    try RequestValidation.optionalID(request.unitId, "unit_id")
    try RequestValidation.pageSize(request.pageSize)
    let status: RoleGrant.Status
    switch request.status {
    case .unspecified: status = .pending
    default:
      guard let known = request.status.domainStatus else { throw invalidArgument("status", "unknown status") }
      status = known
    }
    var grants: [RoleGrant] = []
    if request.mineOnly {
      grants = try await self.store.roleGrants(userID: principal.id).filter {
        $0.status == status && (request.unitId.isEmpty || $0.unitID.rawValue == request.unitId)
      }
    } else if !request.unitId.isEmpty {
      let unit = UnitID(request.unitId)
      guard try await self.store.findUnit(id: unit) != nil else { throw notFound("unit \(request.unitId)") }
      guard RoleRegistration.canAdminister(principal.actor, unit: unit) else {
        throw permissionDenied("Role requests of unit \(unit) are for its unit admins and system admins.")
      }
      grants = try await self.store.roleGrants(unitID: unit, status: status)
    } else {
      let units: [UnitID] =
        principal.isSystemAdmin
        ? try await self.store.units().map(\.id)
        : Array(Set(principal.grants.filter { $0.role == .unitAdmin }.map(\.unitID))).sorted()
      guard !units.isEmpty else {
        throw permissionDenied("Only unit admins and system admins list others' role requests; use mine_only.")
      }
      for unit in units { grants += try await self.store.roleGrants(unitID: unit, status: status) }
    }
    // Oldest request first (the store lists newest first).
    grants.sort { ($0.requestedAt, $0.id) < ($1.requestedAt, $1.id) }
    let paging = Paging(
      pageSize: self.env.limits.pageSize(request.pageSize),
      filters: "grants|\(request.unitId)|\(status.rawValue)|\(request.mineOnly)")
    let (page, next) = try paging.page(grants, token: request.pageToken)
    var references = References(store: self.store)
    var response = Fieldreport_V1_ListRoleRequestsResponse()
    for grant in page { response.grants.append(try await references.wire(grant)) }
    response.nextPageToken = next
    return response
  }

  public func decideRoleRequest(_ request: Fieldreport_V1_DecideRoleRequestRequest, context: ServerContext) async throws
    -> Fieldreport_V1_DecideRoleRequestResponse
  {
    let principal = try context.principal()
    try RequestValidation.id(request.grantId, "grant_id")
    let approve: Bool
    switch request.decision {
    case .approve: approve = true
    case .reject: approve = false
    default: throw invalidArgument("decision", "must be APPROVE or REJECT")
    }
    try RequestValidation.text(request.decisionNote, "decision_note", min: approve ? 0 : 1, maxBytes: 2000)
    guard let grant = try await self.store.findRoleGrant(id: RoleGrantID(request.grantId)) else {
      throw notFound("role request \(request.grantId)")
    }
    let decided: RoleGrant
    switch RoleRegistration.decide(grant, approve: approve, note: request.decisionNote, by: principal.actor, now: self.env.now()) {
    case .success(let value): decided = value
    case .failure(let refusal): throw RPCError(refusal, naming: try await self.names(of: grant, principal: principal))
    }
    do {
      try await self.store.updateRoleGrant(decided, expectedStatus: .pending)
    } catch StoreError.conflict {
      throw failedPrecondition("ROLE_NOT_PENDING", subject: request.grantId, "The request was decided meanwhile.")
    }
    self.env.logger(for: context).notice(
      "role request decided", metadata: ["grant_id": "\(grant.id)", "approved": "\(approve)"])
    var references = References(store: self.store)
    var response = Fieldreport_V1_DecideRoleRequestResponse()
    response.grant = try await references.wire(decided)
    return response
  }

  public func listUserRoles(_ request: Fieldreport_V1_ListUserRolesRequest, context: ServerContext) async throws
    -> Fieldreport_V1_ListUserRolesResponse
  {
    let principal = try context.principal()
    try RequestValidation.optionalID(request.userId, "user_id")
    let target = request.userId.isEmpty ? principal.id : UserID(request.userId)
    guard try await self.store.findUser(id: target) != nil else { throw notFound("user \(target)") }
    var grants = try await self.store.roleGrants(userID: target)
    if target != principal.id && !(principal.isSystemAdmin || principal.hasAnywhere(.iocOperator)) {
      let administered = Set(principal.grants.filter { $0.role == .unitAdmin }.map(\.unitID))
      grants = grants.filter { administered.contains($0.unitID) }
      guard !grants.isEmpty else {
        throw permissionDenied("You may list only your own roles, or roles at units you administer.")
      }
    }
    if !request.includeInactive { grants = grants.filter { $0.status == .approved } }
    var references = References(store: self.store)
    var response = Fieldreport_V1_ListUserRolesResponse()
    for grant in grants { response.grants.append(try await references.wire(grant)) }
    return response
  }

  public func revokeRole(_ request: Fieldreport_V1_RevokeRoleRequest, context: ServerContext) async throws
    -> Fieldreport_V1_RevokeRoleResponse
  {
    let principal = try context.principal()
    try RequestValidation.id(request.grantId, "grant_id")
    try RequestValidation.text(request.reason, "reason", min: 1, maxBytes: 2000)
    guard let grant = try await self.store.findRoleGrant(id: RoleGrantID(request.grantId)) else {
      throw notFound("role grant \(request.grantId)")
    }
    if grant.role == .systemAdmin && !principal.isSystemAdmin {
      // An IOC unit admin administers IOC grants, but never the system admins above them.
      throw permissionDenied("Only a system admin revokes a system admin role.")
    }
    let revoked: RoleGrant
    switch RoleRegistration.revoke(grant, note: request.reason, by: principal.actor, now: self.env.now()) {
    case .success(let value): revoked = value
    case .failure(let refusal): throw RPCError(refusal, naming: try await self.names(of: grant, principal: principal))
    }
    if grant.role == .systemAdmin {
      var admins = 0
      for unit in try await self.store.units() {
        admins += try await self.store.roleGrants(unitID: unit.id, status: .approved).filter { $0.role == .systemAdmin }.count
      }
      if admins <= 1 {
        throw failedPrecondition("LAST_SYSTEM_ADMIN", subject: request.grantId, "The last system admin role cannot be revoked.")
      }
    }
    do {
      try await self.store.updateRoleGrant(revoked, expectedStatus: .approved)
    } catch StoreError.conflict {
      throw failedPrecondition("ROLE_NOT_APPROVED", subject: request.grantId, "The role changed meanwhile.")
    }
    self.env.logger(for: context).notice("role revoked", metadata: ["grant_id": "\(grant.id)"])
    var references = References(store: self.store)
    var response = Fieldreport_V1_RevokeRoleResponse()
    response.grant = try await references.wire(revoked)
    return response
  }
}

extension IdentityService {
  /// The people and unit a refusal about `grant` may name: its holder, its unit, the caller.
  func names(of grant: RoleGrant, principal: Principal) async throws -> Directory {
    let holder = try await self.store.findUser(id: grant.userID)?.user
    let unit = try await self.store.findUnit(id: grant.unitID)
    return Directory(units: unit.map { [$0] } ?? [], users: [principal.user] + (holder.map { [$0] } ?? []))
  }
}
