import Logging
import NIOCore
import NIOPosix
import RPCCore
import RPCNIO
import WireBridge

/// A running server with the test service on a free loopback port, and a client for it.
struct TestServer {
  let server: RPCServer
  let service: TestService
  let port: Int

  static let logger = Logger(label: "rpc-tests") { _ in SwiftLogNoOpLogHandler() }

  static func start(
    port: Int = 0,
    limits: ConnectionLimits = ConnectionLimits(),
    fileDescriptorSet: [UInt8] = [],
    interceptors: [any ServerInterceptor] = [],
    maxConnections: Int = 4_096,
    maxConnectionsPerPeer: Int = 512
  ) async throws -> TestServer {
    let service = TestService()
    var router = RPCRouter()
    router.register(service)
    router.interceptors = interceptors
    let server = RPCServer(
      router: router,
      configuration: .init(
        host: "127.0.0.1", port: port, limits: limits, drainGracePeriod: .seconds(10),
        maxConnections: maxConnections, maxConnectionsPerPeer: maxConnectionsPerPeer),
      fileDescriptorSet: fileDescriptorSet,
      logger: Self.logger
    )
    let address = try await server.start()
    return TestServer(server: server, service: service, port: address.port ?? 0)
  }

  func client(limits: ConnectionLimits = ConnectionLimits()) -> RPCClient {
    // A generous connect (preface) timeout: the suite runs in parallel on two cores, and a
    // starved server can take seconds to answer 200 fresh connections.
    RPCClient(
      configuration: .init(host: "127.0.0.1", port: self.port, limits: limits, connectTimeout: .seconds(60)),
      logger: Self.logger)
  }

  /// Runs `body` with a server and one client, shutting both down afterwards.
  static func with<R>(
    limits: ConnectionLimits = ConnectionLimits(),
    fileDescriptorSet: [UInt8] = [],
    interceptors: [any ServerInterceptor] = [],
    _ body: (TestServer, RPCClient) async throws -> R
  ) async throws -> R {
    let server = try await Self.start(limits: limits, fileDescriptorSet: fileDescriptorSet, interceptors: interceptors)
    let client = server.client()
    do {
      let result = try await body(server, client)
      await client.close()
      await server.server.shutdown(gracePeriod: .seconds(1))
      return result
    } catch {
      await client.close()
      await server.server.shutdown(gracePeriod: .seconds(1))
      throw error
    }
  }

  /// Proves the server still serves: a fresh connection makes a call.
  func assertServing() async throws {
    let client = self.client()
    defer { Task { await client.close() } }
    _ = try await client.call(TestService.emptyCall, Rpc_Testing_V1_Empty())
  }
}

/// Polls `condition` until true or about 10 seconds pass (behaviour, not timing).
func eventually(_ condition: () -> Bool) async -> Bool {
  for _ in 0..<1000 {
    if condition() { return true }
    try? await Task.sleep(for: .milliseconds(10))
  }
  return condition()
}
