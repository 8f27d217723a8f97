import FieldReportAPI
import FieldReportServices
import FieldReportWorkflow
import RPCCore
import StoreTestSupport
import Testing
import WireBridge

@Suite("Identity service")
struct IdentityServiceTests {
  typealias Client = Fieldreport_V1_IdentityServiceClient

  @Test("CreateUnit: system admin only; duplicate codes, a second IOC and unknown parents refused", arguments: StoreEngine.all)
  func createUnit(engine: StoreEngine) async throws {
    try await TestServer.with(engine: engine) { server in
      let transport = server.inProcess()
      let client = Client(transport)
      let admin = try await server.login("admin", over: transport)
      var request = Fieldreport_V1_CreateUnitRequest()
      request.unitCode = "UBND-THACHHA"
      request.unitName = "UBND Xã Thạch Hà"
      request.unitKind = .commune
      let created = try await client.createUnit(request, options: admin)
      #expect(created.unit?.unitCode == "UBND-THACHHA")
      #expect(created.unit?.unitKind == .commune)
      let leader = try await server.login(DemoProvince.duong, over: transport)
      request.unitCode = "OTHER"
      #expect(await statusCode { try await client.createUnit(request, options: leader) } == .permissionDenied)
      request.unitCode = "ubnd-thachha"
      #expect(await statusCode { try await client.createUnit(request, options: admin) } == .alreadyExists)
      request.unitCode = "IOC-2"
      request.unitKind = .ioc
      #expect(await statusCode { try await client.createUnit(request, options: admin) } == .invalidArgument)
      request.unitKind = .ward
      request.parentUnitId = "NOPE"
      #expect(await statusCode { try await client.createUnit(request, options: admin) } == .notFound)
      request.unitCode = "bad code!"
      let error = try #require(await rpcFailure { try await client.createUnit(request, options: admin) })
      #expect(error.fieldViolations.first?.field == "unit_code")
    }
  }

  @Test("ListUnits: any authenticated caller, diacritic-insensitive filter, kinds, paging", arguments: StoreEngine.all)
  func listUnits(engine: StoreEngine) async throws {
    try await TestServer.with(engine: engine) { server in
      let transport = server.inProcess()
      let client = Client(transport)
      let officer = try await server.login(DemoProvince.thang, over: transport)
      var request = Fieldreport_V1_ListUnitsRequest()
      request.nameQuery = "dong loc"
      #expect(try await client.listUnits(request, options: officer).units.map(\.unitId) == [DemoProvince.dongLoc.rawValue])
      request.nameQuery = ""
      request.unitKind = .ward
      #expect(try await client.listUnits(request, options: officer).units.map(\.unitId) == [DemoProvince.tranPhu.rawValue])
      request.unitKind = .unspecified
      request.pageSize = 2
      var seen: [String] = []
      var token = ""
      repeat {
        request.pageToken = token
        let page = try await client.listUnits(request, options: server.platform)
        seen += page.units.map(\.unitId)
        token = page.nextPageToken
      } while !token.isEmpty
      #expect(seen.count == DemoProvince.units.count)
      request.pageToken = "3.bogus"
      #expect(await statusCode { try await client.listUnits(request, options: officer) } == .invalidArgument)
      #expect(await statusCode { try await client.listUnits(Fieldreport_V1_ListUnitsRequest()) } == .unauthenticated)
    }
  }

  @Test("CreateUser: admin any kind, unit admin staff only, platform citizens only; retries are idempotent", arguments: StoreEngine.all)
  func createUser(engine: StoreEngine) async throws {
    try await TestServer.with(engine: engine) { server in
      let transport = server.inProcess()
      let client = Client(transport)
      let admin = try await server.login("admin", over: transport)
      var service = Fieldreport_V1_CreateUserRequest()
      service.username = "ioc-dashboard"
      service.fullName = "Bảng điều khiển IOC"
      service.userKind = .serviceAccount
      service.apiKeyLabel = "dashboard"
      var role = Fieldreport_V1_InitialRole()
      role.unitId = DemoProvince.ioc.rawValue
      role.roleKind = .iocOperator
      service.initialRoles = [role]
      let created = try await client.createUser(service, options: admin)
      #expect(created.roles.map(\.roleKind) == [.iocOperator])
      let key = try #require(created.apiKey?.apiKey)
      let me = try await client.whoAmI(Fieldreport_V1_WhoAmIRequest(), options: TestServer.apiKey(key))
      #expect(me.user?.username == "ioc-dashboard")

      // A unit admin creates staff (no roles), not citizens.
      let lan = try await server.login(DemoProvince.lan, over: transport)
      var staff = Fieldreport_V1_CreateUserRequest()
      staff.username = "hoa.nt"
      staff.fullName = "Nguyễn Thị Hoa"
      staff.userKind = .staff
      staff.initialPassword = "mat-khau-hoa-2026"
      staff.idempotencyKey = "create-hoa"
      let hoa = try await client.createUser(staff, options: lan)
      #expect(hoa.user?.username == "hoa.nt")
      let retried = try await client.createUser(staff, options: lan)
      #expect(retried.user?.userId == hoa.user?.userId)
      staff.username = "hoa2.nt"
      #expect(await statusCode { try await client.createUser(staff, options: lan) } == .alreadyExists)
      staff.idempotencyKey = ""
      staff.username = "hoa.nt"
      #expect(await statusCode { try await client.createUser(staff, options: lan) } == .alreadyExists)

      var citizen = Fieldreport_V1_CreateUserRequest()
      citizen.username = "binh.tv"
      citizen.fullName = "Trần Văn Bình"
      citizen.userKind = .citizen
      citizen.initialPassword = "mat-khau-binh-2026"
      #expect(await statusCode { try await client.createUser(citizen, options: lan) } == .permissionDenied)
      _ = try await client.createUser(citizen, options: server.platform)
      staff.username = "other.staff"
      #expect(await statusCode { try await client.createUser(staff, options: server.platform) } == .permissionDenied)

      // Field checks name the field.
      staff.initialPassword = "short"
      let weak = try #require(await rpcFailure { try await client.createUser(staff, options: admin) })
      #expect(weak.fieldViolations.first?.field == "initial_password")
      staff.initialPassword = "mat-khau-hop-le-2026"
      staff.username = "Bad Name"
      let bad = try #require(await rpcFailure { try await client.createUser(staff, options: admin) })
      #expect(bad.fieldViolations.first?.field == "username")
    }
  }

  @Test("SearchUsers is diacritic-insensitive; citizens and the platform are refused", arguments: StoreEngine.all)
  func searchUsers(engine: StoreEngine) async throws {
    try await TestServer.with(engine: engine) { server in
      let transport = server.inProcess()
      let client = Client(transport)
      let leader = try await server.login(DemoProvince.duong, over: transport)
      var request = Fieldreport_V1_SearchUsersRequest()
      request.query = "thang"
      #expect(try await client.searchUsers(request, options: leader).users.map(\.fullName) == ["Lê Đại Thắng"])
      request.query = "duong"
      #expect(try await client.searchUsers(request, options: leader).users.map(\.fullName) == ["Lê Văn Đường"])
      request.query = "le"
      request.unitId = DemoProvince.dongLoc.rawValue
      request.roleKind = .officer
      #expect(try await client.searchUsers(request, options: leader).users.map(\.username) == ["thang.ld"])
      request = Fieldreport_V1_SearchUsersRequest()
      request.userKind = .citizen
      #expect(await statusCode { try await client.searchUsers(request, options: leader) } == .permissionDenied)
      let operatorOptions = try await server.login(DemoProvince.quan, over: transport)
      #expect(try await client.searchUsers(request, options: operatorOptions).users.map(\.username) == ["an.nv"])
      let citizen = try await server.login(DemoProvince.citizen, over: transport)
      #expect(await statusCode { try await client.searchUsers(Fieldreport_V1_SearchUsersRequest(), options: citizen) } == .permissionDenied)
      #expect(await statusCode { try await client.searchUsers(Fieldreport_V1_SearchUsersRequest(), options: server.platform) } == .permissionDenied)
      request = Fieldreport_V1_SearchUsersRequest()
      request.query = String(repeating: "a", count: 101)
      #expect(await statusCode { try await client.searchUsers(request, options: leader) } == .invalidArgument)
    }
  }

  @Test("role registration: request, list, decide by that unit's admin only, list roles, revoke", arguments: StoreEngine.all)
  func roleRegistration(engine: StoreEngine) async throws {
    try await TestServer.with(engine: engine) { server in
      try await server.withLiveServer { transport in
        let client = Client(transport)
        // Toàn (Sở KH&CN) registers as officer at Xã Đồng Lộc.
        let toan = try await server.login(DemoProvince.toan, over: transport)
        var request = Fieldreport_V1_RequestRoleRequest()
        request.unitId = DemoProvince.dongLoc.rawValue
        request.subjectKind = .civilServant
        request.roleKind = .officer
        request.positionTitle = "Chuyên viên"
        request.idempotencyKey = "dang-ky-1"
        let pending = try #require(try await client.requestRole(request, options: toan).grant)
        #expect(pending.status == .pending)
        #expect(try await client.requestRole(request, options: toan).grant?.grantId == pending.grantId)
        request.idempotencyKey = ""
        #expect(await statusCode { try await client.requestRole(request, options: toan) } == .alreadyExists)
        request.subjectKind = .contractor
        #expect(await statusCode { try await client.requestRole(request, options: toan) } == .invalidArgument)
        request.subjectKind = .civilServant
        request.roleKind = .iocOperator
        #expect(await statusCode { try await client.requestRole(request, options: toan) } == .invalidArgument)
        #expect(await statusCode { try await client.requestRole(request, options: server.platform) } == .invalidArgument)

        // Listing: the unit's admin sees it; another unit's leader does not; mine_only for anyone.
        let lan = try await server.login(DemoProvince.lan, over: transport)
        var list = Fieldreport_V1_ListRoleRequestsRequest()
        list.unitId = DemoProvince.dongLoc.rawValue
        #expect(try await client.listRoleRequests(list, options: lan).grants.map(\.grantId) == [pending.grantId])
        let nam = try await server.login(DemoProvince.nam, over: transport)
        #expect(await statusCode { try await client.listRoleRequests(list, options: nam) } == .permissionDenied)
        var mine = Fieldreport_V1_ListRoleRequestsRequest()
        mine.mineOnly = true
        #expect(try await client.listRoleRequests(mine, options: toan).grants.count == 1)

        // Deciding: a leader of another unit cannot; the requester cannot; the unit admin can.
        var decide = Fieldreport_V1_DecideRoleRequestRequest()
        decide.grantId = pending.grantId
        decide.decision = .approve
        #expect(await statusCode { try await client.decideRoleRequest(decide, options: nam) } == .permissionDenied)
        let duong = try await server.login(DemoProvince.duong, over: transport)
        #expect(await statusCode { try await client.decideRoleRequest(decide, options: duong) } == .permissionDenied)
        #expect(await statusCode { try await client.decideRoleRequest(decide, options: toan) } == .permissionDenied)
        decide.decision = .reject
        #expect(await statusCode { try await client.decideRoleRequest(decide, options: lan) } == .invalidArgument)
        decide.decision = .approve
        let approved = try await client.decideRoleRequest(decide, options: lan)
        #expect(approved.grant?.status == .approved)
        #expect(approved.grant?.decidedBy?.userId == DemoProvince.lan.id.rawValue)
        #expect(await statusCode { try await client.decideRoleRequest(decide, options: lan) } == .failedPrecondition)

        // ListUserRoles: own; the unit admin sees only their unit's grants; others refused.
        var roles = Fieldreport_V1_ListUserRolesRequest()
        #expect(Set(try await client.listUserRoles(roles, options: toan).grants.map(\.unit?.unitId)) == [DemoProvince.scienceDepartment.rawValue, DemoProvince.dongLoc.rawValue])
        roles.userId = DemoProvince.toan.id.rawValue
        #expect(try await client.listUserRoles(roles, options: lan).grants.map(\.grantId) == [pending.grantId])
        #expect(await statusCode { try await client.listUserRoles(roles, options: nam) } == .permissionDenied)
        roles.userId = "u-nobody"
        #expect(await statusCode { try await client.listUserRoles(roles, options: lan) } == .notFound)

        // RevokeRole: not by another unit's leader; by the unit admin, with a reason.
        var revoke = Fieldreport_V1_RevokeRoleRequest()
        revoke.grantId = pending.grantId
        revoke.reason = "Hết biệt phái"
        #expect(await statusCode { try await client.revokeRole(revoke, options: nam) } == .permissionDenied)
        let revoked = try await client.revokeRole(revoke, options: lan)
        #expect(revoked.grant?.status == .revoked)
        #expect(revoked.grant?.revokedBy?.userId == DemoProvince.lan.id.rawValue)
        #expect(await statusCode { try await client.revokeRole(revoke, options: lan) } == .failedPrecondition)
      }
    }
  }

  @Test("the last system admin grant cannot be revoked", arguments: StoreEngine.all)
  func lastSystemAdmin(engine: StoreEngine) async throws {
    try await TestServer.with(engine: engine) { server in
      let transport = server.inProcess()
      let client = Client(transport)
      let admin = try await server.login("admin", over: transport)
      var roles = Fieldreport_V1_ListUserRolesRequest()
      roles.userId = SystemAdminBootstrap.userID.rawValue
      let grant = try #require(try await client.listUserRoles(roles, options: admin).grants.first)
      // A second admin tries to revoke the first, which is then not the last: allowed.
      var second = Fieldreport_V1_CreateUserRequest()
      second.username = "admin2"
      second.fullName = "Quản trị 2"
      second.userKind = .staff
      second.initialPassword = TestServer.password
      var role = Fieldreport_V1_InitialRole()
      role.unitId = DemoProvince.ioc.rawValue
      role.roleKind = .systemAdmin
      second.initialRoles = [role]
      let created = try await client.createUser(second, options: admin)
      let admin2 = try await server.login("admin2", over: transport)
      var revoke = Fieldreport_V1_RevokeRoleRequest()
      revoke.grantId = grant.grantId
      revoke.reason = "rotation"
      _ = try await client.revokeRole(revoke, options: admin2)
      // admin2 is now the last one; admin (no longer an admin) cannot revoke, and nobody can.
      revoke.grantId = try #require(created.roles.first?.grantId)
      #expect(await statusCode { try await client.revokeRole(revoke, options: admin) } == .permissionDenied)
      // An IOC unit admin administers IOC grants but not system admins.
      var iocAdmin = second
      iocAdmin.username = "ioc.admin"
      role.roleKind = .unitAdmin
      iocAdmin.initialRoles = [role]
      _ = try await client.createUser(iocAdmin, options: admin2)
      let unitAdmin = try await server.login("ioc.admin", over: transport)
      #expect(await statusCode { try await client.revokeRole(revoke, options: unitAdmin) } == .permissionDenied)
      // Self-revocation is refused too, so the last admin stays.
      #expect(await statusCode { try await client.revokeRole(revoke, options: admin2) } == .permissionDenied)
    }
  }

  @Test("transfer groups: leaders and admins of the unit manage them; staff of the unit list them", arguments: StoreEngine.all)
  func groups(engine: StoreEngine) async throws {
    try await TestServer.with(engine: engine) { server in
      let transport = server.inProcess()
      let client = Client(transport)
      let duong = try await server.login(DemoProvince.duong, over: transport)
      var create = Fieldreport_V1_CreateGroupRequest()
      create.unitId = DemoProvince.dongLoc.rawValue
      create.groupName = "Tổ công tác"
      create.memberUserIds = [DemoProvince.thang.id.rawValue, DemoProvince.lan.id.rawValue]
      let group = try #require(try await client.createGroup(create, options: duong).group)
      #expect(group.members.map(\.fullName) == ["Lê Đại Thắng", "Phan Thị Lan"])
      #expect(await statusCode { try await client.createGroup(create, options: duong) } == .alreadyExists)
      let thang = try await server.login(DemoProvince.thang, over: transport)
      create.groupName = "Khác"
      #expect(await statusCode { try await client.createGroup(create, options: thang) } == .permissionDenied)
      let nam = try await server.login(DemoProvince.nam, over: transport)
      #expect(await statusCode { try await client.createGroup(create, options: nam) } == .permissionDenied)
      create.memberUserIds = [DemoProvince.thang.id.rawValue, DemoProvince.thang.id.rawValue]
      let duplicate = try #require(await rpcFailure { try await client.createGroup(create, options: duong) })
      #expect(duplicate.fieldViolations.first?.field == "member_user_ids[1]")
      create.memberUserIds = [DemoProvince.citizen.id.rawValue]
      #expect(await statusCode { try await client.createGroup(create, options: duong) } == .invalidArgument)

      var list = Fieldreport_V1_ListGroupsRequest()
      list.unitId = DemoProvince.dongLoc.rawValue
      #expect(try await client.listGroups(list, options: thang).groups.map(\.groupName).sorted() == ["Ban chỉ huy PCTT", "Tổ công tác"])
      #expect(await statusCode { try await client.listGroups(list, options: nam) } == .permissionDenied)

      var set = Fieldreport_V1_SetGroupMembersRequest()
      set.groupId = group.groupId
      set.memberUserIds = [DemoProvince.duong.id.rawValue]
      #expect(await statusCode { try await client.setGroupMembers(set, options: thang) } == .permissionDenied)
      let lan = try await server.login(DemoProvince.lan, over: transport)
      #expect(try await client.setGroupMembers(set, options: lan).group?.members.map(\.userId) == [DemoProvince.duong.id.rawValue])
      set.memberUserIds = ["u-nobody"]
      #expect(await statusCode { try await client.setGroupMembers(set, options: lan) } == .notFound)

      var delete = Fieldreport_V1_DeleteGroupRequest()
      delete.groupId = group.groupId
      #expect(await statusCode { try await client.deleteGroup(delete, options: nam) } == .permissionDenied)
      _ = try await client.deleteGroup(delete, options: duong)
      #expect(await statusCode { try await client.deleteGroup(delete, options: duong) } == .notFound)
      #expect(try await client.listGroups(list, options: thang).groups.map(\.groupName) == ["Ban chỉ huy PCTT"])
    }
  }

  @Test("every call gets a trace id trailer, the client's when it sends one", arguments: StoreEngine.all)
  func traceID(engine: StoreEngine) async throws {
    try await TestServer.with(engine: engine) { server in
      let transport = server.inProcess()
      var options = server.platform
      options.metadata.add("x-trace-id", .text("trace-123"))
      let response = try await transport.unary(
        Fieldreport_V1_IdentityServiceMethods.whoAmI, request: Fieldreport_V1_WhoAmIRequest(), options: options)
      #expect(response.trailers.firstText("x-trace-id") == "trace-123")
      let generated = try await transport.unary(
        Fieldreport_V1_IdentityServiceMethods.whoAmI, request: Fieldreport_V1_WhoAmIRequest(), options: server.platform)
      #expect(generated.trailers.firstText("x-trace-id")?.utf8.count == 32)
      // Generated ids are 32 lowercase hex digits and never repeat.
      var seen: Set<String> = []
      for _ in 0..<200 {
        let response = try await transport.unary(
          Fieldreport_V1_IdentityServiceMethods.whoAmI, request: Fieldreport_V1_WhoAmIRequest(), options: server.platform)
        let id = try #require(response.trailers.firstText("x-trace-id"))
        #expect(id.utf8.count == 32 && id.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }, "\(id)")
        seen.insert(id)
      }
      #expect(seen.count == 200)
    }
  }
}
