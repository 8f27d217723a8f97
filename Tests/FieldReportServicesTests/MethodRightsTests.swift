import FieldReportAPI
import FieldReportServices
import RPCCore
import RPCNIO
import Testing
import WireBridge

/// Per-account method rights, over a real socket: a limited service account may call only
/// its listed methods (PERMISSION_DENIED naming the method otherwise, before the handler).
@Suite("Method rights of service accounts")
struct MethodRightsTests {
  @Test("a limited account is refused other methods by name; lifting the limit restores its roles' rights")
  func limitedAccount() async throws {
    try await TestServer.with { server in
      try await server.withLiveServer { client in
        let identity = Fieldreport_V1_IdentityServiceClient(client)
        let cases = Fieldreport_V1_CaseServiceClient(client)
        let platformID = try #require(try await identity.whoAmI(.init(), options: server.platform).user?.userId)
        let admin = try await server.login("admin", over: client)

        // Accounts start unrestricted (as before method rights existed).
        var get = Fieldreport_V1_GetMethodRightsRequest()
        get.userId = platformID
        #expect(try await identity.getMethodRights(get, options: admin).rights?.restricted == false)
        _ = try await cases.listCategories(.init(), options: server.platform)

        var set = Fieldreport_V1_SetMethodRightsRequest()
        set.userId = platformID
        set.restricted = true
        set.methodPaths = ["CaseService/SubmitReport", "/fieldreport.v1.IdentityService/WhoAmI"]
        let rights = try await identity.setMethodRights(set, options: admin).rights
        #expect(rights?.methodPaths == ["/fieldreport.v1.CaseService/SubmitReport", "/fieldreport.v1.IdentityService/WhoAmI"])

        _ = try await identity.whoAmI(.init(), options: server.platform)
        let refused = await #expect(throws: RPCError.self) { _ = try await cases.listCategories(.init(), options: server.platform) }
        #expect(refused?.code == .permissionDenied)
        #expect(refused?.message.contains("/fieldreport.v1.CaseService/ListCategories") == true, "\(refused?.message ?? "")")

        // A path that is not a method of the contract is refused, naming it.
        var bad = set
        bad.methodPaths = ["CaseService/Nope"]
        let invalid = await #expect(throws: RPCError.self) { _ = try await identity.setMethodRights(bad, options: admin) }
        #expect(invalid?.code == .invalidArgument)
        #expect(invalid?.message.contains("CaseService/Nope") == true)

        // Only the system admin sets them; only service accounts have them.
        let notAdmin = await #expect(throws: RPCError.self) { _ = try await identity.setMethodRights(set, options: server.platform) }
        #expect(notAdmin?.code == .permissionDenied)

        set.restricted = false
        set.methodPaths = []
        #expect(try await identity.setMethodRights(set, options: admin).rights?.restricted == false)
        _ = try await cases.listCategories(.init(), options: server.platform)
      }
    }
  }
}
