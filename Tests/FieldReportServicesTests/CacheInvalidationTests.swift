import FieldReportAPI
import FieldReportServices
import FieldReportWorkflow
import RPCCore
import StoreTestSupport
import Testing
import WireBridge

/// The store keeps verified credentials and reference data in memory; each test warms the
/// cache with repeated calls over a real socket, changes the data through the public RPCs,
/// and checks that the very next call sees the change.
@Suite("Cache invalidation: every change takes effect on the next call")
struct CacheInvalidationTests {
  typealias Identity = Fieldreport_V1_IdentityServiceClient
  typealias Cases = Fieldreport_V1_CaseServiceClient

  static func warm(_ identity: Identity, _ options: CallOptions) async throws {
    for _ in 0..<3 { _ = try await identity.whoAmI(Fieldreport_V1_WhoAmIRequest(), options: options) }
  }

  @Test("logout, and a session revoked by a password change", arguments: StoreEngine.all)
  func sessions(engine: StoreEngine) async throws {
    try await TestServer.with(engine: engine) { server in
      try await server.withLiveServer { transport in
        let identity = Identity(transport)
        let first = try await server.login(DemoProvince.thang, over: transport)
        let second = try await server.login(DemoProvince.thang, over: transport)
        try await Self.warm(identity, first)
        try await Self.warm(identity, second)
        _ = try await identity.logout(Fieldreport_V1_LogoutRequest(), options: first)
        #expect(await statusCode { try await identity.whoAmI(.init(), options: first) } == .unauthenticated)
        _ = try await identity.whoAmI(.init(), options: second)
        var change = Fieldreport_V1_ChangePasswordRequest()
        change.currentPassword = TestServer.password
        change.newPassword = "mat-khau-moi-2026"
        let third = try await server.login(DemoProvince.thang, over: transport)
        try await Self.warm(identity, third)
        _ = try await identity.changePassword(change, options: third)
        // The other sessions are revoked; the one that changed the password stays.
        #expect(await statusCode { try await identity.whoAmI(.init(), options: second) } == .unauthenticated)
        _ = try await identity.whoAmI(.init(), options: third)
      }
    }
  }

  @Test("a disabled account is refused at once, and works again when enabled", arguments: StoreEngine.all)
  func disabledAccount(engine: StoreEngine) async throws {
    try await TestServer.with(engine: engine) { server in
      try await server.withLiveServer { transport in
        let identity = Identity(transport)
        let admin = try await server.login("admin", over: transport)
        let mai = try await server.login(DemoProvince.mai, over: transport)
        try await Self.warm(identity, mai)
        var disable = Fieldreport_V1_SetUserDisabledRequest()
        disable.userId = DemoProvince.mai.id.rawValue
        disable.disabled = true
        disable.reason = "nghỉ việc"
        _ = try await identity.setUserDisabled(disable, options: admin)
        #expect(await statusCode { try await identity.whoAmI(.init(), options: mai) } == .unauthenticated)
        disable.disabled = false
        _ = try await identity.setUserDisabled(disable, options: admin)
        let again = try await server.login(DemoProvince.mai, over: transport)
        try await Self.warm(identity, again)
      }
    }
  }

  @Test("a revoked role is gone from the next call's principal", arguments: StoreEngine.all)
  func revokedRole(engine: StoreEngine) async throws {
    try await TestServer.with(engine: engine) { server in
      try await server.withLiveServer { transport in
        let identity = Identity(transport)
        let cases = Cases(transport)
        let admin = try await server.login("admin", over: transport)
        let quan = try await server.login(DemoProvince.quan, over: transport)
        try await Self.warm(identity, quan)
        var all = Fieldreport_V1_ListCasesRequest()
        all.scope = .all
        _ = try await cases.listCases(all, options: quan)  // an IOC operator lists every case
        var mine = Fieldreport_V1_ListUserRolesRequest()
        mine.userId = DemoProvince.quan.id.rawValue
        let grant = try #require(try await identity.listUserRoles(mine, options: admin).grants.first)
        var revoke = Fieldreport_V1_RevokeRoleRequest()
        revoke.grantId = grant.grantId
        revoke.reason = "chuyển công tác"
        _ = try await identity.revokeRole(revoke, options: admin)
        let me = try await identity.whoAmI(.init(), options: quan)
        #expect(me.roles.isEmpty)
        #expect(await statusCode { try await cases.listCases(all, options: quan) } == .permissionDenied)
      }
    }
  }

  @Test("a revoked API key, and an expired session, are refused on the next call", arguments: StoreEngine.all)
  func keysAndExpiry(engine: StoreEngine) async throws {
    try await TestServer.with(engine: engine) { server in
      try await server.withLiveServer { transport in
        let identity = Identity(transport)
        let admin = try await server.login("admin", over: transport)
        try await Self.warm(identity, server.platform)
        var issue = Fieldreport_V1_IssueApiKeyRequest()
        issue.userId = DemoProvince.platform.id.rawValue
        issue.label = "rotation"
        issue.revokeExisting = true
        let issued = try await identity.issueApiKey(issue, options: admin)
        #expect(await statusCode { try await identity.whoAmI(.init(), options: server.platform) } == .unauthenticated)
        let fresh = TestServer.apiKey(issued.apiKey?.apiKey ?? "")
        try await Self.warm(identity, fresh)
        var revoke = Fieldreport_V1_RevokeApiKeyRequest()
        revoke.keyId = issued.apiKey?.keyId ?? ""
        _ = try await identity.revokeApiKey(revoke, options: admin)
        #expect(await statusCode { try await identity.whoAmI(.init(), options: fresh) } == .unauthenticated)

        let duong = try await server.login(DemoProvince.duong, over: transport)
        try await Self.warm(identity, duong)
        server.clock.advance(milliseconds: 12 * 3_600_000)
        #expect(await statusCode { try await identity.whoAmI(.init(), options: duong) } == .unauthenticated)
      }
    }
  }

  @Test("a new category and a new unit are usable and listed on the next call", arguments: StoreEngine.all)
  func referenceData(engine: StoreEngine) async throws {
    try await TestServer.with(engine: engine) { server in
      try await server.withLiveServer { transport in
        let identity = Identity(transport)
        let cases = Cases(transport)
        let admin = try await server.login("admin", over: transport)
        for _ in 0..<3 { _ = try await cases.listCategories(.init(), options: admin) }
        // A rendered case first, so the renderers' categories by id are cached too.
        var earlier = Fieldreport_V1_SubmitReportRequest()
        earlier.title = "Rác thải"
        earlier.content = "Rác thải ven đường."
        earlier.categoryId = try #require(try await cases.listCategories(.init(), options: admin).categories.first).categoryId
        var someone = Fieldreport_V1_ReporterInfo()
        someone.fullName = "Trần Thị Bình"
        earlier.reporter = someone
        #expect(try await cases.submitReport(earlier, options: server.platform).caseSummary?.categoryName.isEmpty == false)
        var create = Fieldreport_V1_CreateCategoryRequest()
        create.categoryCode = "CAY-XANH"
        create.categoryName = "Cây xanh"
        _ = try await cases.createCategory(create, options: admin)
        #expect(try await cases.listCategories(.init(), options: admin).categories.contains { $0.categoryId == "CAY-XANH" })
        var report = Fieldreport_V1_SubmitReportRequest()
        report.title = "Cây đổ chắn đường"
        report.content = "Cây xà cừ đổ sau bão."
        report.categoryId = "CAY-XANH"
        var reporter = Fieldreport_V1_ReporterInfo()
        reporter.fullName = "Nguyễn Văn An"
        reporter.phone = "0912345678"
        report.reporter = reporter
        let submitted = try await cases.submitReport(report, options: server.platform)
        #expect(submitted.caseSummary?.categoryId == "CAY-XANH")
        #expect(submitted.caseSummary?.categoryName == "Cây xanh")

        for _ in 0..<3 { _ = try await identity.listUnits(.init(), options: admin) }
        var unit = Fieldreport_V1_CreateUnitRequest()
        unit.unitCode = "UBND-THACH-HA"
        unit.unitName = "UBND Xã Thạch Hạ"
        unit.unitKind = .commune
        _ = try await identity.createUnit(unit, options: admin)
        #expect(try await identity.listUnits(.init(), options: admin).units.contains { $0.unitCode == "UBND-THACH-HA" })
      }
    }
  }
}
