import Logging
import NIOCore
import NIOEmbedded
import RPCCore
import Testing
import WireBridge

@testable import RPCNIO

/// The server connection's per-call bookkeeping as a value (no sockets, no clock), and the
/// connection handler over an `EmbeddedChannel` whose event loop is the clock.
@Suite("Server call state machine")
struct ServerCallStateMachineTests {
  typealias Machine = ServerCallStateMachine

  static let method: RegisteredMethod = {
    var router = RPCRouter()
    router.register(TestService())
    return router.method(forPath: TestService.emptyCall.descriptor.path)!
  }()

  static func awaiting(_ id: UInt32, deadline: NIODeadline? = nil) -> Machine.Call {
    let context = ServerContext(method: Self.method.descriptor, metadata: Metadata(), deadline: nil, peer: "test", callID: id)
    return Machine.Call(state: .awaitingMessage(Self.method, context), deadline: deadline)
  }

  static func active() -> Machine {
    var machine = Machine(maxConcurrentCalls: 2)
    machine.prefaceAccepted()
    return machine
  }

  @Test func callIDsMustBeNonZeroAndIncreasing() {
    var machine = Self.active()
    guard case .open = machine.receivedHeaders(3) else {
      Issue.record("3 refused")
      return
    }
    _ = machine.opened(3, Self.awaiting(3))
    guard case .protocolError(let reused) = machine.receivedHeaders(3) else {
      Issue.record("3 reused accepted")
      return
    }
    #expect(reused.contains("reused"))
    guard case .protocolError(let lower) = machine.receivedHeaders(2) else {
      Issue.record("2 accepted")
      return
    }
    #expect(lower.contains("not greater"))
    guard case .protocolError(let zero) = machine.receivedHeaders(0) else {
      Issue.record("0 accepted")
      return
    }
    #expect(zero.contains("reserved"))
    #expect(machine.lastCallID == 3)
  }

  @Test func aPendingCallStartsInlineAndEndsWithoutEnteringTheTable() {
    var machine = Self.active()
    _ = machine.receivedHeaders(1)
    _ = machine.opened(1, Self.awaiting(1))
    guard case .startPending(let call) = machine.receivedMessage(1) else {
      Issue.record("not started inline")
      return
    }
    machine.beginStarting(1, deadline: nil)
    #expect(machine.isLive(1))
    // The handler answers synchronously, inside the start.
    let ending1live = machine.ending(1, now: .uptimeNanoseconds(1))
    #expect(ending1live == .live)
    let ending1over = machine.ending(1, now: .uptimeNanoseconds(1))
    #expect(ending1over == .over)
    machine.endStarting(1, call, task: nil)
    #expect(machine.hasNoCalls)
    // A late MESSAGE or CANCEL for it is ignored; one for a call never opened is an error.
    guard case .ignore = machine.receivedMessage(1) else {
      Issue.record("late MESSAGE not ignored")
      return
    }
    guard case .ignore = machine.receivedCancel(1) else {
      Issue.record("late CANCEL not ignored")
      return
    }
    guard case .protocolError = machine.receivedMessage(9) else {
      Issue.record("MESSAGE for 9 accepted")
      return
    }
    guard case .protocolError = machine.receivedCancel(9) else {
      Issue.record("CANCEL for 9 accepted")
      return
    }
  }

  @Test func aCommittedCallStartsFromTheTableAndASecondMessageEndsIt() {
    var machine = Self.active()
    _ = machine.receivedHeaders(1)
    _ = machine.opened(1, Self.awaiting(1))
    machine.commitPendingOpen()  // another frame came between HEADERS and MESSAGE
    #expect(machine.methodPath(of: 1) == TestService.emptyCall.descriptor.path)
    guard case .start = machine.receivedMessage(1) else {
      Issue.record("not started")
      return
    }
    #expect(!machine.hasNoCalls)
    guard case .secondMessage = machine.receivedMessage(1) else {
      Issue.record("second MESSAGE accepted")
      return
    }
    #expect(machine.hasNoCalls)
  }

  @Test func aResultAfterTheDeadlineIsDeadlineExceeded() {
    var machine = Self.active()
    let deadline = NIODeadline.uptimeNanoseconds(1_000_000)
    _ = machine.receivedHeaders(1)
    _ = machine.opened(1, Self.awaiting(1, deadline: deadline))
    guard case .startPending(let call) = machine.receivedMessage(1) else {
      Issue.record("not started")
      return
    }
    machine.beginStarting(1, deadline: call.deadline)
    let ending1pastDeadline = machine.ending(1, now: deadline)
    #expect(ending1pastDeadline == .pastDeadline)
    machine.endStarting(1, call, task: nil)

    _ = machine.receivedHeaders(3)
    _ = machine.opened(3, Self.awaiting(3, deadline: deadline))
    machine.commitPendingOpen()
    let fired = machine.deadlinesPassed(now: deadline)
    let again = machine.deadlinesPassed(now: deadline)
    #expect(fired.expired == [3] && fired.next == nil)
    #expect(again.expired.isEmpty && again.next == nil)
    let ending3over = machine.ending(3, now: deadline)
    #expect(ending3over == .over)
  }

  /// One timer serves every call's deadline: the machine says when to arm it, and when it
  /// fires, which calls expired and when it fires next.
  @Test func oneDeadlineTimerForTheConnection() {
    var machine = Machine(maxConcurrentCalls: 10)
    machine.prefaceAccepted()
    func at(_ ms: UInt64) -> NIODeadline { .uptimeNanoseconds(ms * 1_000_000) }
    func open(_ id: UInt32, _ deadline: NIODeadline?) -> NIODeadline? {
      _ = machine.receivedHeaders(id)
      return machine.opened(id, Self.awaiting(id, deadline: deadline))
    }
    // The first deadline arms the timer; a later one does not, an earlier one re-arms it.
    #expect(open(1, at(100)) == at(100))
    #expect(open(3, at(300)) == nil)
    #expect(open(5, nil) == nil)
    #expect(open(7, at(50)) == at(50))
    #expect(open(9, at(300)) == nil)
    // Call 7 ends before its deadline: the timer still fires at 50, finds nothing due and
    // is armed for the earliest deadline left.
    _ = machine.ending(7, now: at(10))
    let first = machine.deadlinesPassed(now: at(50))
    #expect(first.expired.isEmpty && first.next == at(100))
    // At 300 both calls due then expire (in id order), call 1 as well; the call without a
    // deadline stays.
    let second = machine.deadlinesPassed(now: at(300))
    #expect(second.expired == [1, 3, 9] && second.next == nil)
    #expect(machine.isLive(5) && !machine.isLive(3))
    // Not armed now: the next deadline arms it again.
    #expect(open(11, at(900)) == at(900))
  }

  @Test func limitsAndDraining() {
    var machine = Self.active()
    for id: UInt32 in [1, 3] {
      _ = machine.receivedHeaders(id)
      _ = machine.opened(id, Self.awaiting(id))
    }
    machine.commitPendingOpen()
    guard case .refuse(let busy) = machine.receivedHeaders(5) else {
      Issue.record("third call accepted")
      return
    }
    #expect(busy.code == .resourceExhausted)
    let first = machine.drainRequested()
    let second = machine.drainRequested()
    #expect(first == .goAway)
    #expect(second == .none)
    guard case .refuse(let draining) = machine.receivedHeaders(7) else {
      Issue.record("call accepted while draining")
      return
    }
    #expect(draining.code == .unavailable)
    guard case .removed = machine.receivedCancel(1) else {
      Issue.record("cancel")
      return
    }
    #expect(!machine.hasNoCalls)
    guard case .removed = machine.refusedMessage(3) else {
      Issue.record("refusal")
      return
    }
    #expect(machine.hasNoCalls)
    machine.close()
    #expect(machine.phase == .closing)
  }

  @Test func aServerWithNoPrefaceClosesOnDrain() {
    var machine = Machine(maxConcurrentCalls: 1)
    let action = machine.drainRequested()
    #expect(action == .close)
    var other = Self.active()
    other.peerWentAway()
    #expect(other.phase == .draining)
  }

  // MARK: The handler over an EmbeddedChannel; the event loop's time is the clock.

  static func connection(_ limits: ConnectionLimits) throws -> (EmbeddedChannel, EmbeddedEventLoop) {
    var router = RPCRouter()
    router.register(TestService())
    let server = RPCServer(
      router: router, configuration: .init(limits: limits), logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
    let loop = EmbeddedEventLoop()
    let channel = EmbeddedChannel(loop: loop)
    try channel.pipeline.syncOperations.addHandler(server.makeConnectionHandler(eventLoop: loop))
    try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
    var preface = ByteBuffer()
    preface.writePreface(Preface(first: 1, second: 1, settings: []))
    try channel.writeInbound(preface)
    return (channel, loop)
  }

  static func frames(_ channel: EmbeddedChannel) throws -> [(FrameHeader, ByteBuffer)] {
    var bytes = ByteBuffer()
    while var out = try channel.readOutbound(as: ByteBuffer.self) { bytes.writeBuffer(&out) }
    var decoder = FrameDecoder(limits: .init(maxMessageSize: 1 << 20, maxMetadataSize: 1 << 20), expectPreface: false)
    var frames: [(FrameHeader, ByteBuffer)] = []
    while let frame = try decoder.decode(buffer: &bytes) {
      if case .frame(let header, let payload) = frame { frames.append((header, payload)) }
    }
    return frames
  }

  @Test("deadline, frame-progress and idle timers run on the injected clock, without waiting")
  func timersOnAManualClock() throws {
    var limits = ConnectionLimits()
    limits.idleTimeout = .seconds(60)
    limits.frameProgressTimeout = .seconds(5)
    let (channel, loop) = try Self.connection(limits)
    _ = try channel.readOutbound(as: ByteBuffer.self)  // the server's preface

    // A call that sleeps far past its 2 s deadline is answered DEADLINE_EXCEEDED at 2 s.
    var headers = Rpc_V1_CallHeaders()
    headers.methodPath = TestService.unaryCall.descriptor.path
    headers.timeoutUs = 2_000_000
    var request = ByteBuffer()
    try headers.serializedBytes().withUnsafeBytes { request.writeFrame(type: .headers, callID: 1, payload: $0) }
    try Rpc_Testing_V1_SimpleRequest.make(sleepMs: 600_000).serializedBytes().withUnsafeBytes {
      request.writeFrame(type: .message, flags: .endStream, callID: 1, payload: $0)
    }
    try channel.writeInbound(request)
    loop.advanceTime(by: .milliseconds(1_999))
    #expect(try Self.frames(channel).isEmpty)
    loop.advanceTime(by: .milliseconds(1))
    let expired = try Self.frames(channel)
    #expect(expired.first?.0.type == .status)
    let status = try expired.first.map { frame in try frame.1.withUnsafeReadableBytes { try Rpc_V1_Status(serializedBytes: $0) } }
    #expect(status?.code == .deadlineExceeded)

    // Half a frame, then silence: GOAWAY FRAME_TIMEOUT 5 s later.
    var half = ByteBuffer()
    half.writeFrameHeader(type: .ping, flags: [], callID: 0, length: 8)
    half.writeBytes([1, 2, 3])
    try channel.writeInbound(half)
    loop.advanceTime(by: .seconds(4))
    #expect(try Self.frames(channel).isEmpty)
    #expect(channel.isActive)
    loop.advanceTime(by: .seconds(1))
    let closing = try Self.frames(channel)
    let goAway = try closing.first.map { frame in try frame.1.withUnsafeReadableBytes { try Rpc_V1_GoAway(serializedBytes: $0) } }
    #expect(goAway?.code == .frameTimeout)
    #expect(!channel.isActive)
  }

  @Test("an idle connection is closed at the idle timeout, on the injected clock")
  func idleOnAManualClock() throws {
    var limits = ConnectionLimits()
    limits.idleTimeout = .seconds(60)
    let (channel, loop) = try Self.connection(limits)
    _ = try channel.readOutbound(as: ByteBuffer.self)
    loop.advanceTime(by: .seconds(59))
    #expect(channel.isActive)
    loop.advanceTime(by: .seconds(1))
    let frames = try Self.frames(channel)
    let goAway = try frames.first.map { frame in try frame.1.withUnsafeReadableBytes { try Rpc_V1_GoAway(serializedBytes: $0) } }
    #expect(goAway?.code == .idleTimeout)
    #expect(!channel.isActive)
  }
}
