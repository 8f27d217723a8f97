import NIOCore
import NIOEmbedded
import RPCCore
@testable import RPCNIO
import Testing
import WireBridge

/// The server's keepalive and idle timeout, driven through its connection handler over an
/// `EmbeddedChannel` whose event loop's time is the clock: the test advances it, nothing
/// waits, and a starved machine cannot make a timer fire early, late or not at all.
/// (These replace the loopback versions, which needed idle periods of seconds and retries.)
@Suite("Server keepalive and idle on the injected clock")
struct ServerLivenessClockTests {
  static func limits(keepalive: Duration? = nil, keepaliveTimeout: Duration = .seconds(20), idle: Duration? = nil) -> ConnectionLimits {
    var limits = ConnectionLimits()
    limits.keepaliveInterval = keepalive
    limits.keepaliveTimeout = keepaliveTimeout
    limits.idleTimeout = idle
    return limits
  }

  /// A connection with the client's preface in, the server's preface read off.
  static func connection(_ limits: ConnectionLimits) throws -> (EmbeddedChannel, EmbeddedEventLoop) {
    let (channel, loop) = try ServerCallStateMachineTests.connection(limits)
    _ = try channel.readOutbound(as: ByteBuffer.self)
    return (channel, loop)
  }

  static func goAway(_ frames: [(FrameHeader, ByteBuffer)]) throws -> Rpc_V1_GoAway? {
    try frames.first { $0.0.type == .goAway }.map { frame in
      try frame.1.withUnsafeReadableBytes { try Rpc_V1_GoAway(serializedBytes: $0) }
    }
  }

  /// HEADERS and MESSAGE of a held UnaryCall (it sleeps ten minutes), with an optional deadline.
  static func heldCall(id: UInt32, timeoutUs: Int64? = nil) throws -> ByteBuffer {
    var headers = Rpc_V1_CallHeaders()
    headers.methodPath = TestService.unaryCall.descriptor.path
    headers.timeoutUs = timeoutUs
    var buffer = ByteBuffer()
    try headers.serializedBytes().withUnsafeBytes { buffer.writeFrame(type: .headers, callID: id, payload: $0) }
    try Rpc_Testing_V1_SimpleRequest.make(sleepMs: 600_000).serializedBytes().withUnsafeBytes {
      buffer.writeFrame(type: .message, flags: .endStream, callID: id, payload: $0)
    }
    return buffer
  }

  @Test func serverPingsASilentClientAndClosesWhenNoAckComes() throws {
    let (channel, loop) = try Self.connection(Self.limits(keepalive: .seconds(10), keepaliveTimeout: .seconds(5)))
    loop.advanceTime(by: .milliseconds(9_999))
    #expect(try ServerCallStateMachineTests.frames(channel).isEmpty)
    loop.advanceTime(by: .milliseconds(1))
    let ping = try ServerCallStateMachineTests.frames(channel)
    #expect(ping.count == 1)
    #expect(ping.first?.0.type == .ping)
    #expect(ping.first?.0.flags.contains(.ack) == false)
    #expect(ping.first?.0.length == 8)
    // No ACK: at the timeout, GOAWAY KEEPALIVE_TIMEOUT and the connection closes.
    loop.advanceTime(by: .milliseconds(4_999))
    #expect(channel.isActive)
    loop.advanceTime(by: .milliseconds(1))
    #expect(try Self.goAway(ServerCallStateMachineTests.frames(channel))?.code == .keepaliveTimeout)
    #expect(!channel.isActive)
  }

  @Test func serverKeepsAClientThatAnswersPings() throws {
    let (channel, loop) = try Self.connection(Self.limits(keepalive: .seconds(10), keepaliveTimeout: .seconds(5)))
    for round in 1...4 {
      loop.advanceTime(by: .seconds(10))
      let frames = try ServerCallStateMachineTests.frames(channel)
      let ping = try #require(frames.first { $0.0.type == .ping }, "round \(round): \(frames.map(\.0))")
      #expect(!ping.0.flags.contains(.ack))
      // The client answers with the same payload; time passes within the timeout first.
      loop.advanceTime(by: .seconds(4))
      var ack = ByteBuffer()
      ping.1.withUnsafeReadableBytes { ack.writeFrame(type: .ping, flags: .ack, callID: 0, payload: $0) }
      try channel.writeInbound(ack)
      #expect(channel.isActive, "round \(round)")
    }
    // Long past every timeout the client answered: still open, never a GOAWAY.
    loop.advanceTime(by: .seconds(2))
    #expect(try Self.goAway(ServerCallStateMachineTests.frames(channel)) == nil)
    #expect(channel.isActive)
    _ = try? channel.finish()
  }

  @Test func serverClosesAnIdleConnectionWithGoAwayNamingItsLastCall() throws {
    let (channel, loop) = try Self.connection(Self.limits(idle: .seconds(30)))
    // Call 1 ends (its 1 s deadline passes); the idle clock starts at its end.
    try channel.writeInbound(try Self.heldCall(id: 1, timeoutUs: 1_000_000))
    loop.advanceTime(by: .seconds(1))
    let status = try #require(try ServerCallStateMachineTests.frames(channel).first { $0.0.type == .status })
    #expect(status.0.callID == 1)
    loop.advanceTime(by: .milliseconds(29_999))
    #expect(channel.isActive)
    loop.advanceTime(by: .milliseconds(1))
    let goAway = try #require(try Self.goAway(ServerCallStateMachineTests.frames(channel)))
    #expect(goAway.code == .idleTimeout)
    #expect(goAway.lastCallId == 1)
    #expect(!channel.isActive)
  }

  @Test func serverDoesNotCloseAConnectionWithACallInFlight() throws {
    let (channel, loop) = try Self.connection(Self.limits(idle: .seconds(30)))
    // A call that runs until its deadline, 400 s: more than thirteen idle periods.
    try channel.writeInbound(try Self.heldCall(id: 1, timeoutUs: 400_000_000))
    for _ in 0..<13 {
      loop.advanceTime(by: .seconds(30))
      #expect(try ServerCallStateMachineTests.frames(channel).isEmpty)
      #expect(channel.isActive)
    }
    // It ends at its deadline; from then on the connection is idle, and closes a period later.
    loop.advanceTime(by: .seconds(10))
    let status = try #require(try ServerCallStateMachineTests.frames(channel).first { $0.0.type == .status })
    #expect(status.0.callID == 1)
    loop.advanceTime(by: .milliseconds(29_999))
    #expect(channel.isActive)
    loop.advanceTime(by: .milliseconds(1))
    let goAway = try #require(try Self.goAway(ServerCallStateMachineTests.frames(channel)))
    #expect(goAway.code == .idleTimeout)
    #expect(goAway.lastCallId == 1)
    #expect(!channel.isActive)
  }
}
