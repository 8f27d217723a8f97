import FieldReportStore
public import FieldReportWorkflow

/// Loads the slice of reference data (``FieldReportWorkflow/Directory``) a workflow decision
/// on a case needs: the case's IOC, current unit and units it passed through, a dispatch
/// target; the users a command names, the case's people (holder, assignment, monitoring
/// recipients) and every approved grant at those units (notifications go to their leaders
/// and operators), with those users; the transfer group a command uses; every category.
///
/// - Parameters:
///   - current: The case as stored.
///   - command: The action about to be decided (nil: a read, e.g. available actions).
///   - env: The service environment (its store).
/// - Throws: ``FieldReportStore/StoreError`` from the store.
public func loadDirectory(
  for current: Case, command: CaseCommand?, env: ServiceEnvironment
) async throws -> Directory {
  let store = env.store
  var unitIDs = [current.iocUnitID, current.currentUnitID] + current.unitsPassedThrough
  if let command { unitIDs += command.referencedUnits(in: current) }
  var seenUnits = Set<UnitID>()
  unitIDs = unitIDs.filter { seenUnits.insert($0).inserted }

  var units: [FieldReportWorkflow.Unit] = []
  var grants: [RoleGrant] = []
  for id in unitIDs {
    guard let unit = try await store.findUnit(id: id) else { continue }
    units.append(unit)
    grants += try await store.roleGrants(unitID: id, status: .approved)
  }

  var userIDs: [UserID] = [current.submittedBy] + current.holder.userIDs
  if let assignment = current.assignment {
    userIDs += [assignment.mainHandler] + assignment.coordinators + assignment.followers
  }
  if let monitoring = current.monitoring { userIDs += monitoring.recipients }
  var groups: [TransferGroup] = []
  if let command {
    userIDs += command.referencedUsers
    if case .transferForMonitoring(_, let groupID?) = command.action,
      let group = try await store.findTransferGroup(id: groupID)
    {
      groups.append(group)
      userIDs += group.memberIDs
    }
  }
  // People named by the command or on the case may hold roles at other units too; their
  // own grants let the workflow judge eligibility anywhere.
  var seenGrantIDs = Set(grants.map(\.id))
  var seenUsers = Set<UserID>()
  var users: [User] = []
  for id in userIDs where seenUsers.insert(id).inserted {
    guard let account = try await store.findUser(id: id) else { continue }
    users.append(account.user)
    for grant in try await store.roleGrants(userID: id) where seenGrantIDs.insert(grant.id).inserted {
      grants.append(grant)
    }
  }
  for id in Set(grants.map(\.userID)) where seenUsers.insert(id).inserted {
    if let account = try await store.findUser(id: id) { users.append(account.user) }
  }
  var directory = Directory(units: units, users: users, grants: grants, groups: groups)
  // Every category, as the store keeps them by id (built once per change of reference data).
  directory.categories = try await store.categoriesByID()
  return directory
}
