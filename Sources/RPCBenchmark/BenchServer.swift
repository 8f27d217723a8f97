import CRPCBenchmarkAllocations
import Foundation
import Logging
import NIOCore
import NIOPosix
import RPCCore
import RPCNIO
import WireBridge

/// The trivial unary method both sides use: echo a payload.
let echoMethod = UnaryMethod<Rpc_Testing_V1_Payload, Rpc_Testing_V1_Payload>(service: "rpc.bench.v1.Bench", method: "Echo")

/// The same echo, registered with `RPCRouter.registerSynchronous`: the form a handler that
/// never suspends (a cache read, a validation failure) would use; no `Task` per call.
let echoSyncMethod = UnaryMethod<Rpc_Testing_V1_Payload, Rpc_Testing_V1_Payload>(service: "rpc.bench.v1.Bench", method: "EchoSync")

/// The server process: the RPC runtime and the bare echo, side by side; answers "allocs" on
/// stdin with its allocation count.
enum BenchServer {
  static func run() async throws {
    let logger = Logger(label: "rpc-bench") { _ in SwiftLogNoOpLogHandler() }
    var router = RPCRouter()
    router.register(echoMethod) { request, _ in request }
    router.registerSynchronous(echoSyncMethod) { request, _ in request }
    let server = RPCServer(router: router, configuration: .init(host: "127.0.0.1", port: 0), logger: logger)
    let rpcAddress = try await server.start()
    let echo = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
      .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
      .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
      .childChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(EchoServerHandler()) }
      }
      .bind(host: "127.0.0.1", port: 0).get()
    print("ready \(rpcAddress.port ?? 0) \(echo.localAddress?.port ?? 0)")
    fflush(nil)
    // A plain thread for the blocking stdin loop: the event loops and the cooperative pool
    // stay free.
    let done = Thread {
      while let line = readLine() {
        if line == "allocs" {
          print(rpc_bench_allocation_count())
          fflush(nil)
        }
      }
      exit(0)
    }
    done.start()
    while true { try await Task.sleep(for: .seconds(3600)) }
  }
}
