import Logging
import NIOCore
import RPCCore
import WireBridge

/// How a client call ends, delivered from the event loop to the calling task.
enum ClientCallOutcome: Sendable {
  /// OK: the response message (unary) and the trailers.
  case success(ByteBuffer?, Metadata)
  /// Any failure.
  case failure(RPCError)
  /// The server never processed the call (it arrived after a GOAWAY, above its last call
  /// id, or the connection took no more calls): safe to retry on another connection.
  case refused(RPCError)
}

/// An event of a server-streaming call.
enum ClientStreamEvent: Sendable {
  case message(ByteBuffer)
  case end(ClientCallOutcome)
}

/// What the server announced in its preface.
struct ServerSettings: Sendable {
  var maxMessageSize: Int
  var maxMetadataSize: Int
  var maxConcurrentCalls: Int
}

/// One client connection's protocol logic, on the channel's event loop.
final class ClientConnectionHandler: ChannelDuplexHandler {
  typealias InboundIn = ByteBuffer
  typealias OutboundIn = ByteBuffer
  typealias OutboundOut = ByteBuffer

  /// A call in flight. A class: the table holds one reference and frames update it in place
  /// (an enum-in-dictionary update costs more than the allocation).
  ///
  /// Who waits for the outcome is one of two optional fields rather than an enum with
  /// payloads: copying and destroying a multi-payload enum goes through its value witnesses,
  /// several times per call. A unary call opened on the loop has neither until its caller
  /// attaches. Touched only on the connection's event loop.
  final class Call {
    /// The call's id on the connection.
    let id: UInt32
    /// The unary caller, once attached.
    @exclusivity(unchecked) fileprivate var unary: UnsafeContinuation<ClientCallOutcome, Never>?
    /// The server-streaming caller's event stream.
    @exclusivity(unchecked) fileprivate var stream: AsyncStream<ClientStreamEvent>.Continuation?
    /// When the call's deadline passes (the connection's one deadline timer ends it then).
    fileprivate let deadline: NIODeadline?
    /// The unary response, once it arrived.
    @exclusivity(unchecked) fileprivate var message: ByteBuffer?
    /// The outcome of an unattached unary call that ended before its caller attached.
    @exclusivity(unchecked) fileprivate var outcome: ClientCallOutcome?

    fileprivate init(
      id: UInt32,
      unary: UnsafeContinuation<ClientCallOutcome, Never>?,
      stream: AsyncStream<ClientStreamEvent>.Continuation?,
      deadline: NIODeadline?
    ) {
      self.id = id
      self.unary = unary
      self.stream = stream
      self.deadline = deadline
    }
  }

  // Dynamic exclusivity checks are off for the state touched on every call
  // (`@exclusivity(unchecked)`): all of it is confined to the event loop, and no access to
  // one of these properties overlaps another (none is passed `inout` across a call that
  // could reach the handler again).
  @exclusivity(unchecked) private var reader: FrameReader
  @exclusivity(unchecked) private var context: ChannelHandlerContext?
  @exclusivity(unchecked) private var calls = CallTable<Call>()
  /// The unary call whose MESSAGE was the last frame handled (its STATUS normally follows).
  @exclusivity(unchecked) private var lastMessageCall: Call?
  private let prefacePromise: EventLoopPromise<ServerSettings>
  private var prefaceDone = false
  @exclusivity(unchecked) private var closed = false
  /// Keepalive and idle timeout, and the one timer that serves both.
  @exclusivity(unchecked) private var liveness: ConnectionLiveness
  private var livenessTimer: Scheduled<Void>?
  private var livenessTimerDeadline: NIODeadline?
  /// When the one timer for every call's deadline fires, and the timer.
  @exclusivity(unchecked) private var deadlines = CallDeadlineTimer()
  private var deadlineTimer: Scheduled<Void>?
  @exclusivity(unchecked) private var goAwayLastID: UInt32?
  private let limits: ConnectionLimits
  private let onGoAway: @Sendable () -> Void
  /// The next call id; ids are assigned here, on the loop, so they reach the wire in order.
  /// Internal (not private) so a test can start a connection near the end of its ids.
  @exclusivity(unchecked) var nextCallID: UInt32 = 1
  /// Frames written since the last flush: calls started in one event-loop tick share one
  /// buffer and one `write` system call.
  @exclusivity(unchecked) private var outbound = ByteBuffer()
  @exclusivity(unchecked) private var flushScheduled = false
  /// The server's settings, once its preface arrived.
  @exclusivity(unchecked) private(set) var serverSettings = ServerSettings(
    maxMessageSize: ConnectionLimits.protocolDefaultMessageSize,
    maxMetadataSize: ConnectionLimits.protocolDefaultMetadataSize,
    maxConcurrentCalls: ConnectionLimits.protocolDefaultConcurrentCalls
  )

  /// The client's executor on this loop: callers resumed by a read run when it completes.
  private let executor: EventLoopTaskExecutor?
  /// Between `channelRead` and `channelReadComplete`: flushes wait for the read's end.
  @exclusivity(unchecked) private var inRead = false
  @exclusivity(unchecked) private var flushPending = false

  init(
    limits: ConnectionLimits,
    executor: EventLoopTaskExecutor? = nil,
    prefacePromise: EventLoopPromise<ServerSettings>,
    onGoAway: @escaping @Sendable () -> Void
  ) {
    self.executor = executor
    self.limits = limits
    self.prefacePromise = prefacePromise
    self.onGoAway = onGoAway
    self.reader = FrameReader(
      limits: .init(maxMessageSize: limits.maxMessageSize, maxMetadataSize: limits.maxMetadataSize)
    )
    self.liveness = ConnectionLiveness(limits: limits, now: .now(), idleUntilFirstCall: false)
  }

  func handlerAdded(context: ChannelHandlerContext) {
    self.context = context
    self.outbound = context.channel.allocator.buffer(capacity: 4096)
    // The client adds this handler to an already connected channel.
    if context.channel.isActive { self.sendPreface(context) }
  }

  func handlerRemoved(context: ChannelHandlerContext) {
    self.context = nil
  }

  func channelActive(context: ChannelHandlerContext) {
    self.sendPreface(context)
    context.fireChannelActive()
  }

  private var prefaceSent = false

  private func sendPreface(_ context: ChannelHandlerContext) {
    guard !self.prefaceSent else { return }
    self.prefaceSent = true
    var settings = Rpc_V1_Settings()
    settings.maxFrameSize = UInt32(clamping: self.limits.maxMessageSize)
    settings.maxMetadataSize = UInt32(clamping: self.limits.maxMetadataSize)
    settings.keepaliveIntervalMs = UInt32(clamping: self.limits.keepaliveInterval?.milliseconds ?? 0)
    settings.idleTimeoutMs = UInt32(clamping: self.limits.idleTimeout?.milliseconds ?? 0)
    settings.implementation = "fieldreport-rpc/1"
    var buffer = context.channel.allocator.buffer(capacity: 64)
    buffer.writePreface(
      Preface(first: UInt16(FrameHeader.version), second: UInt16(FrameHeader.version), settings: (try? settings.serializedBytes()) ?? [])
    )
    context.writeAndFlush(self.wrapOutboundOut(buffer), promise: nil)
  }

  func channelInactive(context: ChannelHandlerContext) {
    self.failAll(RPCError(code: .unavailable, message: "The connection closed."))
    context.fireChannelInactive()
  }

  func errorCaught(context: ChannelHandlerContext, error: any Error) {
    self.failAll(RPCError(code: .unavailable, message: "The connection failed: \(error)."))
    context.close(promise: nil)
  }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    self.inRead = true
    let buffer = self.unwrapInboundIn(data)
    if self.liveness.tracksReads { self.liveness.readReceived(now: self.now) }
    var bytes = self.reader.begin(buffer)
    do {
      while let frame = try self.reader.next(from: &bytes) {
        self.handle(frame)
      }
      self.reader.end(bytes)
    } catch {
      self.protocolError("\(error)")
    }
  }

  func channelReadComplete(context: ChannelHandlerContext) {
    // Callers whose responses this read delivered run now (on the loop, as their executor
    // would run them a loop iteration later); the calls they start, and any cancel frames,
    // leave in one write.
    self.executor?.runPending()
    self.inRead = false
    if self.flushPending {
      self.flushPending = false
      self.flushNow()
    }
    context.fireChannelReadComplete()
  }

  // MARK: Calls (from RPCClient, on the loop)

  /// Whether new calls may start here.
  private var acceptsCalls: Bool {
    !self.closed && self.goAwayLastID == nil && self.context != nil
  }

  /// Takes the next call id; the last one marks the connection draining.
  private func takeCallID() -> UInt32 {
    let id = self.nextCallID
    if id == UInt32.max {
      // Ids are never reused on a connection: the last one drains it.
      self.goAwayLastID = id
      self.onGoAway()
    } else {
      self.nextCallID = id + 1
    }
    return id
  }

  /// Opens a unary call from a caller running on this loop: its frames are encoded straight
  /// into the outbound buffer. The caller then attaches its continuation with
  /// ``attachUnary(_:_:)``.
  /// - Returns: The call, or `nil` if the connection takes no new calls (retry on another).
  /// - Throws: ``RPCError``: what encoding the frames throws.
  func openUnary<Input: WireMessage>(
    path: String,
    request: Input,
    options: CallOptions
  ) throws(RPCError) -> Call? {
    guard self.acceptsCalls else { return nil }
    let id = self.nextCallID
    try CallFrames.write(
      into: &self.outbound,
      id: id,
      path: path,
      request: request,
      options: options,
      settings: self.serverSettings
    )
    _ = self.takeCallID()
    let call = Call(id: id, unary: nil, stream: nil, deadline: self.deadline(after: options.timeout))
    self.calls.insert(call, for: id)
    if self.liveness.tracksCalls { self.liveness.callStarted() }
    self.scheduleFlush()
    return call
  }

  /// ``attachUnary(_:_:)`` by call id.
  func attachUnary(id: UInt32, _ continuation: UnsafeContinuation<ClientCallOutcome, Never>) {
    guard let call = self.calls[id] else {
      continuation.resume(returning: .failure(RPCError(code: .internal, message: "The call \(id) is unknown.")))
      return
    }
    self.attachUnary(call, continuation)
  }

  /// Attaches the caller's continuation to a call opened with ``openUnary(path:request:options:)``.
  func attachUnary(_ call: Call, _ continuation: UnsafeContinuation<ClientCallOutcome, Never>) {
    guard call.unary == nil, call.stream == nil else {
      continuation.resume(returning: .failure(RPCError(code: .internal, message: "The call \(call.id) is already attached.")))
      return
    }
    if let outcome = call.outcome {
      // It ended before its caller attached (e.g. the connection failed while encoding).
      self.calls.removeValue(forKey: call.id)
      self.callRemoved()
      continuation.resume(returning: outcome)
    } else {
      call.unary = continuation
    }
  }

  /// Starts a unary call whose frames (with call id 0) were encoded off the loop.
  func startUnary(
    frames: ByteBuffer,
    timeout: Duration?,
    box: CallIDBox,
    continuation: UnsafeContinuation<ClientCallOutcome, Never>
  ) {
    if box.isCancelled {
      return continuation.resume(returning: .failure(RPCError(code: .cancelled, message: "The call was cancelled.")))
    }
    guard self.acceptsCalls else {
      return continuation.resume(returning: .refused(Self.unavailable))
    }
    let id = self.takeCallID()
    box.set(id)
    var frames = frames
    CallFrames.patch(&frames, id: id)
    self.calls.insert(Call(id: id, unary: continuation, stream: nil, deadline: self.deadline(after: timeout)), for: id)
    if self.liveness.tracksCalls { self.liveness.callStarted() }
    self.outbound.writeBuffer(&frames)
    self.scheduleFlush()
  }

  /// Starts a server-streaming call whose frames (with call id 0) were encoded off the loop.
  func startStreaming(
    frames: ByteBuffer,
    timeout: Duration?,
    box: CallIDBox,
    continuation: AsyncStream<ClientStreamEvent>.Continuation
  ) {
    if box.isCancelled {
      continuation.yield(.end(.failure(RPCError(code: .cancelled, message: "The call was cancelled."))))
      continuation.finish()
      return
    }
    guard self.acceptsCalls else {
      continuation.yield(.end(.refused(Self.unavailable)))
      continuation.finish()
      return
    }
    let id = self.takeCallID()
    box.set(id)
    var frames = frames
    CallFrames.patch(&frames, id: id)
    self.calls.insert(Call(id: id, unary: nil, stream: continuation, deadline: self.deadline(after: timeout)), for: id)
    if self.liveness.tracksCalls { self.liveness.callStarted() }
    self.outbound.writeBuffer(&frames)
    self.scheduleFlush()
  }

  /// Flushes the outbound buffer once per read or event-loop tick: during a read (which
  /// includes the callers its responses resumed, run at `channelReadComplete`) the flush
  /// waits for the read's end; otherwise it runs as a loop task, so calls started in the
  /// same tick share one `write` system call.
  private func scheduleFlush() {
    if self.inRead {
      self.flushPending = true
      return
    }
    guard !self.flushScheduled, let context = self.context else { return }
    self.flushScheduled = true
    context.eventLoop.assumeIsolated().execute {
      self.flushScheduled = false
      self.flushNow()
    }
  }

  private func flushNow() {
    guard let context = self.context, self.outbound.readableBytes > 0 else { return }
    context.writeAndFlush(self.wrapOutboundOut(self.outbound), promise: nil)
    // Reuses the storage when the socket took the bytes synchronously (the usual case).
    self.outbound.clear()
  }

  private static let unavailable = RPCError(
    code: .unavailable,
    message: "The connection is closing; retry on a new connection.",
    details: [.retryInfo(delay: .zero)]
  )

  /// The deadline of a call starting now with `timeout`, with the deadline timer armed for it
  /// if it is the earliest.
  private func deadline(after timeout: Duration?) -> NIODeadline? {
    guard let timeout, self.context != nil else { return nil }
    let deadline = self.now + .microseconds(max(timeout.microseconds, 0))
    if let armAt = self.deadlines.callStarted(deadline: deadline) { self.armDeadlineTimer(at: armAt) }
    return deadline
  }

  /// Schedules the deadline timer at `deadline`, replacing the armed one.
  private func armDeadlineTimer(at deadline: NIODeadline) {
    guard let context = self.context else { return }
    self.deadlineTimer?.cancel()
    self.deadlineTimer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
      self.deadlineTimerFired()
    }
  }

  /// Ends the calls whose deadline passed, and arms the timer for the next deadline.
  private func deadlineTimerFired() {
    self.deadlineTimer = nil
    guard !self.closed else { return }
    // Calls that ended and wait for their caller (`outcome` set) are over.
    let (expired, next) = self.deadlines.fired(
      now: self.now,
      deadlines: self.calls.compactMap { id, call in
        call.outcome == nil ? call.deadline.map { (id: id, deadline: $0) } : nil
      })
    if let next { self.armDeadlineTimer(at: next) }
    for id in expired {
      self.end(id, .failure(RPCError(code: .deadlineExceeded, message: "The deadline passed.")), sendCancel: true)
    }
  }

  func cancel(_ id: UInt32) {
    self.end(id, .failure(RPCError(code: .cancelled, message: "The call was cancelled.")), sendCancel: true)
  }

  // MARK: Frames

  private func handle(_ frame: InboundFrame) {
    guard !self.closed else { return }
    switch frame {
    case .preface(let preface):
      self.handlePreface(preface)
    case .oversized(let header):
      switch header.type {
      case .message:
        self.end(
          header.callID,
          .failure(RPCError(
            code: .resourceExhausted,
            message: "A response message of \(header.length) bytes exceeds the client's \(self.limits.maxMessageSize)-byte limit."
          )),
          sendCancel: true
        )
      case .status:
        self.end(
          header.callID,
          .failure(RPCError(code: .resourceExhausted, message: "The status of \(header.length) bytes exceeds the client's metadata limit.")),
          sendCancel: false
        )
      default:
        self.protocolError("\(header.type) frame of \(header.length) bytes is over the limit")
      }
    case .refused(let header, _):
      // The client decodes without an admission check; nothing is ever refused this way.
      self.protocolError("\(header.type) frame refused")
    case .frame(let header, let payload):
      guard self.prefaceDone else { return self.protocolError("frame before the server's preface") }
      switch header.type {
      case .message: self.handleMessage(header.callID, payload)
      case .status: self.handleStatus(header.callID, payload)
      case .ping:
        if header.flags.contains(.ack) {
          if let value = payload.getInteger(at: payload.readerIndex, as: UInt64.self) {
            self.liveness.pingAckReceived(payload: value)
        // The next ping is due an interval after this read, earlier than the ACK deadline
        // the timer is armed for.
        self.armLivenessTimer()
          }
        } else {
          self.outbound.writeFrameHeader(type: .ping, flags: .ack, callID: 0, length: header.length)
          var payload = payload
          self.outbound.writeBuffer(&payload)
          self.flushNow()
        }
      case .goAway: self.handleGoAway(payload)
      default: self.protocolError("unexpected frame type \(header.type) from the server")
      }
    }
  }

  private func handlePreface(_ preface: Preface) {
    guard preface.first == UInt16(FrameHeader.version) else {
      self.prefacePromise.fail(
        RPCError(code: .unavailable, message: "The server speaks no protocol version in common with this client.")
      )
      self.closed = true
      self.context?.close(promise: nil)
      return
    }
    let settings = (try? Rpc_V1_Settings(serializedBytes: preface.settings)) ?? Rpc_V1_Settings()
    self.prefaceDone = true
    self.serverSettings = ServerSettings(
      maxMessageSize: settings.maxFrameSize == 0 ? ConnectionLimits.protocolDefaultMessageSize : Int(settings.maxFrameSize),
      maxMetadataSize: settings.maxMetadataSize == 0 ? ConnectionLimits.protocolDefaultMetadataSize : Int(settings.maxMetadataSize),
      maxConcurrentCalls: settings.maxConcurrentCalls == 0
        ? ConnectionLimits.protocolDefaultConcurrentCalls : Int(settings.maxConcurrentCalls)
    )
    self.prefacePromise.succeed(self.serverSettings)
    if self.liveness.isEnabled {
      self.liveness = ConnectionLiveness(limits: self.limits, now: self.now, idleUntilFirstCall: false)
      self.armLivenessTimer()
    }
  }

  private func handleMessage(_ id: UInt32, _ payload: ByteBuffer) {
    guard let call = self.calls[id], call.outcome == nil else { return }
    if let stream = call.stream {
      stream.yield(.message(payload))
    } else if call.message == nil {
      call.message = payload
      // Its STATUS usually follows in the same read: found without a table lookup.
      self.lastMessageCall = call
    } else {
      self.end(id, .failure(RPCError(code: .internal, message: "The server sent two responses to a unary call.")), sendCancel: true)
    }
  }

  private func handleStatus(_ id: UInt32, _ payload: ByteBuffer) {
    let outcome: ClientCallOutcome
    if payload.readableBytes == 0 {
      outcome = .success(nil, Metadata())
    } else {
      do {
        let status = try payload.withUnsafeReadableBytes { try Rpc_V1_Status(serializedBytes: $0) }
        if status.code == .ok {
          outcome = .success(nil, Metadata(wire: status.trailers))
        } else {
          outcome = .failure(RPCError(wireStatus: status))
        }
      } catch {
        outcome = .failure(RPCError(code: .internal, message: "The server's status is not a valid rpc.v1.Status."))
      }
    }
    self.end(id, outcome, sendCancel: false)
  }

  private func handleGoAway(_ payload: ByteBuffer) {
    let goAway = (try? payload.withUnsafeReadableBytes { try Rpc_V1_GoAway(serializedBytes: $0) }) ?? Rpc_V1_GoAway()
    self.goAwayLastID = goAway.lastCallId
    self.onGoAway()
    // Calls above the last accepted id were never processed: safe to retry elsewhere.
    for id in self.calls.keys where id > goAway.lastCallId {
      self.end(id, .refused(Self.unavailable), sendCancel: false)
    }
    if goAway.code != .noError {
      let error = RPCError(code: .unavailable, message: "The server closed the connection: \(goAway.reason)")
      self.failAll(error)
    }
  }

  /// Ends a call once; later frames for it are ignored.
  private func end(_ id: UInt32, _ outcome: ClientCallOutcome, sendCancel: Bool) {
    let known: Call?
    if let last = self.lastMessageCall, last.id == id {
      known = last
    } else {
      known = self.calls[id]
    }
    self.lastMessageCall = nil
    // An unattached call that already ended waits for its caller; later frames are ignored.
    guard let call = known, call.outcome == nil else { return }
    if let continuation = call.unary {
      self.calls.removeValue(forKey: id)
      self.callRemoved()
      continuation.resume(returning: Self.unaryOutcome(outcome, message: call.message))
    } else if let stream = call.stream {
      self.calls.removeValue(forKey: id)
      self.callRemoved()
      stream.yield(.end(outcome))
      stream.finish()
    } else {
      // Unattached: the outcome waits for the caller.
      call.outcome = Self.unaryOutcome(outcome, message: call.message)
      call.message = nil
    }
    if sendCancel, !self.closed, self.context != nil {
      self.outbound.writeFrameHeader(type: .cancel, flags: [], callID: id, length: 0)
      self.scheduleFlush()
    }
  }

  /// A unary call's outcome: an OK status needs the response message.
  private static func unaryOutcome(_ outcome: ClientCallOutcome, message: ByteBuffer?) -> ClientCallOutcome {
    guard case .success(_, let trailers) = outcome else { return outcome }
    guard let message else {
      return .failure(RPCError(code: .internal, message: "The server ended a unary call without a response."))
    }
    return .success(message, trailers)
  }

  private func failAll(_ error: RPCError) {
    self.closed = true
    self.livenessTimer?.cancel()
    self.livenessTimer = nil
    self.deadlineTimer?.cancel()
    self.deadlineTimer = nil
    self.deadlines.disarm()
    // No new call may pick this connection while it closes.
    self.onGoAway()
    if !self.prefaceDone {
      self.prefaceDone = true
      self.prefacePromise.fail(error)
    }
    for id in Array(self.calls.keys) {
      self.end(id, .failure(error), sendCancel: false)
    }
  }

  // MARK: Keepalive and idle timeout

  /// The time, from the event loop, as the server's handler takes it: on a real loop the
  /// monotonic clock, on an `EmbeddedEventLoop` the time a test advances (the liveness timer
  /// is scheduled on the loop, so its deadlines must be in the loop's time too).
  private var now: NIODeadline { self.context?.eventLoop.now ?? .now() }

  /// Starts the idle clock when the last call in flight ended.
  private func callRemoved() {
    guard self.liveness.tracksCalls, self.calls.isEmpty else { return }
    self.liveness.callsEnded(now: self.now)
    self.armLivenessTimer()
  }

  /// Schedules the liveness timer at the state's next deadline, unless it is armed for
  /// that time or earlier (it then fires, finds nothing due, and re-arms).
  private func armLivenessTimer() {
    guard !self.closed, let context = self.context, let next = self.liveness.nextDeadline else { return }
    if let armed = self.livenessTimerDeadline, armed <= next { return }
    self.livenessTimer?.cancel()
    self.livenessTimerDeadline = next
    self.livenessTimer = context.eventLoop.assumeIsolated().scheduleTask(deadline: next) {
      self.livenessTimerFired()
    }
  }

  private func livenessTimerFired() {
    self.livenessTimer = nil
    self.livenessTimerDeadline = nil
    guard !self.closed else { return }
    switch self.liveness.timerFired(now: self.now) {
    case .sendPing(let value):
      self.outbound.writeFrameHeader(type: .ping, flags: [], callID: 0, length: 8)
      self.outbound.writeInteger(value)
      self.flushNow()
    case .close(let code):
      let reason =
        code == .idleTimeout
        ? "No call for \(self.limits.idleTimeout.map { "\($0)" } ?? "the idle timeout")."
        : "No PING ACK from the server within \(self.limits.keepaliveTimeout)."
      // A client accepts no calls: its GOAWAY's last call id is 0.
      var goAway = Rpc_V1_GoAway()
      goAway.code = code
      goAway.reason = reason
      if let bytes = try? goAway.serializedBytes() {
        bytes.withUnsafeBytes { self.outbound.writeFrame(type: .goAway, callID: 0, payload: $0) }
      }
      self.flushNow()
      // Idle: no call is in flight. Keepalive: the server is unreachable; calls in flight
      // may have been processed, so they fail rather than retry.
      self.failAll(RPCError(code: .unavailable, message: reason, details: [.retryInfo(delay: .zero)]))
      self.context?.close(promise: nil)
      return
    case nil:
      break
    }
    self.armLivenessTimer()
  }

  private func protocolError(_ reason: String) {
    guard !self.closed else { return }
    self.failAll(RPCError(code: .internal, message: "Protocol error from the server: \(reason)."))
    self.context?.close(promise: nil)
  }
}
