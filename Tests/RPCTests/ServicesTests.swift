import RPCCore
import RPCNIO
import Synchronization
import Testing
import WireBridge

@Suite("Health and reflection", .timeLimit(.minutes(1)))
struct HealthReflectionTests {
  @Test func healthCheck() async throws {
    try await TestServer.with { server, client in
      let overall = try await client.call(HealthService.check, Rpc_V1_HealthCheckRequest())
      #expect(overall.status == .serving)
      var request = Rpc_V1_HealthCheckRequest()
      request.service = "no.such.Service"
      let error = await #expect(throws: RPCError.self) {
        _ = try await client.call(HealthService.check, request)
      }
      #expect(error?.code == .notFound)
      server.server.health.setStatus(.notServing, for: "rpc.testing.v1.TestService")
      request.service = "rpc.testing.v1.TestService"
      #expect(try await client.call(HealthService.check, request).status == .notServing)
    }
  }

  @Test func healthWatchStreamsChanges() async throws {
    try await TestServer.with { server, client in
      var request = Rpc_V1_HealthCheckRequest()
      request.service = "svc"
      let seen = Mutex<[Rpc_V1_ServingStatus]>([])
      let watch = Task {
        try await client.serverStreaming(HealthService.watch, request: request, options: .defaults) { response in
          seen.withLock { $0.append(response.status) }
        }
      }
      #expect(await eventually { seen.withLock { $0 } == [.serviceUnknown] })
      server.server.health.setStatus(.serving, for: "svc")
      #expect(await eventually { seen.withLock { $0 } == [.serviceUnknown, .serving] })
      server.server.health.setStatus(.notServing, for: "svc")
      #expect(await eventually { seen.withLock { $0 } == [.serviceUnknown, .serving, .notServing] })
      watch.cancel()
      await #expect(throws: RPCError.self) { try await watch.value }
    }
  }

  @Test func reflectionListsServicesAndServesDescriptorSet() async throws {
    let set: [UInt8] = [0x0A, 0x03, 0x61, 0x62, 0x63]
    try await TestServer.with(fileDescriptorSet: set) { _, client in
      let list = try await client.call(ReflectionService.listServices, Rpc_V1_ListServicesRequest())
      let names = list.services.map(\.name)
      #expect(names == ["rpc.testing.v1.TestService", "rpc.v1.Health", "rpc.v1.Reflection"])
      let test = try #require(list.services.first { $0.name == "rpc.testing.v1.TestService" })
      #expect(test.methods.map(\.name) == ["EmptyCall", "StreamingOutputCall", "UnaryCall"])
      let streaming = try #require(test.methods.first { $0.name == "StreamingOutputCall" })
      #expect(streaming.serverStreaming)
      #expect(streaming.path == "/rpc.testing.v1.TestService/StreamingOutputCall")
      #expect(streaming.inputMessage == "rpc.testing.v1.StreamingOutputCallRequest")
      let descriptors = try await client.call(ReflectionService.getFileDescriptorSet, Rpc_V1_GetFileDescriptorSetRequest())
      #expect(descriptors.fileDescriptorSet == set)
    }
  }
}

private enum Principal: ServerContextKey {
  typealias Value = String
}

@Suite("In-process transport and interceptors", .timeLimit(.minutes(1)))
struct InProcessTests {
  private func router(interceptors: [any ServerInterceptor] = []) -> (RPCRouter, TestService) {
    let service = TestService()
    var router = RPCRouter()
    router.register(service)
    router.register(HealthService())
    router.interceptors = interceptors
    return (router, service)
  }

  @Test func unaryAndStreaming() async throws {
    let (router, _) = self.router()
    let transport = InProcessTransport(router: router)
    let response = try await transport.call(TestService.unaryCall, .make(responseSize: 7))
    #expect(response.payload?.body.count == 7)
    let stream = try await transport.collect(TestService.streamingOutputCall, .make(sizes: [3, 1, 2]))
    #expect(stream.map { $0.payload?.body.count } == [3, 1, 2])
  }

  @Test func errorsDeadlinesAndUnimplemented() async throws {
    let (router, service) = self.router()
    let transport = InProcessTransport(router: router)
    let failure = await #expect(throws: RPCError.self) {
      _ = try await transport.call(TestService.unaryCall, .make(code: .notFound, message: "Không tìm thấy"))
    }
    #expect(failure?.code == .notFound)
    #expect(failure?.message == "Không tìm thấy")
    #expect(failure?.details == TestService.failureDetails)
    let deadline = await #expect(throws: RPCError.self) {
      _ = try await transport.call(TestService.unaryCall, .make(sleepMs: 60_000), options: CallOptions(timeout: .milliseconds(50)))
    }
    #expect(deadline?.code == .deadlineExceeded)
    #expect(await eventually { service.cancelledCount == 1 })
    let missing = await #expect(throws: RPCError.self) {
      _ = try await transport.call(TestService.unimplementedCall, Rpc_Testing_V1_Empty())
    }
    #expect(missing?.code == .unimplemented)
  }

  @Test func cancellationReachesHandler() async throws {
    let (router, service) = self.router()
    let transport = InProcessTransport(router: router)
    let task = Task { try await transport.call(TestService.unaryCall, .make(sleepMs: 60_000)) }
    #expect(await eventually { service.startedCount == 1 })
    task.cancel()
    await #expect(throws: RPCError.self) { try await task.value }
    #expect(await eventually { service.cancelledCount == 1 })
  }

  @Test func authInterceptorRefusesAndAttachesPrincipal() async throws {
    let auth = AuthInterceptor(key: Principal.self, publicServices: ["rpc.v1.Health"]) { context in
      guard let token = context.metadata.firstText("authorization"), token.hasPrefix("Bearer ") else {
        throw RPCError(code: .unauthenticated, message: "Missing or malformed authorization token.")
      }
      return String(token.dropFirst("Bearer ".count))
    }
    let seen = Mutex<String?>(nil)
    let recorder = RecordingInterceptor { context in seen.withLock { $0 = context[Principal.self] } }
    let (router, _) = self.router(interceptors: [auth, recorder, MetricsInterceptor()])
    let transport = InProcessTransport(router: router)
    let refused = await #expect(throws: RPCError.self) {
      _ = try await transport.call(TestService.emptyCall, Rpc_Testing_V1_Empty())
    }
    #expect(refused?.code == .unauthenticated)
    _ = try await transport.call(
      TestService.emptyCall,
      Rpc_Testing_V1_Empty(),
      options: CallOptions(metadata: ["authorization": .text("Bearer officer-7")])
    )
    #expect(seen.withLock { $0 } == "officer-7")
    // Health is public.
    _ = try await transport.call(HealthService.check, Rpc_V1_HealthCheckRequest())
  }

  @Test func interceptorsRunOverSockets() async throws {
    let calls = Mutex<[String]>([])
    let recorder = RecordingInterceptor { context in calls.withLock { $0.append(context.method.path) } }
    try await TestServer.with(interceptors: [recorder, LoggingInterceptor(logger: TestServer.logger)]) { _, client in
      _ = try await client.call(TestService.emptyCall, Rpc_Testing_V1_Empty())
      _ = try await client.collect(TestService.streamingOutputCall, .make(sizes: [1]))
    }
    #expect(calls.withLock { $0 } == ["/rpc.testing.v1.TestService/EmptyCall", "/rpc.testing.v1.TestService/StreamingOutputCall"])
  }
}

private struct RecordingInterceptor: ServerInterceptor {
  let record: @Sendable (ServerContext) -> Void
  func intercept(context: ServerContext, next: (ServerContext) async throws -> Void) async throws {
    self.record(context)
    try await next(context)
  }
}

private enum Attempt: ServerContextKey {
  typealias Value = Int
}

@Suite("Server context values")
struct ServerContextValueTests {
  @Test("values by key type: set, read, replaced, removed, each key apart")
  func values() {
    let context = ServerContext(
      method: MethodDescriptor(
        service: "rpc.testing.v1.TestService", method: "UnaryCall", kind: .unary,
        inputMessage: "rpc.testing.v1.SimpleRequest", outputMessage: "rpc.testing.v1.SimpleResponse"),
      metadata: [:], deadline: nil, peer: "in-process", callID: 1)
    #expect(context[Principal.self] == nil)
    context[Principal.self] = "duong.lv"
    context[Attempt.self] = 1
    #expect(context[Principal.self] == "duong.lv" && context[Attempt.self] == 1)
    context[Principal.self] = "thang.ld"
    #expect(context[Principal.self] == "thang.ld" && context[Attempt.self] == 1)
    context[Principal.self] = nil
    #expect(context[Principal.self] == nil && context[Attempt.self] == 1)
    context[Attempt.self] = nil
    context[Attempt.self] = nil
    #expect(context[Attempt.self] == nil)
    context[Attempt.self] = 2
    #expect(context[Attempt.self] == 2)
  }
}
