import FieldReportAPI
import FieldReportServices
import FieldReportWorkflow
import Foundation
import RPCCore
import Testing
import WireBridge

/// Every RPC of the contract over a real loopback socket (the RPCNIO server on 127.0.0.1, a
/// real SQLite file), through the generated typed clients, for a caller it serves and a
/// caller it refuses (UNAUTHENTICATED, PERMISSION_DENIED, or NOT_FOUND for a case the caller
/// may not see).
///
/// ``coverage`` says which test covers which RPC. Each test runs its calls through a
/// ``CoverageRecorder`` and checks at its end that every RPC its rows name was served and
/// refused over the socket; ``everyMethodHasAnEntry`` fails when the contract (the
/// descriptor set the server is built with, from `proto/`) has an RPC without a row, or a row
/// names an RPC the contract does not have.
@Suite("The contract over a socket", .timeLimit(.minutes(1)))
struct ContractCoverageTests {
  typealias P = DemoProvince

  /// Method path → the test (function name) that covers it.
  static let coverage: [String: String] = [
    // IdentityService: sessions and accounts.
    "/fieldreport.v1.IdentityService/Login": "identitySessionsAndAccounts",
    "/fieldreport.v1.IdentityService/Logout": "identitySessionsAndAccounts",
    "/fieldreport.v1.IdentityService/WhoAmI": "identitySessionsAndAccounts",
    "/fieldreport.v1.IdentityService/ChangePassword": "identitySessionsAndAccounts",
    "/fieldreport.v1.IdentityService/CreateUnit": "identitySessionsAndAccounts",
    "/fieldreport.v1.IdentityService/ListUnits": "identitySessionsAndAccounts",
    "/fieldreport.v1.IdentityService/CreateUser": "identitySessionsAndAccounts",
    "/fieldreport.v1.IdentityService/SetUserDisabled": "identitySessionsAndAccounts",
    "/fieldreport.v1.IdentityService/IssueApiKey": "identitySessionsAndAccounts",
    "/fieldreport.v1.IdentityService/RevokeApiKey": "identitySessionsAndAccounts",
    "/fieldreport.v1.IdentityService/SearchUsers": "identitySessionsAndAccounts",
    // IdentityService: certificates, method rights, roles, groups.
    "/fieldreport.v1.IdentityService/RegisterClientCertificate": "identityRightsRolesAndGroups",
    "/fieldreport.v1.IdentityService/RevokeClientCertificate": "identityRightsRolesAndGroups",
    "/fieldreport.v1.IdentityService/ListClientCertificates": "identityRightsRolesAndGroups",
    "/fieldreport.v1.IdentityService/SetMethodRights": "identityRightsRolesAndGroups",
    "/fieldreport.v1.IdentityService/GetMethodRights": "identityRightsRolesAndGroups",
    "/fieldreport.v1.IdentityService/RequestRole": "identityRightsRolesAndGroups",
    "/fieldreport.v1.IdentityService/ListRoleRequests": "identityRightsRolesAndGroups",
    "/fieldreport.v1.IdentityService/DecideRoleRequest": "identityRightsRolesAndGroups",
    "/fieldreport.v1.IdentityService/ListUserRoles": "identityRightsRolesAndGroups",
    "/fieldreport.v1.IdentityService/RevokeRole": "identityRightsRolesAndGroups",
    "/fieldreport.v1.IdentityService/CreateGroup": "identityRightsRolesAndGroups",
    "/fieldreport.v1.IdentityService/ListGroups": "identityRightsRolesAndGroups",
    "/fieldreport.v1.IdentityService/SetGroupMembers": "identityRightsRolesAndGroups",
    "/fieldreport.v1.IdentityService/DeleteGroup": "identityRightsRolesAndGroups",
    // CaseService: the IOC's side, categories, attachments, statistics.
    "/fieldreport.v1.CaseService/SubmitReport": "casesAttachmentsAndStatistics",
    "/fieldreport.v1.CaseService/GetCase": "casesAttachmentsAndStatistics",
    "/fieldreport.v1.CaseService/ListCases": "casesAttachmentsAndStatistics",
    "/fieldreport.v1.CaseService/DispatchCase": "casesAttachmentsAndStatistics",
    "/fieldreport.v1.CaseService/RejectCase": "casesAttachmentsAndStatistics",
    "/fieldreport.v1.CaseService/ListCategories": "casesAttachmentsAndStatistics",
    "/fieldreport.v1.CaseService/CreateCategory": "casesAttachmentsAndStatistics",
    "/fieldreport.v1.CaseService/UploadAttachment": "casesAttachmentsAndStatistics",
    "/fieldreport.v1.CaseService/GetAttachment": "casesAttachmentsAndStatistics",
    "/fieldreport.v1.CaseService/GetUnitStatistics": "casesAttachmentsAndStatistics",
    "/fieldreport.v1.CaseService/GetCaseVolume": "casesAttachmentsAndStatistics",
    // The handling unit's lifecycle, and the IOC's send-back and publication.
    "/fieldreport.v1.AssignmentService/Assign": "unitLifecycle",
    "/fieldreport.v1.AssignmentService/Reassign": "unitLifecycle",
    "/fieldreport.v1.AssignmentService/SaveDraft": "unitLifecycle",
    "/fieldreport.v1.AssignmentService/AddContribution": "unitLifecycle",
    "/fieldreport.v1.AssignmentService/SubmitResult": "unitLifecycle",
    "/fieldreport.v1.AssignmentService/ReturnToOfficer": "unitLifecycle",
    "/fieldreport.v1.AssignmentService/Approve": "unitLifecycle",
    "/fieldreport.v1.CaseService/SendBackToUnit": "unitLifecycle",
    "/fieldreport.v1.CaseService/PublishResult": "unitLifecycle",
    "/fieldreport.v1.CaseService/RecordVerdict": "unitLifecycle",
    "/fieldreport.v1.CaseService/ListDuplicateCandidates": "unitLifecycle",
    "/fieldreport.v1.AssignmentService/ReturnToIoc": "returnAndMonitoring",
    "/fieldreport.v1.AssignmentService/TransferForMonitoring": "returnAndMonitoring",
    "/fieldreport.v1.AssignmentService/AcknowledgeMonitoring": "returnAndMonitoring",
    "/fieldreport.v1.AssignmentService/CloseMonitoring": "returnAndMonitoring",
    // JournalService.
    "/fieldreport.v1.JournalService/ListJournal": "journalEventsAndNotifications",
    "/fieldreport.v1.JournalService/GetWorkflow": "journalEventsAndNotifications",
    "/fieldreport.v1.JournalService/WatchEvents": "journalEventsAndNotifications",
    "/fieldreport.v1.JournalService/ListNotifications": "journalEventsAndNotifications",
    "/fieldreport.v1.JournalService/MarkNotificationsRead": "journalEventsAndNotifications",
    "/fieldreport.v1.JournalService/VerifyJournal": "journalEventsAndNotifications",
    // Paused clocks and signed checkpoints (issue 14, items 4 and 6).
    "/fieldreport.v1.AssignmentService/HoldClock": "clockHoldsAndCheckpoints",
    "/fieldreport.v1.AssignmentService/ResumeClock": "clockHoldsAndCheckpoints",
    "/fieldreport.v1.JournalService/CreateCheckpoint": "clockHoldsAndCheckpoints",
    "/fieldreport.v1.JournalService/ListCheckpoints": "clockHoldsAndCheckpoints",
    "/fieldreport.v1.JournalService/GetCheckpoint": "clockHoldsAndCheckpoints",
    // The runtime's services (open to every caller: no refusal exists).
    "/rpc.v1.Health/Check": "healthAndReflection",
    "/rpc.v1.Health/Watch": "healthAndReflection",
    "/rpc.v1.Reflection/ListServices": "healthAndReflection",
    "/rpc.v1.Reflection/GetFileDescriptorSet": "healthAndReflection",
  ]

  /// The methods served to every caller, credentials or not (no caller can be refused).
  static let open: Set<String> = [
    "/rpc.v1.Health/Check", "/rpc.v1.Health/Watch", "/rpc.v1.Reflection/ListServices",
    "/rpc.v1.Reflection/GetFileDescriptorSet",
  ]

  /// The tests of this suite that cover methods (a row naming another is a mistake).
  static let tests: Set<String> = [
    "identitySessionsAndAccounts", "identityRightsRolesAndGroups", "casesAttachmentsAndStatistics",
    "unitLifecycle", "returnAndMonitoring", "journalEventsAndNotifications", "healthAndReflection",
    "clockHoldsAndCheckpoints",
  ]

  /// The packages whose services the server serves.
  static let servedPackages: Set<String> = ["fieldreport.v1", "rpc.v1"]

  /// Every method of the contract, from the descriptor set the server is built with.
  static func contract() throws -> Set<String> {
    try DescriptorSetMethods.paths(in: ServiceRouter.fileDescriptorSet, packages: servedPackages)
  }

  /// The rows of `test` (a `#function`, with or without its parentheses).
  static func methods(coveredBy test: String) -> [String] {
    let name = test.split(separator: "(").first.map(String.init) ?? test
    return coverage.filter { $0.value == name }.map(\.key).sorted()
  }

  /// Runs `body` with a world served over a live loopback socket through a recorder, then
  /// checks the rows of `test`.
  static func overSocket(
    _ test: String, sourceLocation: SourceLocation = #_sourceLocation,
    _ body: (CaseWorld, TestServer) async throws -> Void
  ) async throws {
    try await TestServer.with(limits: CaseWorld.limits) { server in
      try await server.withLiveServer { client in
        let recorder = CoverageRecorder(client)
        let world = try await CaseWorld.over(server, transport: recorder)
        try await body(world, server)
        recorder.expectCovered(methods(coveredBy: test), open: open, sourceLocation: sourceLocation)
      }
    }
  }

  @Test("every method of the contract has a row; every row is a method of the contract and a test of this suite")
  func everyMethodHasAnEntry() throws {
    let contract = try Self.contract()
    // The reader found the services (a broken reader would find nothing and miss nothing).
    #expect(contract.contains(Fieldreport_V1_CaseServiceMethods.getCase.descriptor.path))
    #expect(contract.contains(Fieldreport_V1_JournalServiceMethods.watchEvents.descriptor.path))
    #expect(contract.count >= 58)
    let rows = Set(Self.coverage.keys)
    #expect(contract.subtracting(rows).sorted() == [], "methods of the contract without a covering test")
    #expect(rows.subtracting(contract).sorted() == [], "rows for methods the contract does not have")
    #expect(Set(Self.coverage.values).subtracting(Self.tests).sorted() == [], "rows naming no test of this suite")
    #expect(Self.open.isSubset(of: rows))
  }

  // MARK: IdentityService

  @Test("IdentityService over a socket: sessions, password, units, accounts, API keys, search")
  func identitySessionsAndAccounts() async throws {
    try await Self.overSocket(#function) { world, server in
      let identity = Fieldreport_V1_IdentityServiceClient(world.transport)
      let admin = world.as(CaseWorld.admin)
      let anonymous = CallOptions()

      // Login: the right password, then a wrong one.
      var login = Fieldreport_V1_LoginRequest()
      login.username = P.mai.username
      login.password = TestServer.password
      let session = TestServer.bearer(try await identity.login(login, options: anonymous).sessionToken)
      login.password = "not-the-password"
      #expect(await failure { _ = try await identity.login(login, options: anonymous) } == .unauthenticated)

      // WhoAmI: with the session; without credentials.
      #expect(try await identity.whoAmI(.init(), options: session).user?.username == P.mai.username)
      #expect(await failure { _ = try await identity.whoAmI(.init(), options: anonymous) } == .unauthenticated)

      // ChangePassword: a wrong current password is refused; the right one changes it.
      var change = Fieldreport_V1_ChangePasswordRequest()
      change.currentPassword = "not-the-password"
      change.newPassword = "mat-khau-moi-2026"
      #expect(await failure { _ = try await identity.changePassword(change, options: session) } == .unauthenticated)
      change.currentPassword = TestServer.password
      _ = try await identity.changePassword(change, options: session)

      // Logout: the session ends; the ended session is refused.
      _ = try await identity.logout(.init(), options: session)
      #expect(await failure { _ = try await identity.logout(.init(), options: session) } == .unauthenticated)

      // CreateUnit: the system admin; not a leader.
      var unit = Fieldreport_V1_CreateUnitRequest()
      unit.unitCode = "UBND-THACHHA"
      unit.unitName = "UBND Xã Thạch Hà"
      unit.unitKind = .commune
      #expect(await failure { _ = try await identity.createUnit(unit, options: world.as(P.duong)) } == .permissionDenied)
      #expect(try await identity.createUnit(unit, options: admin).unit?.unitCode == "UBND-THACHHA")

      // ListUnits: any authenticated caller; not without credentials.
      #expect(try await identity.listUnits(.init(), options: world.as(P.thang)).units.count == P.units.count + 1)
      #expect(await failure { _ = try await identity.listUnits(.init(), options: anonymous) } == .unauthenticated)

      // CreateUser: the admin creates a service account and a staff account; a unit admin
      // may not create a citizen.
      var account = Fieldreport_V1_CreateUserRequest()
      account.username = "ioc-dashboard"
      account.fullName = "Bảng điều khiển IOC"
      account.userKind = .serviceAccount
      account.apiKeyLabel = "dashboard"
      let created = try await identity.createUser(account, options: admin)
      let accountID = try unwrap(created.user?.userId)
      var citizen = Fieldreport_V1_CreateUserRequest()
      citizen.username = "binh.tv"
      citizen.fullName = "Trần Văn Bình"
      citizen.userKind = .citizen
      citizen.initialPassword = "mat-khau-binh-2026"
      #expect(await failure { _ = try await identity.createUser(citizen, options: world.as(P.lan)) } == .permissionDenied)
      var staff = Fieldreport_V1_CreateUserRequest()
      staff.username = "hoa.nt"
      staff.fullName = "Nguyễn Thị Hoa"
      staff.userKind = .staff
      staff.initialPassword = "mat-khau-hoa-2026"
      let hoa = try unwrap(try await identity.createUser(staff, options: admin).user?.userId)

      // SetUserDisabled: a leader may not; the admin may.
      var disable = Fieldreport_V1_SetUserDisabledRequest()
      disable.userId = hoa
      disable.disabled = true
      disable.reason = "nghỉ việc"
      #expect(await failure { _ = try await identity.setUserDisabled(disable, options: world.as(P.duong)) } == .permissionDenied)
      #expect(try await identity.setUserDisabled(disable, options: admin).user?.disabled == true)

      // IssueApiKey and RevokeApiKey: the admin; not a leader. The new key works until revoked.
      var issue = Fieldreport_V1_IssueApiKeyRequest()
      issue.userId = accountID
      issue.label = "second"
      #expect(await failure { _ = try await identity.issueApiKey(issue, options: world.as(P.duong)) } == .permissionDenied)
      let issued = try unwrap(try await identity.issueApiKey(issue, options: admin).apiKey)
      #expect(try await identity.whoAmI(.init(), options: TestServer.apiKey(issued.apiKey)).user?.userId == accountID)
      var revoke = Fieldreport_V1_RevokeApiKeyRequest()
      revoke.keyId = issued.keyId
      #expect(await failure { _ = try await identity.revokeApiKey(revoke, options: world.as(P.duong)) } == .permissionDenied)
      _ = try await identity.revokeApiKey(revoke, options: admin)
      #expect(await failure { _ = try await identity.whoAmI(.init(), options: TestServer.apiKey(issued.apiKey)) } == .unauthenticated)

      // SearchUsers: staff; not citizens.
      var search = Fieldreport_V1_SearchUsersRequest()
      search.query = "thang"
      #expect(try await identity.searchUsers(search, options: world.as(P.duong)).users.map(\.fullName) == ["Lê Đại Thắng"])
      #expect(await failure { _ = try await identity.searchUsers(search, options: world.as(P.citizen)) } == .permissionDenied)
      _ = server
    }
  }

  @Test("IdentityService over a socket: client certificates, method rights, role registration, transfer groups")
  func identityRightsRolesAndGroups() async throws {
    try await Self.overSocket(#function) { world, _ in
      let identity = Fieldreport_V1_IdentityServiceClient(world.transport)
      let admin = world.as(CaseWorld.admin)
      let platformID = P.platform.id.rawValue

      // Client certificates: the system admin only.
      var register = Fieldreport_V1_RegisterClientCertificateRequest()
      register.userId = platformID
      register.fingerprintSha256 = String(repeating: "ab", count: 32)
      register.label = "platform, 2026"
      #expect(await failure { _ = try await identity.registerClientCertificate(register, options: world.as(P.platform)) } == .permissionDenied)
      _ = try await identity.registerClientCertificate(register, options: admin)
      var list = Fieldreport_V1_ListClientCertificatesRequest()
      list.userId = platformID
      #expect(await failure { _ = try await identity.listClientCertificates(list, options: world.as(P.quan)) } == .permissionDenied)
      #expect(try await identity.listClientCertificates(list, options: admin).certificates.count == 1)
      var revokeCertificate = Fieldreport_V1_RevokeClientCertificateRequest()
      revokeCertificate.fingerprintSha256 = register.fingerprintSha256
      #expect(await failure { _ = try await identity.revokeClientCertificate(revokeCertificate, options: world.as(P.duong)) } == .permissionDenied)
      #expect(try await identity.revokeClientCertificate(revokeCertificate, options: admin).certificate?.revokedAtMs != nil)

      // Method rights: the system admin only.
      var setRights = Fieldreport_V1_SetMethodRightsRequest()
      setRights.userId = platformID
      setRights.restricted = false
      #expect(await failure { _ = try await identity.setMethodRights(setRights, options: world.as(P.platform)) } == .permissionDenied)
      #expect(try await identity.setMethodRights(setRights, options: admin).rights?.restricted == false)
      var getRights = Fieldreport_V1_GetMethodRightsRequest()
      getRights.userId = platformID
      #expect(await failure { _ = try await identity.getMethodRights(getRights, options: world.as(P.platform)) } == .permissionDenied)
      #expect(try await identity.getMethodRights(getRights, options: admin).rights?.restricted == false)

      // Role registration: Toàn asks for a role at Xã Đồng Lộc; its admin decides, lists and
      // revokes; another unit's leader may do none of it.
      var request = Fieldreport_V1_RequestRoleRequest()
      request.unitId = P.dongLoc.rawValue
      request.subjectKind = .civilServant
      request.roleKind = .officer
      request.positionTitle = "Chuyên viên"
      #expect(await failure { _ = try await identity.requestRole(request, options: CallOptions()) } == .unauthenticated)
      let pending = try unwrap(try await identity.requestRole(request, options: world.as(P.toan)).grant)
      var listRequests = Fieldreport_V1_ListRoleRequestsRequest()
      listRequests.unitId = P.dongLoc.rawValue
      #expect(await failure { _ = try await identity.listRoleRequests(listRequests, options: world.as(P.nam)) } == .permissionDenied)
      #expect(try await identity.listRoleRequests(listRequests, options: world.as(P.lan)).grants.map(\.grantId) == [pending.grantId])
      var decide = Fieldreport_V1_DecideRoleRequestRequest()
      decide.grantId = pending.grantId
      decide.decision = .approve
      #expect(await failure { _ = try await identity.decideRoleRequest(decide, options: world.as(P.nam)) } == .permissionDenied)
      #expect(try await identity.decideRoleRequest(decide, options: world.as(P.lan)).grant?.status == .approved)
      var roles = Fieldreport_V1_ListUserRolesRequest()
      roles.userId = P.toan.id.rawValue
      #expect(await failure { _ = try await identity.listUserRoles(roles, options: world.as(P.nam)) } == .permissionDenied)
      #expect(try await identity.listUserRoles(roles, options: world.as(P.lan)).grants.map(\.grantId) == [pending.grantId])
      var revokeRole = Fieldreport_V1_RevokeRoleRequest()
      revokeRole.grantId = pending.grantId
      revokeRole.reason = "Hết biệt phái"
      #expect(await failure { _ = try await identity.revokeRole(revokeRole, options: world.as(P.nam)) } == .permissionDenied)
      #expect(try await identity.revokeRole(revokeRole, options: world.as(P.lan)).grant?.status == .revoked)

      // Transfer groups: the unit's leader and admin manage them, its staff list them.
      var create = Fieldreport_V1_CreateGroupRequest()
      create.unitId = P.dongLoc.rawValue
      create.groupName = "Tổ công tác"
      create.memberUserIds = [P.thang.id.rawValue]
      #expect(await failure { _ = try await identity.createGroup(create, options: world.as(P.nam)) } == .permissionDenied)
      let group = try unwrap(try await identity.createGroup(create, options: world.as(P.duong)).group)
      var listGroups = Fieldreport_V1_ListGroupsRequest()
      listGroups.unitId = P.dongLoc.rawValue
      #expect(await failure { _ = try await identity.listGroups(listGroups, options: world.as(P.nam)) } == .permissionDenied)
      #expect(try await identity.listGroups(listGroups, options: world.as(P.thang)).groups.map(\.groupId).contains(group.groupId))
      var members = Fieldreport_V1_SetGroupMembersRequest()
      members.groupId = group.groupId
      members.memberUserIds = [P.duong.id.rawValue]
      #expect(await failure { _ = try await identity.setGroupMembers(members, options: world.as(P.thang)) } == .permissionDenied)
      #expect(try await identity.setGroupMembers(members, options: world.as(P.lan)).group?.members.map(\.userId) == [P.duong.id.rawValue])
      var delete = Fieldreport_V1_DeleteGroupRequest()
      delete.groupId = group.groupId
      #expect(await failure { _ = try await identity.deleteGroup(delete, options: world.as(P.nam)) } == .permissionDenied)
      _ = try await identity.deleteGroup(delete, options: world.as(P.duong))
      #expect(!(try await identity.listGroups(listGroups, options: world.as(P.thang)).groups.map(\.groupId).contains(group.groupId)))
    }
  }

  // MARK: CaseService

  @Test("CaseService over a socket: submit, read, list, dispatch, reject, categories, attachments, statistics")
  func casesAttachmentsAndStatistics() async throws {
    try await Self.overSocket(#function) { world, _ in
      // SubmitReport: the platform; not a unit leader.
      var submit = Fieldreport_V1_SubmitReportRequest()
      submit.title = "Đèn đường hỏng"
      submit.content = "Đèn đường trước chợ không sáng"
      submit.categoryId = "TRAT-TU-CONG-CONG"
      submit.idempotencyKey = UUID().uuidString
      #expect(await failure { _ = try await world.cases.submitReport(submit, options: world.as(P.duong)) } == .permissionDenied)
      let submitted = try await world.submit("Đèn đường hỏng")
      let other = try await world.submit("Rác thải ven đường")

      // GetCase: the IOC; not a leader of another unit.
      #expect(try await world.get(submitted.caseId, as: P.quan).summary?.caseId == submitted.caseId)
      #expect(await failure { _ = try await world.get(submitted.caseId, as: P.nam) } == .notFound)

      // ListCases: every case for the IOC; not for an officer.
      var list = Fieldreport_V1_ListCasesRequest()
      list.scope = .all
      #expect(Set(try await world.cases.listCases(list, options: world.as(P.quan)).cases.map(\.caseId)) == [submitted.caseId, other.caseId])
      #expect(await failure { _ = try await world.cases.listCases(list, options: world.as(P.thang)) } == .permissionDenied)

      // DispatchCase: the IOC operator; not a unit leader.
      var dispatch = Fieldreport_V1_DispatchCaseRequest()
      dispatch.common = world.common(submitted, "Chuyển đơn vị xử lý")
      dispatch.targetUnitId = P.dongLoc.rawValue
      let refusal = await failure { _ = try await world.cases.dispatchCase(dispatch, options: world.as(P.duong)) }
      #expect(refusal == .permissionDenied || refusal == .notFound)
      let atUnit = try await world.dispatch(submitted, to: P.dongLoc)
      #expect(atUnit.state == .atUnit)

      // RejectCase: the IOC operator; not an officer (who cannot see the case).
      var reject = Fieldreport_V1_RejectCaseRequest()
      reject.common = world.common(other, "Không thuộc phạm vi")
      reject.reason = .outOfScope
      reject.routedTo = "Công an tỉnh Hà Tĩnh"
      #expect(await failure { _ = try await world.cases.rejectCase(reject, options: world.as(P.thang)) } == .notFound)
      #expect(try await world.cases.rejectCase(reject, options: world.as(P.quan)).caseSummary?.state == .closed)

      // Categories: anyone signed in lists them; only the system admin creates one.
      #expect(try await world.cases.listCategories(.init(), options: world.as(P.citizen)).categories.isEmpty == false)
      #expect(await failure { _ = try await world.cases.listCategories(.init(), options: CallOptions()) } == .unauthenticated)
      var category = Fieldreport_V1_CreateCategoryRequest()
      category.categoryCode = "Y-TE"
      category.categoryName = "Y tế"
      #expect(await failure { _ = try await world.cases.createCategory(category, options: world.as(P.quan)) } == .permissionDenied)
      #expect(try await world.cases.createCategory(category, options: world.as(CaseWorld.admin)).category?.categoryId == "Y-TE")

      // Attachments: uploaded by a signed-in officer and downloaded byte for byte; refused
      // without credentials; not downloadable by a leader of another unit.
      let bytes = (0..<40_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
      let upload = FidelityTests.upload("bien-ban.pdf", bytes: bytes)
      #expect(await failure { _ = try await world.cases.uploadAttachment(upload, options: CallOptions()) } == .unauthenticated)
      let reference = try unwrap(try await world.cases.uploadAttachment(upload, options: world.as(P.thang)).attachment)
      var download = Fieldreport_V1_GetAttachmentRequest()
      download.attachmentId = reference.attachmentId
      #expect(try await world.cases.getAttachment(download, options: world.as(P.thang)).data == bytes)
      #expect(await failure { _ = try await world.cases.getAttachment(download, options: world.as(P.nam)) } == .notFound)

      // Statistics: a leader for their unit; not an officer.
      var statistics = Fieldreport_V1_GetUnitStatisticsRequest()
      statistics.unitIds = [P.dongLoc.rawValue]
      statistics.periodStartMs = world.clock.now.adding(days: -30).millisecondsSince1970
      statistics.periodEndMs = world.clock.now.adding(days: 1).millisecondsSince1970
      #expect(try await world.cases.getUnitStatistics(statistics, options: world.as(P.duong)).rows.isEmpty == false)
      #expect(await failure { _ = try await world.cases.getUnitStatistics(statistics, options: world.as(P.thang)) } == .permissionDenied)

      // Case volume: the IOC for every case; not an officer (no statistics role).
      var volume = Fieldreport_V1_GetCaseVolumeRequest()
      volume.periodStartMs = statistics.periodStartMs
      volume.periodEndMs = statistics.periodEndMs
      #expect(try await world.cases.getCaseVolume(volume, options: world.as(P.quan)).totalCount == 2)
      #expect(await failure { _ = try await world.cases.getCaseVolume(volume, options: world.as(P.thang)) } == .permissionDenied)
    }
  }

  // MARK: AssignmentService (and the IOC's send-back and publication)

  @Test("A case through the unit over a socket: assign, reassign, draft, contribution, submit, return, approve, send back, publish")
  func unitLifecycle() async throws {
    try await Self.overSocket(#function) { world, _ in
      let assignments = world.assignments
      let atUnit = try await world.dispatch(try await world.submit("Cây đổ chắn đường"), to: P.dongLoc)

      // Assign: the leader; not the officer.
      #expect(await failure { _ = try await world.assign(atUnit, by: P.thang, to: P.thang) } == .permissionDenied)
      let assigned = try unwrap(try await world.assign(atUnit, by: P.duong, to: P.thang, coordinators: [P.lan]).caseSummary)

      // Reassign: the leader; not the officer.
      var input = Fieldreport_V1_AssignmentInput()
      input.mainHandlerUserId = P.thang.id.rawValue
      input.coordinatorUserIds = [P.lan.id.rawValue]
      input.dueAtMs = world.clock.now.adding(days: 7).millisecondsSince1970
      var reassign = Fieldreport_V1_ReassignRequest()
      reassign.common = world.common(assigned, "Gia hạn xử lý")
      reassign.assignment = input
      #expect(await failure { _ = try await assignments.reassign(reassign, options: world.as(P.thang)) } == .permissionDenied)
      let reassigned = try unwrap(try await assignments.reassign(reassign, options: world.as(P.duong)).caseSummary)

      // SaveDraft: the main handler; not the leader.
      var draft = Fieldreport_V1_SaveDraftRequest()
      draft.common = world.common(reassigned, "Bản nháp")
      #expect(await failure { _ = try await assignments.saveDraft(draft, options: world.as(P.duong)) } == .permissionDenied)
      let drafted = try unwrap(try await assignments.saveDraft(draft, options: world.as(P.thang)).caseSummary)

      // AddContribution: the coordinator; not the main handler.
      var contribution = Fieldreport_V1_AddContributionRequest()
      contribution.common = world.common(drafted, "Đã liên hệ đội cây xanh")
      #expect(await failure { _ = try await assignments.addContribution(contribution, options: world.as(P.thang)) } == .permissionDenied)
      let contributed = try unwrap(try await assignments.addContribution(contribution, options: world.as(P.lan)).caseSummary)

      // SubmitResult: the main handler; not the coordinator.
      #expect(await failure { _ = try await world.submitResult(contributed, by: P.lan, letter: "Thư") } == .permissionDenied)
      let awaiting = try await world.submitResult(contributed, by: P.thang, letter: "Đã dọn cây")

      // ReturnToOfficer: the leader; not the officer.
      var back = Fieldreport_V1_ReturnToOfficerRequest()
      back.common = world.common(awaiting, "Bổ sung ảnh")
      back.officerUserId = P.thang.id.rawValue
      #expect(await failure { _ = try await assignments.returnToOfficer(back, options: world.as(P.thang)) } == .permissionDenied)
      let reworked = try unwrap(try await assignments.returnToOfficer(back, options: world.as(P.duong)).caseSummary)
      #expect(reworked.state == .inProgress)

      // Approve: the leader; not the officer.
      let resubmitted = try await world.submitResult(reworked, by: P.thang, letter: "Đã dọn cây, có ảnh")
      #expect(await failure { _ = try await world.approve(resubmitted, by: P.thang) } == .permissionDenied)
      let resolved = try await world.approve(resubmitted, by: P.duong)

      // SendBackToUnit: the IOC operator; not the leader.
      var sendBack = Fieldreport_V1_SendBackToUnitRequest()
      sendBack.common = world.common(resolved, "Chưa đạt")
      #expect(await failure { _ = try await world.cases.sendBackToUnit(sendBack, options: world.as(P.duong)) } == .permissionDenied)
      let again = try unwrap(try await world.cases.sendBackToUnit(sendBack, options: world.as(P.quan)).caseSummary)

      // PublishResult: the IOC operator; not the leader.
      let resolvedAgain = try await world.approve(
        try await world.submitResult(again, by: P.thang, letter: "Đã hoàn thành"), by: P.duong)
      var publish = Fieldreport_V1_PublishResultRequest()
      publish.common = world.common(resolvedAgain)
      publish.scope = .reporterOnly
      #expect(await failure { _ = try await world.cases.publishResult(publish, options: world.as(P.duong)) } == .permissionDenied)
      #expect(try await world.cases.publishResult(publish, options: world.as(P.quan)).caseSummary?.state == .published)

      // RecordVerdict: the platform that submitted it; not the unit's leader.
      var verdict = Fieldreport_V1_RecordVerdictRequest()
      verdict.caseId = resolvedAgain.caseId
      verdict.rating = 4
      verdict.comment = "Cảm ơn"
      #expect(await failure { _ = try await world.cases.recordVerdict(verdict, options: world.as(P.duong)) } == .permissionDenied)
      #expect(try await world.cases.recordVerdict(verdict, options: world.as(P.platform)).verdict?.rating == 4)

      // ListDuplicateCandidates: the IOC operator; not the unit's leader (reporters' names).
      var candidates = Fieldreport_V1_ListDuplicateCandidatesRequest()
      candidates.caseId = resolvedAgain.caseId
      #expect(await failure { _ = try await world.cases.listDuplicateCandidates(candidates, options: world.as(P.duong)) } == .permissionDenied)
      #expect(try await world.cases.listDuplicateCandidates(candidates, options: world.as(P.quan)).candidates.allSatisfy { $0.caseSummary?.caseId != resolvedAgain.caseId })
    }
  }

  @Test("Return to the IOC and monitoring over a socket: return, transfer, acknowledge, close")
  func returnAndMonitoring() async throws {
    try await Self.overSocket(#function) { world, _ in
      let assignments = world.assignments

      // ReturnToIoc: the leader; not the officer.
      let returning = try await world.dispatch(try await world.submit("Không đúng thẩm quyền"), to: P.dongLoc)
      var returnToIoc = Fieldreport_V1_ReturnToIocRequest()
      returnToIoc.common = world.common(returning, "Không thuộc thẩm quyền của xã")
      #expect(await failure { _ = try await assignments.returnToIoc(returnToIoc, options: world.as(P.thang)) } == .permissionDenied)
      #expect(try await assignments.returnToIoc(returnToIoc, options: world.as(P.duong)).caseSummary?.state == .returnedToIoc)

      // TransferForMonitoring: the leader; not the officer.
      let atUnit = try await world.dispatch(try await world.submit("Để theo dõi"), to: P.dongLoc)
      var transfer = Fieldreport_V1_TransferForMonitoringRequest()
      transfer.common = world.common(atUnit, "Để biết và theo dõi")
      transfer.recipientUserIds = [P.thang.id.rawValue, P.lan.id.rawValue]
      #expect(await failure { _ = try await assignments.transferForMonitoring(transfer, options: world.as(P.thang)) } == .permissionDenied)
      let monitoring = try unwrap(try await assignments.transferForMonitoring(transfer, options: world.as(P.duong)).caseSummary)

      // AcknowledgeMonitoring: a recipient; not the transferring leader.
      var acknowledge = Fieldreport_V1_AcknowledgeMonitoringRequest()
      acknowledge.common = world.common(monitoring)
      #expect(await failure { _ = try await assignments.acknowledgeMonitoring(acknowledge, options: world.as(P.duong)) } == .permissionDenied)
      let acknowledged = try unwrap(try await assignments.acknowledgeMonitoring(acknowledge, options: world.as(P.thang)).caseSummary)
      #expect(acknowledged.state == .monitoring)

      // CloseMonitoring: the leader; not a recipient.
      var close = Fieldreport_V1_CloseMonitoringRequest()
      close.common = world.common(acknowledged, "Kết thúc theo dõi")
      #expect(await failure { _ = try await assignments.closeMonitoring(close, options: world.as(P.lan)) } == .permissionDenied)
      #expect(try await assignments.closeMonitoring(close, options: world.as(P.duong)).caseSummary?.state == .closed)
    }
  }

  // MARK: Paused clocks and signed checkpoints

  @Test("HoldClock, ResumeClock, CreateCheckpoint, ListCheckpoints, GetCheckpoint over a socket")
  func clockHoldsAndCheckpoints() async throws {
    try await Self.overSocket(#function) { world, _ in
      let assignments = world.assignments
      let atUnit = try await world.dispatch(try await world.submit("Chờ thông tin"), to: P.dongLoc)
      let assigned = try unwrap(try await world.assign(atUnit, by: P.duong, to: P.thang).caseSummary)

      // HoldClock: the main handler; not the unit admin (neither leader nor main handler).
      var hold = Fieldreport_V1_HoldClockRequest()
      hold.common = world.common(assigned, "Chờ công dân bổ sung ảnh")
      hold.kind = .awaitingCitizen
      #expect(await failure { _ = try await assignments.holdClock(hold, options: world.as(P.lan)) } == .permissionDenied)
      let held = try unwrap(try await assignments.holdClock(hold, options: world.as(P.thang)).caseSummary)
      #expect(held.clockHold != nil)

      // ResumeClock: the leader; not the unit admin.
      var resume = Fieldreport_V1_ResumeClockRequest()
      resume.common = world.common(held, "Đã nhận ảnh")
      #expect(await failure { _ = try await assignments.resumeClock(resume, options: world.as(P.lan)) } == .permissionDenied)
      #expect(try await assignments.resumeClock(resume, options: world.as(P.duong)).caseSummary?.clockHold == nil)

      // Checkpoints: system admins and IOC operators; not unit staff.
      let journal = world.journal
      let create = Fieldreport_V1_CreateCheckpointRequest()
      #expect(await failure { _ = try await journal.createCheckpoint(create, options: world.as(P.duong)) } == .permissionDenied)
      let made = try unwrap(try await journal.createCheckpoint(create, options: world.as(P.quan)).checkpoint)
      #expect(made.caseCount >= 1 && made.signature.count == 64 && made.publicKey.count == 32)
      let list = Fieldreport_V1_ListCheckpointsRequest()
      #expect(await failure { _ = try await journal.listCheckpoints(list, options: world.as(P.thang)) } == .permissionDenied)
      #expect(try await journal.listCheckpoints(list, options: world.as(CaseWorld.admin)).checkpoints.map(\.checkpointId) == [made.checkpointId])
      var get = Fieldreport_V1_GetCheckpointRequest()
      get.checkpointId = made.checkpointId
      #expect(await failure { _ = try await journal.getCheckpoint(get, options: world.as(P.platform)) } == .permissionDenied)
      let got = try await journal.getCheckpoint(get, options: world.as(P.quan))
      #expect(Int64(got.heads.count) == made.caseCount && got.exportJson.contains(made.keyFingerprint))
      #expect(got.heads.contains { $0.caseId == held.caseId && $0.entryCount == held.version + 1 })
    }
  }

  // MARK: JournalService

  @Test("JournalService over a socket: journal, workflow, events, notifications, verification")
  func journalEventsAndNotifications() async throws {
    try await Self.overSocket(#function) { world, _ in
      let journal = world.journal
      let atUnit = try await world.dispatch(try await world.submit("Nhật ký qua mạng"), to: P.dongLoc)

      // ListJournal and GetWorkflow: people on the case; not another unit's leader.
      var listJournal = Fieldreport_V1_ListJournalRequest()
      listJournal.caseId = atUnit.caseId
      #expect(try await journal.listJournal(listJournal, options: world.as(P.duong)).entries.map(\.sequence) == [1, 2])
      #expect(await failure { _ = try await journal.listJournal(listJournal, options: world.as(P.nam)) } == .notFound)
      var workflow = Fieldreport_V1_GetWorkflowRequest()
      workflow.caseId = atUnit.caseId
      #expect(try await journal.getWorkflow(workflow, options: world.as(P.duong)).steps.count == 2)
      #expect(await failure { _ = try await journal.getWorkflow(workflow, options: world.as(P.nam)) } == .notFound)

      // VerifyJournal: the IOC operator; not the unit's leader.
      var verify = Fieldreport_V1_VerifyJournalRequest()
      verify.caseId = atUnit.caseId
      let verdict = try await journal.verifyJournal(verify, options: world.as(P.quan))
      #expect(verdict.intact && verdict.entriesChecked == 2)
      #expect(await failure { _ = try await journal.verifyJournal(verify, options: world.as(P.duong)) } == .permissionDenied)

      // WatchEvents: the IOC sees both events; without credentials the stream is refused.
      let events = try await JournalServiceTests.watch(world, as: P.quan, after: nil, count: 2)
      #expect(events.events.map(\.entry?.action) == [.submit, .dispatch])
      var watch = Fieldreport_V1_WatchEventsRequest()
      watch.start = .sinceMs(0)
      #expect(await failure { _ = try await journal.watchEvents(watch, options: CallOptions()) { _ in } } == .unauthenticated)

      // Notifications: the leader has the dispatch's and marks it read; refused without
      // credentials.
      let notifications = try await journal.listNotifications(.init(), options: world.as(P.duong))
      let notice = try #require(notifications.notifications.first { $0.caseId == atUnit.caseId })
      #expect(await failure { _ = try await journal.listNotifications(.init(), options: CallOptions()) } == .unauthenticated)
      var mark = Fieldreport_V1_MarkNotificationsReadRequest()
      mark.notificationIds = [notice.notificationId]
      #expect(await failure { _ = try await journal.markNotificationsRead(mark, options: CallOptions()) } == .unauthenticated)
      _ = try await journal.markNotificationsRead(mark, options: world.as(P.duong))
      var unread = Fieldreport_V1_ListNotificationsRequest()
      unread.unreadOnly = true
      #expect(!(try await journal.listNotifications(unread, options: world.as(P.duong)).notifications.map(\.notificationId).contains(notice.notificationId)))
    }
  }

  // MARK: The runtime's services

  @Test("Health and reflection over a socket, without credentials; the server serves exactly the contract's methods")
  func healthAndReflection() async throws {
    try await Self.overSocket(#function) { world, _ in
      let transport = world.transport
      var check = Rpc_V1_HealthCheckRequest()
      check.service = ""
      #expect(try await transport.unaryMessage(HealthService.check, request: check, options: CallOptions()).status == .serving)
      // The first status arrives; the caller then leaves (throwing from the handler cancels
      // the call, as in JournalServiceTests.watch).
      struct Enough: Error {}
      var statuses: [Rpc_V1_ServingStatus] = []
      do {
        _ = try await transport.serverStreaming(HealthService.watch, request: check, options: CallOptions()) { response in
          statuses.append(response.status)
          throw Enough()
        }
        Issue.record("Health/Watch ended by itself")
      } catch {}
      #expect(statuses == [.serving])

      let services = try await transport.unaryMessage(
        ReflectionService.listServices, request: Rpc_V1_ListServicesRequest(), options: CallOptions())
      let served = Set(services.services.flatMap { service in service.methods.map(\.path) })
      #expect(served == (try Self.contract()), "the server serves what the contract says, no more, no less")
      let set = try await transport.unaryMessage(
        ReflectionService.getFileDescriptorSet, request: Rpc_V1_GetFileDescriptorSetRequest(), options: CallOptions())
      #expect(set.fileDescriptorSet == ServiceRouter.fileDescriptorSet)
    }
  }
}
