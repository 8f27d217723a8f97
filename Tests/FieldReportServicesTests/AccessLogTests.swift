import FieldReportAPI
import FieldReportServices
import Foundation
import Logging
import RPCCore
import RPCNIO
import Synchronization
import Testing
import WireBridge

/// A log handler that keeps every line, for assertions.
struct CapturingLogHandler: LogHandler {
  struct Line: Sendable {
    var level: Logger.Level
    var message: String
    var metadata: [String: String]
  }

  final class Lines: Sendable {
    private let lines = Mutex<[Line]>([])
    func append(_ line: Line) { self.lines.withLock { $0.append(line) } }
    var all: [Line] { self.lines.withLock { $0 } }
  }

  let lines: Lines
  var logLevel: Logger.Level = .info
  var metadata: Logger.Metadata = [:]

  subscript(metadataKey key: String) -> Logger.Metadata.Value? {
    get { self.metadata[key] }
    set { self.metadata[key] = newValue }
  }

  func log(event: LogEvent) {
    var all: [String: String] = [:]
    for (key, value) in self.metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) {
      all[key] = "\(value)"
    }
    self.lines.append(Line(level: event.level, message: "\(event.message)", metadata: all))
  }
}

@Suite("access log")
struct AccessLogTests {
  /// Waits (up to 2 s) until `count` `call` lines were logged: the line is written after the
  /// final status went out, so the client can see its answer first.
  static func accessLines(_ lines: CapturingLogHandler.Lines, count: Int) async throws -> [CapturingLogHandler.Line] {
    for _ in 0..<200 {
      let calls = lines.all.filter { $0.message == "call" }
      if calls.count >= count { return calls }
      try await Task.sleep(for: .milliseconds(10))
    }
    return lines.all.filter { $0.message == "call" }
  }

  @Test("one info line per call over a socket: method, caller, peer, code, duration, sizes, trace id; never the token")
  func oneLinePerCall() async throws {
    try await TestServer.with { server in
      let lines = CapturingLogHandler.Lines()
      let logger = Logger(label: "access") { _ in CapturingLogHandler(lines: lines) }
      let env = ServiceEnvironment(store: server.store, now: server.clock.closure, logger: logger, limits: server.env.limits)
      let (router, _) = ServiceRouter.make(env: env, services: ServiceRouter.allServices(env: env))
      let rpcServer = RPCServer(
        router: router, configuration: .init(host: "127.0.0.1", port: 0),
        fileDescriptorSet: ServiceRouter.fileDescriptorSet, logger: TestServer.logger)
      let address = try await rpcServer.start()
      let client = RPCClient(configuration: .init(host: "127.0.0.1", port: address.port ?? 0), logger: TestServer.logger)

      var login = Fieldreport_V1_LoginRequest()
      login.username = "duong.lv"
      login.password = TestServer.password
      let session = try await Fieldreport_V1_IdentityServiceClient(client).login(login)
      var options = TestServer.bearer(session.sessionToken)
      options.metadata.add("x-trace-id", .text("trace-access-1"))
      _ = try await Fieldreport_V1_IdentityServiceClient(client).whoAmI(Fieldreport_V1_WhoAmIRequest(), options: options)
      var platform = server.platform
      platform.metadata.add("x-trace-id", .text("trace-access-2"))
      _ = try await Fieldreport_V1_IdentityServiceClient(client).whoAmI(Fieldreport_V1_WhoAmIRequest(), options: platform)
      login.password = "wrong password"
      await #expect(throws: RPCError.self) { _ = try await Fieldreport_V1_IdentityServiceClient(client).login(login) }

      let calls = try await Self.accessLines(lines, count: 4)
      await client.close()
      await rpcServer.shutdown(gracePeriod: .seconds(1))

      #expect(calls.count == 4)
      guard calls.count == 4 else { return }
      #expect(calls.allSatisfy { $0.level == .info })
      #expect(calls.allSatisfy { $0.metadata["rpc.peer"]?.contains("127.0.0.1") == true })
      #expect(calls.allSatisfy { $0.metadata["trace_id"]?.isEmpty == false })
      #expect(calls.allSatisfy { Double($0.metadata["rpc.duration_ms"] ?? "") != nil })
      let whoAmI = "/fieldreport.v1.IdentityService/WhoAmI"
      let person = try #require(calls.first { $0.metadata["trace_id"] == "trace-access-1" })
      #expect(person.metadata["rpc.method"] == whoAmI)
      #expect(person.metadata["rpc.code"] == "OK")
      #expect(person.metadata["user"] == "duong.lv")
      #expect(person.metadata["user_kind"] == "staff")
      #expect(Int(person.metadata["rpc.request_bytes"] ?? "") == 0)  // an empty request message
      #expect((Int(person.metadata["rpc.response_bytes"] ?? "") ?? 0) > 10)
      let platformLine = try #require(calls.first { $0.metadata["trace_id"] == "trace-access-2" })
      #expect(platformLine.metadata["user_kind"] == "service_account")
      #expect(platformLine.metadata["user"]?.isEmpty == false)
      let failed = try #require(calls.last)
      #expect(failed.metadata["rpc.method"] == "/fieldreport.v1.IdentityService/Login")
      #expect(failed.metadata["rpc.code"] == "UNAUTHENTICATED")
      #expect(failed.metadata["rpc.message"]?.isEmpty == false)
      #expect(failed.metadata["user"] == nil)
      #expect((Int(failed.metadata["rpc.request_bytes"] ?? "") ?? 0) > 10)
      // Secrets never reach the log: no token, no API key, no password, on any line.
      let everything = lines.all.map { "\($0.message) \($0.metadata)" }.joined(separator: "\n")
      #expect(!everything.contains(session.sessionToken))
      #expect(!everything.contains(server.platformKey))
      #expect(!everything.contains(TestServer.password))
      #expect(!everything.contains("wrong password"))
    }
  }

  @Test("in-process calls log their line too, and onEnd reports the final status and sizes")
  func inProcess() async throws {
    try await TestServer.with { server in
      let lines = CapturingLogHandler.Lines()
      let logger = Logger(label: "access") { _ in CapturingLogHandler(lines: lines) }
      let env = ServiceEnvironment(store: server.store, now: server.clock.closure, logger: logger, limits: server.env.limits)
      let (router, _) = ServiceRouter.make(env: env, services: ServiceRouter.allServices(env: env))
      let transport = InProcessTransport(router: router)
      _ = try await transport.unary(
        Fieldreport_V1_IdentityServiceMethods.whoAmI, request: Fieldreport_V1_WhoAmIRequest(), options: server.platform)
      await #expect(throws: RPCError.self) {
        _ = try await transport.unary(
          Fieldreport_V1_IdentityServiceMethods.whoAmI, request: Fieldreport_V1_WhoAmIRequest(), options: .defaults)
      }
      let calls = try await Self.accessLines(lines, count: 2)
      #expect(calls.map { $0.metadata["rpc.code"] } == ["OK", "UNAUTHENTICATED"])
      #expect(calls.map { $0.metadata["trace_id"]?.utf8.count } == [32, 32])
    }
  }
}
