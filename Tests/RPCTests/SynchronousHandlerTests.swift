import RPCCore
import RPCNIO
import Synchronization
import Testing
import WireBridge

/// Handlers registered with `RPCRouter.registerSynchronous`: run inline by the connection
/// (no task) without interceptors, in a task with them, and with the same results, trailers
/// and errors as task-based handlers.
@Suite("Synchronous handlers", .timeLimit(.minutes(1)))
struct SynchronousHandlerTests {
  static let echo = UnaryMethod<Rpc_Testing_V1_Payload, Rpc_Testing_V1_Payload>(service: "rpc.testing.v1.Sync", method: "Echo")

  /// Echoes the body; refuses an empty one (a validation failure); records whether it ran
  /// inside a Swift task.
  private static func router(ranInTask: Runs, interceptors: [any ServerInterceptor] = []) -> RPCRouter {
    var router = RPCRouter()
    router.registerSynchronous(Self.echo) { request, context in
      ranInTask.record(withUnsafeCurrentTask { $0 != nil })
      guard !request.body.isEmpty else {
        throw RPCError(code: .invalidArgument, message: "body: must not be empty")
      }
      context.addTrailer("x-body-count", .text(String(request.body.count)))
      return request
    }
    router.interceptors = interceptors
    return router
  }

  private static func withServer(
    _ router: RPCRouter,
    _ body: (RPCClient) async throws -> Void
  ) async throws {
    let server = RPCServer(router: router, configuration: .init(host: "127.0.0.1", port: 0), logger: TestServer.logger)
    let address = try await server.start()
    let client = RPCClient(configuration: .init(host: "127.0.0.1", port: address.port ?? 0), logger: TestServer.logger)
    do {
      try await body(client)
    } catch {
      await client.close()
      await server.shutdown(gracePeriod: .seconds(1))
      throw error
    }
    await client.close()
    await server.shutdown(gracePeriod: .seconds(1))
  }

  @Test func runsInlineOverSocketsWithResultsTrailersAndErrors() async throws {
    let ranInTask = Runs()
    try await Self.withServer(Self.router(ranInTask: ranInTask)) { client in
      var request = Rpc_Testing_V1_Payload()
      request.body = [1, 2, 3]
      let response = try await client.unary(Self.echo, request: request, options: .defaults)
      #expect(response.message.body == [1, 2, 3])
      #expect(response.trailers.firstText("x-body-count") == "3")
      let refused = await #expect(throws: RPCError.self) {
        _ = try await client.call(Self.echo, Rpc_Testing_V1_Payload())
      }
      #expect(refused?.code == .invalidArgument)
      #expect(refused?.message == "body: must not be empty")
      // Many concurrent calls on one connection, each answered with its own body.
      try await withThrowingTaskGroup(of: Void.self) { group in
        for i in 1...200 {
          group.addTask {
            var request = Rpc_Testing_V1_Payload()
            request.body = [UInt8](repeating: UInt8(i % 256), count: i)
            let response = try await client.call(Self.echo, request)
            #expect(response.body == request.body)
          }
        }
        try await group.waitForAll()
      }
    }
    let runs = ranInTask.all
    #expect(runs.count == 202)
    #expect(runs.allSatisfy { !$0 })
  }

  @Test func runsInATaskUnderInterceptors() async throws {
    let ranInTask = Runs()
    let counter = CountingInterceptor()
    try await Self.withServer(Self.router(ranInTask: ranInTask, interceptors: [counter])) { client in
      var request = Rpc_Testing_V1_Payload()
      request.body = [9]
      let response = try await client.unary(Self.echo, request: request, options: .defaults)
      #expect(response.message.body == [9])
      #expect(response.trailers.firstText("x-body-count") == "1")
    }
    #expect(counter.count.withLock { $0 } == 1)
    #expect(ranInTask.all == [true])
  }

  @Test func worksThroughTheInProcessTransport() async throws {
    let ranInTask = Runs()
    let transport = InProcessTransport(router: Self.router(ranInTask: ranInTask))
    var request = Rpc_Testing_V1_Payload()
    request.body = [4, 5]
    let response = try await transport.call(Self.echo, request)
    #expect(response.body == [4, 5])
    let refused = await #expect(throws: RPCError.self) {
      _ = try await transport.call(Self.echo, Rpc_Testing_V1_Payload())
    }
    #expect(refused?.code == .invalidArgument)
    #expect(ranInTask.all.count == 2)
  }
}

/// Whether each run of the handler was inside a Swift task, in order.
private final class Runs: Sendable {
  private let runs = Mutex<[Bool]>([])
  func record(_ inTask: Bool) { self.runs.withLock { $0.append(inTask) } }
  var all: [Bool] { self.runs.withLock { $0 } }
}

private final class CountingInterceptor: ServerInterceptor {
  let count = Mutex(0)
  func intercept(context: ServerContext, next: (ServerContext) async throws -> Void) async throws {
    self.count.withLock { $0 += 1 }
    try await next(context)
  }
}
