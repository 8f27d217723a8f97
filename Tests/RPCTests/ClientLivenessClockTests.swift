import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import RPCCore
@testable import RPCNIO
import Testing
import WireBridge

/// The client's keepalive and idle timeout, driven through its connection handler over an
/// `EmbeddedChannel` whose event loop's time is the clock (as ``ServerLivenessClockTests``
/// for the server).
@Suite("Client keepalive and idle on the injected clock")
struct ClientLivenessClockTests {
  /// A connected client handler that has sent its preface and received the server's.
  static func connection(_ limits: ConnectionLimits) throws -> (EmbeddedChannel, EmbeddedEventLoop, NIOLockedValueBox<Int>) {
    let (channel, loop, goAways, _) = try Self.connectionWithHandler(limits)
    return (channel, loop, goAways)
  }

  /// ``connection(_:)``, with the handler (to start calls on it, as `RPCClient` does on the loop).
  static func connectionWithHandler(
    _ limits: ConnectionLimits
  ) throws -> (EmbeddedChannel, EmbeddedEventLoop, NIOLockedValueBox<Int>, ClientConnectionHandler) {
    let loop = EmbeddedEventLoop()
    let channel = EmbeddedChannel(loop: loop)
    try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
    let promise = loop.makePromise(of: ServerSettings.self)
    let goAways = NIOLockedValueBox(0)
    let handler = ClientConnectionHandler(limits: limits, prefacePromise: promise) { goAways.withLockedValue { $0 += 1 } }
    try channel.pipeline.syncOperations.addHandler(handler)
    // The client's preface went out; the server answers with its own.
    var out = ByteBuffer()
    while var chunk = try channel.readOutbound(as: ByteBuffer.self) { out.writeBuffer(&chunk) }
    var decoder = FrameDecoder(limits: .init(maxMessageSize: 1 << 20, maxMetadataSize: 1 << 20), expectPreface: true)
    guard case .preface? = try decoder.decode(buffer: &out) else { throw RPCError(code: .internal, message: "no client preface") }
    var preface = ByteBuffer()
    preface.writePreface(Preface(first: 1, second: 0, settings: []))
    try channel.writeInbound(preface)
    _ = try promise.futureResult.wait()
    return (channel, loop, goAways, handler)
  }

  /// Starts a server-streaming call on `handler` as `RPCClient` starts one on the loop.
  static func startStream(
    on handler: ClientConnectionHandler, timeout: Duration? = nil
  ) throws -> (events: AsyncStream<ClientStreamEvent>, continuation: AsyncStream<ClientStreamEvent>.Continuation, box: CallIDBox) {
    var frames = ByteBuffer()
    try CallFrames.write(
      into: &frames, id: 0, path: TestService.streamingOutputCall.descriptor.path,
      request: Rpc_Testing_V1_StreamingOutputCallRequest(), options: .defaults, settings: handler.serverSettings)
    let (events, continuation) = AsyncStream<ClientStreamEvent>.makeStream()
    let box = CallIDBox()
    handler.startStreaming(frames: frames, timeout: timeout, box: box, continuation: continuation)
    return (events, continuation, box)
  }

  static func limits(keepalive: Duration, timeout: Duration) -> ConnectionLimits {
    var limits = ConnectionLimits()
    limits.keepaliveInterval = keepalive
    limits.keepaliveTimeout = timeout
    return limits
  }

  @Test func clientPingsASilentServerAndClosesWhenNoAckComes() throws {
    let (channel, loop, _) = try Self.connection(Self.limits(keepalive: .seconds(10), timeout: .seconds(5)))
    loop.advanceTime(by: .milliseconds(9_999))
    #expect(try ServerCallStateMachineTests.frames(channel).isEmpty)
    loop.advanceTime(by: .milliseconds(1))
    let ping = try ServerCallStateMachineTests.frames(channel)
    #expect(ping.map(\.0.type) == [.ping])
    #expect(ping.first?.0.flags.contains(.ack) == false)
    loop.advanceTime(by: .milliseconds(4_999))
    #expect(channel.isActive)
    loop.advanceTime(by: .milliseconds(1))
    let closing = try ServerCallStateMachineTests.frames(channel)
    let goAway = try closing.first { $0.0.type == .goAway }.map { frame in
      try frame.1.withUnsafeReadableBytes { try Rpc_V1_GoAway(serializedBytes: $0) }
    }
    #expect(goAway?.code == .keepaliveTimeout)
    #expect(goAway?.lastCallId == 0)
    #expect(!channel.isActive)
  }

  @Test func clientKeepsAServerThatAnswersPings() throws {
    let (channel, loop, goAways) = try Self.connection(Self.limits(keepalive: .seconds(10), timeout: .seconds(5)))
    for round in 1...4 {
      loop.advanceTime(by: .seconds(10))
      let frames = try ServerCallStateMachineTests.frames(channel)
      let ping = try #require(frames.first { $0.0.type == .ping && !$0.0.flags.contains(.ack) }, "round \(round)")
      loop.advanceTime(by: .seconds(4))
      var ack = ByteBuffer()
      ping.1.withUnsafeReadableBytes { ack.writeFrame(type: .ping, flags: .ack, callID: 0, payload: $0) }
      try channel.writeInbound(ack)
      #expect(channel.isActive, "round \(round)")
    }
    loop.advanceTime(by: .seconds(2))
    #expect(try ServerCallStateMachineTests.frames(channel).allSatisfy { $0.0.type != .goAway })
    #expect(channel.isActive)
    #expect(goAways.withLockedValue { $0 } == 0)
    _ = try? channel.finish()
  }

  @Test func clientClosesItsIdleConnectionAnIdlePeriodAfterItsLastCallEnded() throws {
    var limits = ConnectionLimits()
    limits.idleTimeout = .seconds(30)
    let (channel, loop, goAways, handler) = try Self.connectionWithHandler(limits)
    // No call yet: nothing to time, however long the caller takes.
    loop.advanceTime(by: .seconds(300))
    #expect(try ServerCallStateMachineTests.frames(channel).isEmpty)
    #expect(channel.isActive)

    // A call starts (as RPCClient starts one on the loop) and runs for many idle periods.
    let (events, continuation, box) = try Self.startStream(on: handler)
    loop.run()
    #expect(try ServerCallStateMachineTests.frames(channel).map(\.0.type) == [.headers, .message])
    loop.advanceTime(by: .seconds(300))
    #expect(try ServerCallStateMachineTests.frames(channel).isEmpty)
    #expect(channel.isActive)

    // The server ends it; the idle clock starts then, and a period later the client leaves.
    var status = ByteBuffer()
    status.writeFrameHeader(type: .status, flags: [], callID: box.id, length: 0)
    try channel.writeInbound(status)
    loop.run()
    loop.advanceTime(by: .milliseconds(29_999))
    #expect(channel.isActive)
    loop.advanceTime(by: .milliseconds(1))
    let closing = try ServerCallStateMachineTests.frames(channel)
    let goAway = try closing.first { $0.0.type == .goAway }.map { frame in
      try frame.1.withUnsafeReadableBytes { try Rpc_V1_GoAway(serializedBytes: $0) }
    }
    #expect(goAway?.code == .idleTimeout)
    #expect(goAway?.lastCallId == 0)
    #expect(!channel.isActive)
    #expect(goAways.withLockedValue { $0 } >= 1, "the connection told RPCClient it takes no more calls")
    continuation.finish()
    _ = events
  }

  /// Every call's deadline is kept by one timer (``CallDeadlineTimer``): each call still ends
  /// `DEADLINE_EXCEEDED` at its own deadline, with a CANCEL to the server; a call that ended
  /// before its deadline is not touched; a later call with an earlier deadline is not missed.
  @Test func eachCallEndsAtItsOwnDeadline() async throws {
    let (channel, loop, _, handler) = try Self.connectionWithHandler(ConnectionLimits())
    func start(timeout: Duration) throws -> (AsyncStream<ClientStreamEvent>, AsyncStream<ClientStreamEvent>.Continuation, CallIDBox) {
      try Self.startStream(on: handler, timeout: timeout)
    }
    func cancels() throws -> [UInt32] {
      try ServerCallStateMachineTests.frames(channel).filter { $0.0.type == .cancel }.map(\.0.callID)
    }
    func outcome(_ events: AsyncStream<ClientStreamEvent>) async -> StatusCode? {
      for await event in events {
        if case .end(let outcome) = event {
          if case .failure(let error) = outcome { return error.code }
          return .ok
        }
      }
      return nil
    }
    let (fiveEvents, _, five) = try start(timeout: .seconds(5))
    let (twoEvents, _, two) = try start(timeout: .seconds(2))
    let (answeredEvents, _, answered) = try start(timeout: .seconds(1))
    loop.run()
    // The 1 s call is answered at once: its deadline then passes with nothing to do.
    var status = ByteBuffer()
    status.writeFrameHeader(type: .status, flags: [], callID: answered.id, length: 0)
    try channel.writeInbound(status)
    loop.run()
    _ = try ServerCallStateMachineTests.frames(channel)
    loop.advanceTime(by: .milliseconds(1_999))
    #expect(try cancels().isEmpty)
    loop.advanceTime(by: .milliseconds(1))
    #expect(try cancels() == [two.id])
    // A call started now with a 1 s deadline ends before the 5 s one.
    let (laterEvents, _, later) = try start(timeout: .seconds(1))
    loop.run()
    loop.advanceTime(by: .seconds(1))
    #expect(try cancels() == [later.id])
    loop.advanceTime(by: .milliseconds(1_999))
    #expect(try cancels().isEmpty)
    loop.advanceTime(by: .milliseconds(1))
    #expect(try cancels() == [five.id])
    #expect(await outcome(answeredEvents) == .ok)
    #expect(await outcome(twoEvents) == .deadlineExceeded)
    #expect(await outcome(laterEvents) == .deadlineExceeded)
    #expect(await outcome(fiveEvents) == .deadlineExceeded)
    #expect(channel.isActive)
  }

  /// Call-id exhaustion, the client's half (issue 15 item 5): the last id (2^32 - 1) is used,
  /// the connection then takes no new call (ids are never reused on a connection) and tells
  /// `RPCClient` once, so the next call opens a new connection.
  @Test func theLastCallIDDrainsTheConnection() throws {
    let (channel, loop, goAways, handler) = try Self.connectionWithHandler(ConnectionLimits())
    handler.nextCallID = UInt32.max - 1
    func start() throws -> (CallIDBox, AsyncStream<ClientStreamEvent>) {
      let (events, _, box) = try Self.startStream(on: handler)
      loop.run()
      return (box, events)
    }
    let (first, _) = try start()
    #expect(first.id == UInt32.max - 1)
    #expect(goAways.withLockedValue { $0 } == 0)
    let (last, _) = try start()
    #expect(last.id == UInt32.max)
    #expect(goAways.withLockedValue { $0 } == 1, "the last id tells the client to use a new connection")
    let sent = try ServerCallStateMachineTests.frames(channel).filter { $0.0.type == .headers }.map(\.0.callID)
    #expect(sent == [UInt32.max - 1, UInt32.max])
    // No id is left: a further call is refused here (the client retries it elsewhere).
    let (refused, _) = try start()
    #expect(refused.id == 0, "a call no id is left for is refused here, never given an id (the client retries it elsewhere)")
    #expect(try ServerCallStateMachineTests.frames(channel).isEmpty, "nothing more is sent on this connection")
    #expect(channel.isActive, "the calls in flight finish on it")
  }
}
