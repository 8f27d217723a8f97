import NIOCore
import RPCCore
@testable import RPCNIO
import Testing
import WireBridge

/// Keepalive pings and idle timeouts, on both sides, over real loopback sockets. Intervals
/// are short; assertions are about behaviour (what is sent, what closes, what still works),
/// with generous waits for a loaded machine.
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

  private static func goAway(in frames: [InboundFrame]) -> Rpc_V1_GoAway? {
    for frame in frames {
      guard case .frame(let header, let payload) = frame, header.type == .goAway else { continue }
      return try? payload.withUnsafeReadableBytes { try Rpc_V1_GoAway(serializedBytes: $0) }
    }
    return nil
  }

  // MARK: Server

  @Test func serverPingsASilentClientAndClosesWhenNoAckComes() async throws {
    // The timeout is not tiny: the server pings every client, and the well-behaved one of
    // `assertServing` below must not be dropped merely because the suite starved it of CPU.
    let server = try await TestServer.start(limits: Self.limits(keepalive: .milliseconds(100), keepaliveTimeout: .seconds(5)))
    let raw = try await RawConnection(port: server.port)
    try await raw.sendPreface()
    // The raw client never answers: the server pings, waits, then gives up.
    let frames = await raw.drainToEOF()
    let pings = frames.filter {
      if case .frame(let header, _) = $0 { return header.type == .ping && !header.flags.contains(.ack) }
      return false
    }
    #expect(pings.count >= 1)
    let goAway = try #require(Self.goAway(in: frames))
    #expect(goAway.code == .keepaliveTimeout)
    // The server still serves others. Its pings reach this well-behaved client too, and a
    // process starved of CPU for the whole timeout by the rest of the suite can miss one: that
    // connection proves nothing either way, so try again on a new one, a few times.
    var served = false
    for _ in 0..<3 where !served {
      do {
        try await server.assertServing()
        served = true
      } catch let error as RPCError where error.code == .unavailable {
        continue
      }
    }
    #expect(served)
    await server.server.shutdown(gracePeriod: .seconds(1))
  }

  @Test func serverKeepsAClientThatAnswersPings() async throws {
    let server = try await TestServer.start(limits: Self.limits(keepalive: .milliseconds(50), keepaliveTimeout: .seconds(10)))
    let raw = try await RawConnection(port: server.port)
    try await raw.sendPreface()
    var answered = 0
    while answered < 4, let (header, payload) = try await raw.next(.ping) {
      #expect(header.length == 8)
      #expect(!header.flags.contains(.ack))
      var ack = ByteBuffer()
      payload.withUnsafeReadableBytes { ack.writeFrame(type: .ping, flags: .ack, callID: 0, payload: $0) }
      try await raw.write(ack)
      answered += 1
    }
    #expect(answered == 4)
    // Still open and serving on the same connection.
    try await raw.sendCall(id: 1, path: TestService.emptyCall.descriptor.path, message: Rpc_Testing_V1_Empty())
    let (id, status) = try #require(try await raw.nextStatus())
    #expect(id == 1)
    #expect(status.code == .ok)
    await raw.close()
    await server.server.shutdown(gracePeriod: .seconds(1))
  }

  @Test func serverClosesAnIdleConnectionWithGoAway() async throws {
    // Idle periods in this suite are seconds, not milliseconds: a test process short of CPU
    // (the suite runs alongside on two cores) must still get a call onto a fresh connection
    // before the server's idle clock, which runs from the accept, closes it.
    let server = try await TestServer.start(limits: Self.limits(idle: .seconds(2)))
    // A test process starved of CPU by the rest of the suite may get its call out only after
    // the fresh connection already idled out (GOAWAY with last_call_id 0): that connection
    // proves nothing either way, so try again on a new one, a few times.
    var observed: (statusOK: Bool, goAway: Rpc_V1_GoAway?) = (false, nil)
    for _ in 0..<5 {
      let raw = try await RawConnection(port: server.port)
      var buffer = ByteBuffer()
      buffer.writePreface(Preface(first: 1, second: 1, settings: []))
      let empty = try Rpc_Testing_V1_Empty().serializedBytes()
      var headers = Rpc_V1_CallHeaders()
      headers.methodPath = TestService.emptyCall.descriptor.path
      try headers.serializedBytes().withUnsafeBytes { buffer.writeFrame(type: .headers, callID: 1, payload: $0) }
      empty.withUnsafeBytes { buffer.writeFrame(type: .message, flags: .endStream, callID: 1, payload: $0) }
      try? await raw.write(buffer)
      let frames = await raw.drainToEOF()
      await raw.close()
      let statusOK = frames.contains {
        if case .frame(let header, _) = $0 { return header.type == .status && header.callID == 1 }
        return false
      }
      observed = (statusOK, Self.goAway(in: frames))
      if statusOK || observed.goAway?.lastCallId != 0 { break }
    }
    #expect(observed.statusOK)
    let goAway = try #require(observed.goAway)
    #expect(goAway.code == .idleTimeout)
    #expect(goAway.lastCallId == 1)
    try await server.assertServing()
    await server.server.shutdown(gracePeriod: .seconds(1))
  }

  @Test func serverDoesNotCloseAConnectionWithACallInFlight() async throws {
    // The idle period is not tiny so that a CPU-starved client still gets its call out on the
    // fresh connection in time; the call then outlasts several idle periods.
    let server = try await TestServer.start(limits: Self.limits(idle: .milliseconds(1500)))
    let client = server.client()
    let response = try await client.call(TestService.unaryCall, .make(responseSize: 5, sleepMs: 4000))
    #expect(response.payload?.body.count == 5)
    await client.close()
    await server.server.shutdown(gracePeriod: .seconds(1))
  }

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

  @Test func clientKeepsAServerThatAnswersPings() async throws {
    let server = try await TestServer.start()
    let client = RPCClient(
      configuration: .init(
        host: "127.0.0.1",
        port: server.port,
        limits: Self.limits(keepalive: .milliseconds(30), keepaliveTimeout: .seconds(10))
      ),
      logger: TestServer.logger
    )
    // A call that lasts many keepalive intervals: the server answers every ping.
    let response = try await client.call(TestService.unaryCall, .make(responseSize: 3, sleepMs: 400))
    #expect(response.payload?.body.count == 3)
    #expect(server.server.connectionCount == 1)
    await client.close()
    await server.server.shutdown(gracePeriod: .seconds(1))
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
