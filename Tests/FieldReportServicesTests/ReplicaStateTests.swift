import FieldReportAPI
import FieldReportServices
import FieldReportWorkflow
import Foundation
import RPCCore
import RPCNIO
import StoreTestSupport
import Testing
import TestSupport
import WireBridge

/// Two replicas in this process on one PostgreSQL database — each with its own store (its
/// reference cache, its throttle counter, its LISTEN connection), environment and router,
/// each served on its own loopback socket: what a replica keeps in memory stays right when the
/// other one changes the data. Every change is made through replica A and checked through
/// replica B on the very next call, after B's cache was warmed.
@Suite(
  "Two replicas on one PostgreSQL database: caches and event streams", .enabled(if: PostgresTestCluster.shouldRun),
  .timeLimit(.minutes(3)))
struct ReplicaStateTests {
  typealias Identity = Fieldreport_V1_IdentityServiceClient
  typealias Cases = Fieldreport_V1_CaseServiceClient
  typealias P = DemoProvince

  /// The demo province on a new PostgreSQL database and two replicas on it over sockets;
  /// `body` gets replica A (the seeded server) and the clients of A and B.
  /// - Parameters:
  ///   - limits: both replicas' limits.
  ///   - servicesOfB: replica B's services (default every service).
  static func withReplicas(
    limits: ServiceLimits = ServiceLimits(),
    servicesOfB: ((ServiceEnvironment) -> [any RPCService])? = nil,
    _ body: (TestServer, RPCClient, RPCClient) async throws -> Void
  ) async throws {
    try await TestServer.with(engine: .postgres, limits: limits) { server in
      let replica = try await server.replica(services: servicesOfB)
      do {
        try await server.withLiveServer { a in
          try await replica.withLiveServer { b in try await body(server, a, b) }
        }
      } catch {
        await replica.closeReplica()
        throw error
      }
      await replica.closeReplica()
    }
  }

  /// Fills B's cache with the caller's account and grants.
  static func warm(_ client: RPCClient, _ options: CallOptions) async throws {
    for _ in 0..<3 { _ = try await Identity(client).whoAmI(.init(), options: options) }
  }

  @Test("a session ended, or revoked by a password change, through A is refused by B on the next call")
  func sessions() async throws {
    try await Self.withReplicas { server, a, b in
      let first = try await server.login(P.thang, over: a)
      let second = try await server.login(P.thang, over: a)
      try await Self.warm(b, first)
      try await Self.warm(b, second)
      _ = try await Identity(a).logout(.init(), options: first)
      #expect(await statusCode { try await Identity(b).whoAmI(.init(), options: first) } == .unauthenticated)
      _ = try await Identity(b).whoAmI(.init(), options: second)
      let third = try await server.login(P.thang, over: b)
      var change = Fieldreport_V1_ChangePasswordRequest()
      change.currentPassword = TestServer.password
      change.newPassword = "mat-khau-moi-2026"
      _ = try await Identity(a).changePassword(change, options: third)
      #expect(await statusCode { try await Identity(b).whoAmI(.init(), options: second) } == .unauthenticated)
      _ = try await Identity(b).whoAmI(.init(), options: third)
    }
  }

  @Test("an account disabled through A is refused by B on the next call, and works again when enabled")
  func disabledAccount() async throws {
    try await Self.withReplicas { server, a, b in
      let admin = try await server.login("admin", over: a)
      let mai = try await server.login(P.mai, over: b)
      try await Self.warm(b, mai)
      var disable = Fieldreport_V1_SetUserDisabledRequest()
      disable.userId = P.mai.id.rawValue
      disable.disabled = true
      disable.reason = "nghỉ việc"
      _ = try await Identity(a).setUserDisabled(disable, options: admin)
      #expect(await statusCode { try await Identity(b).whoAmI(.init(), options: mai) } == .unauthenticated)
      disable.disabled = false
      _ = try await Identity(a).setUserDisabled(disable, options: admin)
      let again = try await server.login(P.mai, over: b)
      try await Self.warm(b, again)
    }
  }

  @Test("a role revoked through A is gone from B's next principal")
  func revokedRole() async throws {
    try await Self.withReplicas { server, a, b in
      let admin = try await server.login("admin", over: a)
      let quan = try await server.login(P.quan, over: b)
      try await Self.warm(b, quan)
      var all = Fieldreport_V1_ListCasesRequest()
      all.scope = .all
      _ = try await Cases(b).listCases(all, options: quan)  // an IOC operator lists every case
      var mine = Fieldreport_V1_ListUserRolesRequest()
      mine.userId = P.quan.id.rawValue
      let grant = try #require(try await Identity(a).listUserRoles(mine, options: admin).grants.first)
      var revoke = Fieldreport_V1_RevokeRoleRequest()
      revoke.grantId = grant.grantId
      revoke.reason = "chuyển công tác"
      _ = try await Identity(a).revokeRole(revoke, options: admin)
      #expect(try await Identity(b).whoAmI(.init(), options: quan).roles.isEmpty)
      #expect(await statusCode { try await Cases(b).listCases(all, options: quan) } == .permissionDenied)
    }
  }

  @Test("API keys revoked through A, and method rights set through A, hold on B's next call")
  func keysAndMethodRights() async throws {
    try await Self.withReplicas { server, a, b in
      let admin = try await server.login("admin", over: a)
      try await Self.warm(b, server.platform)
      var issue = Fieldreport_V1_IssueApiKeyRequest()
      issue.userId = P.platform.id.rawValue
      issue.label = "rotation"
      issue.revokeExisting = true
      let issued = try await Identity(a).issueApiKey(issue, options: admin)
      #expect(await statusCode { try await Identity(b).whoAmI(.init(), options: server.platform) } == .unauthenticated)
      let fresh = TestServer.apiKey(issued.apiKey?.apiKey ?? "")
      try await Self.warm(b, fresh)
      _ = try await Cases(b).listCategories(.init(), options: fresh)

      var limit = Fieldreport_V1_SetMethodRightsRequest()
      limit.userId = P.platform.id.rawValue
      limit.restricted = true
      limit.methodPaths = ["/fieldreport.v1.IdentityService/WhoAmI"]
      _ = try await Identity(a).setMethodRights(limit, options: admin)
      #expect(await statusCode { try await Cases(b).listCategories(.init(), options: fresh) } == .permissionDenied)
      _ = try await Identity(b).whoAmI(.init(), options: fresh)
      limit.restricted = false
      _ = try await Identity(a).setMethodRights(limit, options: admin)
      _ = try await Cases(b).listCategories(.init(), options: fresh)

      var revoke = Fieldreport_V1_RevokeApiKeyRequest()
      revoke.keyId = issued.apiKey?.keyId ?? ""
      _ = try await Identity(a).revokeApiKey(revoke, options: admin)
      #expect(await statusCode { try await Identity(b).whoAmI(.init(), options: fresh) } == .unauthenticated)
    }
  }

  @Test("a category, a unit and a transfer group created or changed through A are what B shows next")
  func referenceData() async throws {
    try await Self.withReplicas { server, a, b in
      let admin = try await server.login("admin", over: a)
      let adminOnB = try await server.login("admin", over: b)
      for _ in 0..<3 { _ = try await Cases(b).listCategories(.init(), options: adminOnB) }
      var category = Fieldreport_V1_CreateCategoryRequest()
      category.categoryCode = "CAY-XANH"
      category.categoryName = "Cây xanh"
      _ = try await Cases(a).createCategory(category, options: admin)
      #expect(try await Cases(b).listCategories(.init(), options: adminOnB).categories.contains { $0.categoryId == "CAY-XANH" })
      var report = Fieldreport_V1_SubmitReportRequest()
      report.title = "Cây đổ chắn đường"
      report.content = "Cây xà cừ đổ sau bão."
      report.categoryId = "CAY-XANH"
      var reporter = Fieldreport_V1_ReporterInfo()
      reporter.fullName = "Nguyễn Văn An"
      reporter.phone = "0912345678"
      report.reporter = reporter
      #expect(try await Cases(b).submitReport(report, options: server.platform).caseSummary?.categoryId == "CAY-XANH")

      for _ in 0..<3 { _ = try await Identity(b).listUnits(.init(), options: adminOnB) }
      var unit = Fieldreport_V1_CreateUnitRequest()
      unit.unitCode = "UBND-THACH-HA"
      unit.unitName = "UBND Xã Thạch Hạ"
      unit.unitKind = .commune
      _ = try await Identity(a).createUnit(unit, options: admin)
      #expect(try await Identity(b).listUnits(.init(), options: adminOnB).units.contains { $0.unitCode == "UBND-THACH-HA" })

      let duong = try await server.login(P.duong, over: a)
      let duongOnB = try await server.login(P.duong, over: b)
      var list = Fieldreport_V1_ListGroupsRequest()
      list.unitId = P.dongLoc.rawValue
      for _ in 0..<3 { _ = try await Identity(b).listGroups(list, options: duongOnB) }
      var create = Fieldreport_V1_CreateGroupRequest()
      create.unitId = P.dongLoc.rawValue
      create.groupName = "Tổ công tác"
      create.memberUserIds = [P.thang.id.rawValue, P.lan.id.rawValue]
      let group = try #require(try await Identity(a).createGroup(create, options: duong).group)
      let groups = try await Identity(b).listGroups(list, options: duongOnB).groups
      #expect(groups.first { $0.groupId == group.groupId }?.members.map(\.fullName) == ["Lê Đại Thắng", "Phan Thị Lan"])
      var set = Fieldreport_V1_SetGroupMembersRequest()
      set.groupId = group.groupId
      set.memberUserIds = [P.duong.id.rawValue]
      _ = try await Identity(a).setGroupMembers(set, options: duong)
      let changed = try await Identity(b).listGroups(list, options: duongOnB).groups
      #expect(changed.first { $0.groupId == group.groupId }?.members.map(\.userId) == [P.duong.id.rawValue])
    }
  }

  @Test("a stream on B, whose fallback read is ten minutes away, gets every event written through A and B at once, in order, once")
  func watchWokenByNotifications() async throws {
    // B's streams read the journal again only when its event bell rings (or after 600 s):
    // every event arriving proves the wake-ups, without timing anything.
    let servicesOfB: (ServiceEnvironment) -> [any RPCService] = { env in
      [
        IdentityService(env: env), CaseService(env: env), AssignmentService(env: env),
        JournalService(env: env, pollInterval: .seconds(600)),
      ]
    }
    // One citizen reports them all: no per-reporter limit here.
    let limits = ServiceLimits(submissionsPerReporter: Int.max)
    try await Self.withReplicas(limits: limits, servicesOfB: servicesOfB) { server, a, b in
      let worldA = try await CaseWorld.over(server, transport: a)
      let worldB = CaseWorld(server: server, transport: b, tokens: worldA.tokens)
      let writers = 8
      let perWriter = 3
      async let watched = JournalServiceTests.watch(worldB, as: P.quan, after: "0", count: writers * perWriter)
      // Let the stream reach its wait (not required for correctness: only so that the
      // writes below find it idle, which is the case under test).
      try await Task.sleep(for: .milliseconds(500))
      try await withThrowingTaskGroup(of: Void.self) { group in
        for writer in 0..<writers {
          let world = writer.isMultiple(of: 2) ? worldA : worldB
          group.addTask {
            for index in 0..<perWriter { _ = try await world.submit("Ghi \(writer)-\(index)") }
          }
        }
        try await group.waitForAll()
      }
      let stream = try await watched
      #expect(stream.events.count == writers * perWriter)
      let sequences = stream.messages.filter {
        if case .caseEvent? = $0.payload { true } else { false }
      }.compactMap { Int64($0.cursor) }
      // Every event once, in the order of the journal's event sequence, none missing.
      let journal = try await server.store.events(after: 0, limit: 1_000).map(\.eventSequence)
      #expect(sequences == journal)
      #expect(Set(stream.events.compactMap(\.caseSummary).map(\.reportCode)).count == writers * perWriter)
    }
  }
}
