import FieldReportClient
import Synchronization
import Testing
@testable import FieldReportCLI

@Suite("FieldReportClient")
struct ClientTests {
  @Test("server addresses parse", arguments: [
    ("127.0.0.1:7443", "127.0.0.1", 7443), ("example.org", "example.org", ServerAddress.defaultPort),
    ("[::1]:9000", "::1", 9000), ("::1", "::1", ServerAddress.defaultPort), (" host:1 ", "host", 1),
  ])
  func addresses(text: String, host: String, port: Int) throws {
    let address = try ServerAddress(parsing: text)
    #expect(address.host == host)
    #expect(address.port == port)
  }

  @Test("bad server addresses are refused", arguments: ["", ":80", "host:", "host:0", "host:65536", "host:http", "[::1", "[::1]x"])
  func badAddresses(text: String) {
    #expect(throws: ServerAddressError.self) { try ServerAddress(parsing: text) }
  }

  @Test("every call carries the credentials, the default deadline and the default metadata")
  func decorates() async throws {
    let recorder = RecordingTransport()
    let client = FieldReportClient(
      transport: recorder,
      defaults: .init(credentials: .apiKey("k1"), timeout: .seconds(7), metadata: ["x-trace-id": .text("t-1")]))
    _ = try await client.cases.listCategories(Fieldreport_V1_ListCategoriesRequest())
    var options = try #require(recorder.last)
    #expect(options.metadata.firstText("authorization") == "ApiKey k1")
    #expect(options.metadata.firstText("x-trace-id") == "t-1")
    #expect(options.timeout == .seconds(7))

    // Per-call options win.
    _ = try await client.journal.getWorkflow(
      Fieldreport_V1_GetWorkflowRequest(),
      options: CallOptions(timeout: .seconds(1), metadata: ["x-trace-id": .text("mine"), "authorization": .text("Bearer other")]))
    options = try #require(recorder.last)
    #expect(options.timeout == .seconds(1))
    #expect(options.metadata[ "x-trace-id"] == [.text("mine")])
    #expect(options.metadata["authorization"] == [.text("Bearer other")])
  }

  @Test("login keeps the session token for later calls; logout forgets it")
  func login() async throws {
    let recorder = RecordingTransport()
    recorder.loginToken = "tok-123"
    let client = FieldReportClient(transport: recorder)
    #expect(client.credentials == .none)
    _ = try await client.assignments.approve(Fieldreport_V1_ApproveRequest())
    #expect(recorder.last?.metadata.first("authorization") == nil)
    try await client.login(username: "thang.ld", password: "pw")
    #expect(client.credentials == .sessionToken("tok-123"))
    _ = try await client.identity.whoAmI(Fieldreport_V1_WhoAmIRequest())
    #expect(recorder.last?.metadata.firstText("authorization") == "Bearer tok-123")
    try await client.logout()
    #expect(client.credentials == .none)
  }
}

@Suite("Errors and exit codes")
struct ExitStatusTests {
  @Test("each status code gets its own exit code, clear of the CLI's own")
  func distinct() {
    let codes = StatusCode.allCodes.filter { $0 != .ok }.map(ExitStatus.forRPC)
    #expect(Set(codes).count == codes.count)
    #expect(codes.allSatisfy { $0 > 10 && $0 < 64 })
    #expect(ExitStatus.forRPC(.notFound) == 15)
    #expect(ExitStatus.forRPC(.unauthenticated) == 26)
  }

  @Test("the error text names the status, the message and every field violation")
  func describes() {
    let error = RPCError(
      code: .invalidArgument, message: "Tiêu đề trống",
      details: [.badRequest([FieldViolation(field: "title", explanation: "must not be empty")]),
                .preconditionFailure([PreconditionViolation(kind: "STATE", subject: "case", explanation: "wrong state")])])
    let text = ExitStatus.describe(error)
    #expect(text.hasPrefix("error: INVALID_ARGUMENT: Tiêu đề trống"))
    #expect(text.contains("field title: must not be empty"))
    #expect(text.contains("precondition STATE case: wrong state"))
  }
}
