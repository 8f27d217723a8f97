import NIOCore
import RPCCore
@testable import RPCNIO
import Testing
import WireBridge

/// Keepalive pings and idle timeouts over real loopback sockets, where a socket is the point:
/// reconnecting after an idle close, resending calls that met it, failing calls when the
/// server goes silent. Assertions are about behaviour (what is sent, what closes, what still
/// works). The timers themselves are tested on an injected clock, where a starved machine
/// cannot move them: `ServerLivenessClockTests`, `ClientLivenessClockTests` and the
/// `ConnectionLiveness` tests below.
@Suite("Keepalive and idle timeout (loopback)", .timeLimit(.minutes(1)))
struct KeepaliveTests {
  private static func limits(
    keepalive: Duration? = nil,
    keepaliveTimeout: Duration = .seconds(20),
    idle: Duration? = nil
  ) -> ConnectionLimits {
    var limits = ConnectionLimits()
    limits.keepaliveInterval = keepalive
    limits.keepaliveTimeout = keepaliveTimeout
    limits.idleTimeout = idle
    return limits
  }

  // MARK: Server

  @Test func clientReconnectsTransparentlyAfterTheServerIdledOut() async throws {
    // The server's idle clock runs from the accept: the period is long enough that a test
    // process short of CPU (the rest of the suite runs alongside) still gets its call onto
    // the fresh connection in time (a refused call is resent on a new one at most twice).
    let server = try await TestServer.start(limits: Self.limits(idle: .seconds(2)))
    let client = server.client()
    _ = try await client.call(TestService.emptyCall, Rpc_Testing_V1_Empty())
    #expect(await eventually { server.server.connectionCount == 0 })
    // The next call opens a new connection without the caller seeing an error.
    _ = try await client.call(TestService.emptyCall, Rpc_Testing_V1_Empty())
    await client.close()
    await server.server.shutdown(gracePeriod: .seconds(1))
  }

  @Test func callsAroundTheIdleDeadlineAllSucceed() async throws {
    // Calls race the server's idle close: every call after the first meets it (the server
    // serves one call per connection, then idles out as the next call arrives, GOAWAY
    // IDLE_TIMEOUT naming the call before). The race is scripted, not left to the clock: each
    // refused call must be resent on a new connection, and none may fail.
    let server = try await IdleClosingServer(callsPerConnection: 1)
    let client = RPCClient(configuration: .init(host: "127.0.0.1", port: server.port), logger: TestServer.logger)
    for _ in 0..<6 {
      _ = try await client.call(TestService.emptyCall, Rpc_Testing_V1_Empty())
    }
    let seen = server.seen
    #expect(seen.served == 6)
    #expect(seen.refused == 5, "every call after the first met the idle close")
    #expect(seen.connections == 6, "each refused call was resent on a new connection")
    await client.close()
    await server.close()
  }

  @Test func aCallRefusedOnEveryAttemptFailsUnavailable() async throws {
    // A server that idles out every connection as its first call arrives: the call is sent
    // three times in all (resent twice, docs/PROTOCOL.md §4.2), then fails UNAVAILABLE.
    let server = try await IdleClosingServer(callsPerConnection: 0)
    let client = RPCClient(configuration: .init(host: "127.0.0.1", port: server.port), logger: TestServer.logger)
    let error = await #expect(throws: RPCError.self) {
      _ = try await client.call(TestService.emptyCall, Rpc_Testing_V1_Empty())
    }
    #expect(error?.code == .unavailable)
    #expect(server.seen.refused == 3)
    #expect(server.seen.served == 0)
    await client.close()
    await server.close()
  }

  // MARK: Client

  @Test func clientPingsASilentServerAndFailsItsCallsWhenNoAckComes() async throws {
    let silent = try await SilentServer()
    let client = RPCClient(
      configuration: .init(
        host: "127.0.0.1",
        port: silent.port,
        limits: Self.limits(keepalive: .milliseconds(100), keepaliveTimeout: .milliseconds(300))
      ),
      logger: TestServer.logger
    )
    // The server never answers; the call fails when keepalive gives up on the connection.
    let error = await #expect(throws: RPCError.self) {
      _ = try await client.call(TestService.emptyCall, Rpc_Testing_V1_Empty())
    }
    #expect(error?.code == .unavailable)
    var sawPing = false
    var goAway: Rpc_V1_GoAway?
    for await frame in silent.received {
      guard case .frame(let header, let payload) = frame else { continue }
      if header.type == .ping && !header.flags.contains(.ack) { sawPing = true }
      if header.type == .goAway {
        goAway = try payload.withUnsafeReadableBytes { try Rpc_V1_GoAway(serializedBytes: $0) }
      }
    }
    #expect(sawPing)
    #expect(goAway?.code == .keepaliveTimeout)
    await client.close()
    await silent.close()
  }

  @Test func clientClosesItsIdleConnectionAndReconnects() async throws {
    let server = try await TestServer.start()
    let client = server.client(limits: Self.limits(idle: .milliseconds(500)))
    _ = try await client.call(TestService.emptyCall, Rpc_Testing_V1_Empty())
    #expect(await eventually { server.server.connectionCount == 0 })
    _ = try await client.call(TestService.emptyCall, Rpc_Testing_V1_Empty())
    await client.close()
    await server.server.shutdown(gracePeriod: .seconds(1))
  }

  // MARK: The state machine

  @Test func livenessAsksForAPingAfterSilenceThenClosesWithoutAck() {
    let start = NIODeadline.now()
    var liveness = ConnectionLiveness(
      limits: Self.limits(keepalive: .seconds(1), keepaliveTimeout: .seconds(2)),
      now: start
    )
    #expect(liveness.nextDeadline == start + .seconds(1))
    #expect(liveness.timerFired(now: start + .milliseconds(500)) == nil)
    liveness.readReceived(now: start + .milliseconds(800))
    #expect(liveness.timerFired(now: start + .seconds(1)) == nil)
    #expect(liveness.timerFired(now: start + .milliseconds(1800)) == .sendPing(1))
    #expect(liveness.nextDeadline == start + .milliseconds(3800))
    // An ACK for another payload does not count.
    liveness.pingAckReceived(payload: 7)
    #expect(liveness.timerFired(now: start + .milliseconds(3800)) == .close(.keepaliveTimeout))
  }

  @Test func livenessAckedPingRearmsAndIdleCountsOnlyWithoutCalls() {
    let start = NIODeadline.now()
    var liveness = ConnectionLiveness(
      limits: Self.limits(keepalive: .seconds(1), keepaliveTimeout: .seconds(1), idle: .seconds(5)),
      now: start
    )
    #expect(liveness.timerFired(now: start + .seconds(1)) == .sendPing(1))
    liveness.pingAckReceived(payload: 1)
    liveness.readReceived(now: start + .milliseconds(1100))
    #expect(liveness.nextDeadline == start + .milliseconds(2100))
    liveness.callStarted()
    #expect(liveness.timerFired(now: start + .seconds(6)) == .sendPing(2))
    liveness.pingAckReceived(payload: 2)
    liveness.readReceived(now: start + .seconds(6))
    #expect(liveness.timerFired(now: start + .milliseconds(6500)) == nil)
    liveness.callsEnded(now: start + .seconds(7))
    #expect(liveness.timerFired(now: start + .milliseconds(11_900)) == .sendPing(3))
    liveness.pingAckReceived(payload: 3)
    #expect(liveness.timerFired(now: start + .seconds(12)) == .close(.idleTimeout))
  }

  @Test func aClientsIdleClockStartsWhenItsCallsEnd() {
    let start = NIODeadline.now()
    var liveness = ConnectionLiveness(limits: Self.limits(idle: .seconds(1)), now: start, idleUntilFirstCall: false)
    // No call yet: nothing to time, however long the caller takes.
    #expect(liveness.nextDeadline == nil)
    #expect(liveness.timerFired(now: start + .seconds(30)) == nil)
    liveness.callStarted()
    liveness.callsEnded(now: start + .seconds(31))
    #expect(liveness.timerFired(now: start + .milliseconds(31_900)) == nil)
    #expect(liveness.timerFired(now: start + .seconds(32)) == .close(.idleTimeout))
    // A server's runs from the start.
    var server = ConnectionLiveness(limits: Self.limits(idle: .seconds(1)), now: start)
    #expect(server.timerFired(now: start + .seconds(1)) == .close(.idleTimeout))
  }
}
