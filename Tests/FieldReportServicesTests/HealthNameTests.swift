import FieldReportAPI
import FieldReportServices
import RPCCore
import Testing
import WireBridge

@Suite("Health knows every served service")
struct HealthNameTests {
  @Test("Check answers SERVING for each service the server serves, by full name; NOT_FOUND for others")
  func names() async throws {
    try await TestServer.with { server in
      try await server.withLiveServer { transport in
        for name in [
          "", "rpc.v1.Health", "rpc.v1.Reflection", "fieldreport.v1.IdentityService", "fieldreport.v1.CaseService",
          "fieldreport.v1.AssignmentService", "fieldreport.v1.JournalService",
        ] {
          var request = Rpc_V1_HealthCheckRequest()
          request.service = name
          let response = try await transport.call(HealthService.check, request, options: .defaults)
          #expect(response.status == .serving, "\(name)")
        }
        var unknown = Rpc_V1_HealthCheckRequest()
        unknown.service = "fieldreport.v1.NoSuchService"
        #expect(await statusCode { try await transport.call(HealthService.check, unknown, options: .defaults) } == .notFound)
      }
    }
  }
}
