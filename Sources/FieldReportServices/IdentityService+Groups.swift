import FieldReportAPI
import FieldReportStore
import FieldReportWorkflow
import RPCCore
import WireBridge

extension IdentityService {
  /// Leaders and unit admins of the unit manage its groups.
  private func requireGroupManager(_ principal: Principal, unit: UnitID) throws(RPCError) {
    guard principal.user.isActive, principal.has(.leader, at: unit) || principal.has(.unitAdmin, at: unit) else {
      throw permissionDenied("Transfer groups of unit \(unit) are managed by its leaders and unit admins.")
    }
  }

  /// Checks a member list: valid, no duplicates, every member an existing active staff account.
  private func checkMembers(_ ids: [String], field: String) async throws -> [UserID] {
    try RequestValidation.memberList(ids, field)
    var members: [UserID] = []
    for (index, id) in ids.enumerated() {
      guard let account = try await self.store.findUser(id: UserID(id)) else { throw notFound("user \(id)") }
      guard account.user.kind == .staff, account.user.isActive else {
        throw invalidArgument("\(field)[\(index)]", "\(id) is not an active staff account")
      }
      members.append(account.user.id)
    }
    return members
  }

  public func createGroup(_ request: Fieldreport_V1_CreateGroupRequest, context: ServerContext) async throws
    -> Fieldreport_V1_CreateGroupResponse
  {
    let principal = try context.principal()
    try RequestValidation.id(request.unitId, "unit_id")
    try RequestValidation.text(request.groupName, "group_name", min: 1, maxBytes: 200)
    let unit = UnitID(request.unitId)
    guard try await self.store.findUnit(id: unit) != nil else { throw notFound("unit \(request.unitId)") }
    try self.requireGroupManager(principal, unit: unit)
    let members = try await self.checkMembers(request.memberUserIds, field: "member_user_ids")
    let folded = VietnameseFolding.fold(request.groupName)
    if try await self.store.transferGroups(unitID: unit).contains(where: { VietnameseFolding.fold($0.name) == folded }) {
      throw RPCError(code: .alreadyExists, message: "Unit \(unit) already has a group named \(request.groupName).")
    }
    let group = TransferGroup(
      id: TransferGroupID(Secrets.id("tg-")), unitID: unit, name: request.groupName, memberIDs: members,
      createdAt: self.env.now())
    try await self.store.createTransferGroup(group)
    var references = References(store: self.store)
    var response = Fieldreport_V1_CreateGroupResponse()
    response.group = try await references.wire(group)
    return response
  }

  public func listGroups(_ request: Fieldreport_V1_ListGroupsRequest, context: ServerContext) async throws
    -> Fieldreport_V1_ListGroupsResponse
  {
    let principal = try context.principal()
    try RequestValidation.id(request.unitId, "unit_id")
    try RequestValidation.pageSize(request.pageSize)
    let unit = UnitID(request.unitId)
    guard try await self.store.findUnit(id: unit) != nil else { throw notFound("unit \(request.unitId)") }
    guard principal.isSystemAdmin || principal.grants.contains(where: { $0.unitID == unit }) else {
      throw permissionDenied("Transfer groups of unit \(unit) are for its staff.")
    }
    let groups = try await self.store.transferGroups(unitID: unit)
    let paging = Paging(pageSize: self.env.limits.pageSize(request.pageSize), filters: "groups|\(unit)")
    let (page, next) = try paging.page(groups, token: request.pageToken)
    var references = References(store: self.store)
    var response = Fieldreport_V1_ListGroupsResponse()
    for group in page { response.groups.append(try await references.wire(group)) }
    response.nextPageToken = next
    return response
  }

  public func setGroupMembers(_ request: Fieldreport_V1_SetGroupMembersRequest, context: ServerContext) async throws
    -> Fieldreport_V1_SetGroupMembersResponse
  {
    let principal = try context.principal()
    try RequestValidation.id(request.groupId, "group_id")
    guard var group = try await self.store.findTransferGroup(id: TransferGroupID(request.groupId)) else {
      throw notFound("transfer group \(request.groupId)")
    }
    try self.requireGroupManager(principal, unit: group.unitID)
    let members = try await self.checkMembers(request.memberUserIds, field: "member_user_ids")
    let now = self.env.now()
    do {
      try await self.store.setTransferGroupMembers(
        groupID: group.id, members: members, at: now,
        expectedUpdatedAt: request.expectedUpdatedAtMs.map(Timestamp.init(millisecondsSince1970:)))
    } catch StoreError.conflict {
      throw RPCError(code: .aborted, message: "The group changed since it was read; reload and retry.")
    }
    group.memberIDs = members
    group.updatedAt = now
    var references = References(store: self.store)
    var response = Fieldreport_V1_SetGroupMembersResponse()
    response.group = try await references.wire(group)
    return response
  }

  public func deleteGroup(_ request: Fieldreport_V1_DeleteGroupRequest, context: ServerContext) async throws
    -> Fieldreport_V1_DeleteGroupResponse
  {
    let principal = try context.principal()
    try RequestValidation.id(request.groupId, "group_id")
    guard let group = try await self.store.findTransferGroup(id: TransferGroupID(request.groupId)) else {
      throw notFound("transfer group \(request.groupId)")
    }
    try self.requireGroupManager(principal, unit: group.unitID)
    try await self.store.deleteTransferGroup(id: group.id)
    return Fieldreport_V1_DeleteGroupResponse()
  }
}
