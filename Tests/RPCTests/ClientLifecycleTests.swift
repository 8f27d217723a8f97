import NIOCore
import NIOPosix
import RPCCore
@testable import RPCNIO
import Testing
import WireBridge

/// The client's connection lifecycle: the connect (preface) timeout, reconnection backoff,
/// `close()`, and what a caller sees when a draining server's grace period runs out.
@Suite("Client lifecycle", .timeLimit(.minutes(1)))
struct ClientLifecycleTests {
  /// A listener that accepts connections and never writes a byte (no preface).
  static func mute() async throws -> any Channel {
    try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
      .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
      .childChannelInitializer { $0.eventLoop.makeSucceededVoidFuture() }
      .bind(host: "127.0.0.1", port: 0).get()
  }

  /// A loopback port with nothing listening (bound, then closed).
  static func closedPort() async throws -> Int {
    let listener = try await mute()
    let port = listener.localAddress?.port ?? 0
    try await listener.close()
    return port
  }

  @Test func aServerThatNeverSendsItsPrefaceFailsTheCallUnavailable() async throws {
    let listener = try await Self.mute()
    let client = RPCClient(
      configuration: .init(host: "127.0.0.1", port: listener.localAddress?.port ?? 0, connectTimeout: .milliseconds(200)),
      logger: TestServer.logger)
    // The TCP connect succeeds; the preface never comes: UNAVAILABLE, retryable.
    let error = await #expect(throws: RPCError.self) {
      _ = try await client.call(TestService.emptyCall, Rpc_Testing_V1_Empty())
    }
    #expect(error?.code == .unavailable)
    #expect(error?.message.contains("no preface in time") == true, "\(error?.message ?? "")")
    #expect(error?.retryDelay != nil)
    await client.close()
    try await listener.close()
  }

  @Test func backoffGrowsByItsMultiplierUpToItsMaximum() {
    var backoff = RPCClient.Configuration.Backoff()
    backoff.initial = .milliseconds(100)
    backoff.multiplier = 2
    backoff.maximum = .milliseconds(500)
    backoff.jitter = 0
    #expect(backoff.delay(afterFailures: 0) == .zero)
    #expect((1...6).map { backoff.delay(afterFailures: $0) } == [100, 200, 400, 500, 500, 500].map { Duration.milliseconds($0) })
    // Far past the cap (the growth loop is bounded), still the cap.
    #expect(backoff.delay(afterFailures: 10_000) == .milliseconds(500))
    // Jitter spreads each wait within ± its fraction, never below zero or above the cap + spread.
    backoff.jitter = 0.2
    for failures in 1...8 {
      let base = min(100.0 * pow2(failures - 1), 500)
      let delay = backoff.delay(afterFailures: failures)
      #expect(delay >= .microseconds(Int64(base * 800)) && delay <= .microseconds(Int64(base * 1200)), "\(failures): \(delay)")
    }
  }

  @Test func failedConnectionsAreRetriedAfterAGrowingCappedBackoff() async throws {
    let port = try await Self.closedPort()
    var backoff = RPCClient.Configuration.Backoff()
    backoff.initial = .milliseconds(20)
    backoff.multiplier = 2
    backoff.maximum = .milliseconds(80)
    backoff.jitter = 0
    let client = RPCClient(configuration: .init(host: "127.0.0.1", port: port, backoff: backoff), logger: TestServer.logger)
    // Each refused connection fails the call UNAVAILABLE with the wait before the next
    // attempt, which grows per consecutive failure up to the maximum.
    var delays: [Duration] = []
    let start = ContinuousClock.now
    for _ in 0..<5 {
      do {
        _ = try await client.call(TestService.emptyCall, Rpc_Testing_V1_Empty())
        Issue.record("a call to a closed port succeeded")
      } catch {
        #expect(error.code == .unavailable)
        delays.append(error.retryDelay ?? .zero)
      }
    }
    #expect(delays == [20, 40, 80, 80, 80].map { Duration.milliseconds($0) })
    // The attempts waited their backoff: the fifth started no earlier than 20+40+80+80 ms
    // after the first (a lower bound: a loaded machine only makes it later).
    #expect(ContinuousClock.now - start >= .milliseconds(220))
    await client.close()
  }

  @Test func closeFailsCallsInFlightAndLaterCallsUnavailable() async throws {
    let server = try await TestServer.start()
    let client = server.client()
    let inFlight = Task { try await client.call(TestService.unaryCall, .make(sleepMs: TestService.holdUntilReleased)) }
    #expect(await eventually { server.service.startedCount == 1 })
    await client.close()
    let error = await #expect(throws: RPCError.self) { _ = try await inFlight.value }
    #expect(error?.code == .unavailable)
    let later = await #expect(throws: RPCError.self) {
      _ = try await client.call(TestService.emptyCall, Rpc_Testing_V1_Empty())
    }
    #expect(later?.code == .unavailable)
    #expect(later?.message.contains("closed") == true)
    // The server saw the connection go and cancelled the handler.
    #expect(await eventually { server.service.cancelledCount == 1 })
    server.service.releaseHeld()
    await server.server.shutdown(gracePeriod: .seconds(1))
  }

  @Test func aDrainWhoseGracePeriodRunsOutFailsTheCallInFlightUnavailable() async throws {
    let server = try await TestServer.start()
    let client = server.client()
    let inFlight = Task { try await client.call(TestService.unaryCall, .make(sleepMs: TestService.holdUntilReleased)) }
    #expect(await eventually { server.service.startedCount == 1 })
    // The held call never finishes by itself: the grace period runs out, the server closes
    // the connection and cancels the handler; the caller sees UNAVAILABLE (retryable).
    await server.server.shutdown(gracePeriod: .milliseconds(100))
    let error = await #expect(throws: RPCError.self) { _ = try await inFlight.value }
    #expect(error?.code == .unavailable)
    #expect(await eventually { server.service.cancelledCount == 1 })
    #expect(server.server.connectionCount == 0)
    server.service.releaseHeld()
    await client.close()
  }
}

private func pow2(_ exponent: Int) -> Double {
  var value = 1.0
  for _ in 0..<max(0, exponent) { value *= 2 }
  return value
}
