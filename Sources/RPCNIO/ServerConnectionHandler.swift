import Logging
import NIOCore
import NIOSSL
import NIOTLS
import RPCCore
import WireBridge

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Asks a server connection to drain: GOAWAY, finish the calls in flight, close.
struct DrainEvent: Sendable {}

/// One server connection's protocol logic: decodes frames, routes calls, writes responses.
///
/// Everything runs on the channel's event loop. Handlers run in tasks started with
/// `Task.immediate` on the loop (see ``RegisteredMethod/start(request:context:sink:executor:interceptors:)``):
/// a handler that does not suspend answers within the read that delivered its request, and
/// responses written during a read are flushed once, at `channelReadComplete`.
final class ServerConnectionHandler: ChannelDuplexHandler {
  typealias InboundIn = ByteBuffer
  typealias OutboundIn = ByteBuffer
  typealias OutboundOut = ByteBuffer

  // Dynamic exclusivity checks are off for the state touched on every call
  // (`@exclusivity(unchecked)`): all of it is confined to the event loop, and no access to
  // one of these properties overlaps another (none is passed `inout` across a call that
  // could reach the handler again: a handler finishing synchronously writes `outbound` only
  // after the frame that started it was fully read).
  let eventLoop: any EventLoop
  private let router: RPCRouter
  private let limits: ConnectionLimits
  private let serverSettings: [UInt8]
  private let requestBudget: InboundMemoryBudget?
  private let logger: Logger
  /// The server's metrics, or `nil` (a connection driven without a server, in tests).
  private let metrics: ServerMetrics?
  private let executor: EventLoopTaskExecutor
  @exclusivity(unchecked) private var reader: FrameReader
  @exclusivity(unchecked) private var context: ChannelHandlerContext?
  /// Every call's state, the phase and the id rules (``ServerCallStateMachine``).
  @exclusivity(unchecked) private var calls: ServerCallStateMachine
  /// Closes the connection if its preface has not arrived in time (``ConnectionLimits/handshakeTimeout``).
  private var handshakeTimer: Scheduled<Void>?
  @exclusivity(unchecked) private var peerMaxMessageSize = ConnectionLimits.protocolDefaultMessageSize
  private var peerMaxMetadataSize = ConnectionLimits.protocolDefaultMetadataSize
  @exclusivity(unchecked) private var outbound: ByteBuffer
  @exclusivity(unchecked) private var inRead = false
  @exclusivity(unchecked) private var flushPending = false
  /// A flush task is queued on the loop (``scheduleFlush()``).
  @exclusivity(unchecked) private var flushScheduled = false
  private var writabilityWaiters: [CheckedContinuation<Void, any Error>] = []
  @exclusivity(unchecked) private var peer = "unknown"
  /// The client certificate's SHA-256 (hex), after a mutual TLS handshake.
  private var peerCertificateFingerprint: String?
  /// The last plain call headers (no deadline, no metadata) and their method: clients repeat
  /// them call after call, so a byte comparison replaces decoding (as HPACK's table does).
  @exclusivity(unchecked) private var plainHeaders: (bytes: [UInt8], method: RegisteredMethod)?
  /// Keepalive and idle timeout, and the one timer that serves both.
  @exclusivity(unchecked) private var liveness: ConnectionLiveness
  private var livenessTimer: Scheduled<Void>?
  private var livenessTimerDeadline: NIODeadline?
  /// Whether this connection holds a reservation in ``requestBudget`` (for the frame whose
  /// payload is arriving).
  @exclusivity(unchecked) private var holdsBudget = false
  /// When the last byte of an unfinished frame arrived, and the timer that closes the
  /// connection if the frame stops arriving (``ConnectionLimits/frameProgressTimeout``).
  @exclusivity(unchecked) private var midFrameSince: NIODeadline?
  private var frameProgressTimer: Scheduled<Void>?
  /// The one timer for every call's deadline, armed where ``ServerCallStateMachine`` says.
  private var deadlineTimer: Scheduled<Void>?

  init(
    eventLoop: any EventLoop,
    router: RPCRouter,
    limits: ConnectionLimits,
    serverSettings: [UInt8],
    requestBudget: InboundMemoryBudget? = nil,
    metrics: ServerMetrics? = nil,
    logger: Logger
  ) {
    self.eventLoop = eventLoop
    self.router = router
    self.limits = limits
    self.serverSettings = serverSettings
    self.requestBudget = requestBudget
    self.metrics = metrics
    self.logger = logger
    self.executor = EventLoopTaskExecutor(eventLoop: eventLoop)
    self.reader = FrameReader(limits: .init(maxMessageSize: limits.maxMessageSize, maxMetadataSize: limits.maxMetadataSize))
    self.outbound = ByteBuffer()
    self.calls = ServerCallStateMachine(maxConcurrentCalls: limits.maxConcurrentCalls)
    self.liveness = ConnectionLiveness(limits: limits, now: eventLoop.now)
  }

  // MARK: Channel events

  func handlerAdded(context: ChannelHandlerContext) {
    self.context = context
    self.outbound = context.channel.allocator.buffer(capacity: 4096)
    self.peer = context.channel.remoteAddress?.description ?? "unknown"
  }

  func handlerRemoved(context: ChannelHandlerContext) {
    self.context = nil
  }

  func channelActive(context: ChannelHandlerContext) {
    self.peer = context.channel.remoteAddress?.description ?? "unknown"
    if let timeout = self.limits.handshakeTimeout {
      // A connection that never sends its preface holds a descriptor and nothing else.
      self.handshakeTimer = self.eventLoop.assumeIsolated().scheduleTask(in: .microseconds(timeout.microseconds)) {
        guard self.calls.phase == .awaitingPreface else { return }
        self.metrics?.refused(.handshakeTimeout)
        self.logger.debug(
          "closing the connection", metadata: ["rpc.peer": "\(self.peer)", "reason": "no preface within \(timeout)"])
        self.close()
      }
    }
    context.fireChannelActive()
  }

  func channelInactive(context: ChannelHandlerContext) {
    self.handshakeTimer?.cancel()
    self.livenessTimer?.cancel()
    self.frameProgressTimer?.cancel()
    self.deadlineTimer?.cancel()
    self.releaseBudget()
    self.calls.close()
    self.resumeWritabilityWaiters(error: RPCError(code: .unavailable, message: "The connection closed."))
    context.fireChannelInactive()
  }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    let buffer = self.unwrapInboundIn(data)
    self.inRead = true
    if self.liveness.tracksReads { self.liveness.readReceived(now: self.eventLoop.now) }
    var bytes = self.reader.begin(buffer)
    do {
      while let frame = try self.reader.next(from: &bytes, admit: self.admit) {
        self.handle(frame)
      }
      self.reader.end(bytes)
    } catch {
      self.protocolError(.protocolError, reason: "\(error)")
    }
    self.calls.commitPendingOpen()
    self.noteFrameProgress()
  }

  // MARK: Inbound memory

  /// Decides from a frame's header, before its payload is buffered, whether to take it: a
  /// request MESSAGE must be within its method's limit, and an incomplete one over
  /// ``InboundMemoryBudget/freeBelow`` must fit the server's budget of buffered request bytes.
  private func admit(_ header: FrameHeader, complete: Bool) -> FrameRefusal? {
    guard header.type == .message else { return nil }
    let length = Int(header.length)
    if length > self.limits.maxRequestSize, let path = self.calls.methodPath(of: header.callID) {
      let limit = self.limits.requestLimit(forPath: path)
      if length > limit { return .overMethodLimit(limit: limit) }
    }
    // A new frame's header: the frame the connection held a reservation for is complete.
    self.releaseBudget()
    guard !complete, length > InboundMemoryBudget.freeBelow, let budget = self.requestBudget else { return nil }
    let loopBound = NIOLoopBound(self, eventLoop: self.eventLoop)
    let reserved = budget.reserve(length, for: ObjectIdentifier(self), now: self.eventLoop.now) { [eventLoop] in
      eventLoop.execute { loopBound.value.evictedFromBudget() }
    }
    guard reserved else { return .overMemoryBudget }
    self.holdsBudget = true
    return nil
  }

  private func releaseBudget() {
    guard self.holdsBudget else { return }
    self.holdsBudget = false
    self.requestBudget?.release(ObjectIdentifier(self))
  }

  /// The budget closed this connection to free memory: it held an unfinished request frame
  /// and had received nothing for the longest while the budget was exhausted.
  private func evictedFromBudget() {
    self.holdsBudget = false
    guard self.calls.phase != .closing else { return }
    self.metrics?.refused(.memoryBudget)
    self.logger.notice(
      "closing a stalled connection to free request memory",
      metadata: ["rpc.peer": "\(self.peer)", "reason": "request memory budget exhausted"])
    self.writeGoAway(.resourceExhausted, reason: "The server needed the memory held by this connection's unfinished request.")
    self.flushNow()
    self.close()
  }

  /// After a read: releases the budget once the reserved frame completed, and keeps the
  /// frame-progress timer armed while a frame is unfinished.
  private func noteFrameProgress() {
    if self.holdsBudget {
      if self.reader.awaitingPayloadLength == nil {
        self.releaseBudget()
      } else {
        self.requestBudget?.progress(ObjectIdentifier(self), now: self.eventLoop.now)
      }
    }
    guard let timeout = self.limits.frameProgressTimeout, self.calls.phase != .closing else { return }
    guard self.reader.isMidFrame else {
      self.midFrameSince = nil
      return
    }
    let now = self.eventLoop.now
    self.midFrameSince = now
    if self.frameProgressTimer == nil { self.armFrameProgressTimer(at: now + .microseconds(timeout.microseconds)) }
  }

  private func armFrameProgressTimer(at deadline: NIODeadline) {
    self.frameProgressTimer = self.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
      self.frameProgressTimer = nil
      guard let timeout = self.limits.frameProgressTimeout, let since = self.midFrameSince,
        self.calls.phase != .closing
      else { return }
      let due = since + .microseconds(timeout.microseconds)
      guard due <= self.eventLoop.now else { return self.armFrameProgressTimer(at: due) }
      self.metrics?.refused(.frameTimeout)
      self.logger.notice(
        "closing the connection", metadata: ["rpc.peer": "\(self.peer)", "reason": "a frame stopped arriving for \(timeout)"])
      self.writeGoAway(.frameTimeout, reason: "A frame stopped arriving for longer than \(timeout).")
      self.flushNow()
      self.close()
    }
  }

  func channelReadComplete(context: ChannelHandlerContext) {
    self.inRead = false
    if self.flushPending { self.flushNow() }
  }

  func channelWritabilityChanged(context: ChannelHandlerContext) {
    if context.channel.isWritable { self.resumeWritabilityWaiters(error: nil) }
    context.fireChannelWritabilityChanged()
  }

  func errorCaught(context: ChannelHandlerContext, error: any Error) {
    // A socket error (e.g. connection reset): nothing to answer; close quietly.
    self.logger.debug("connection error", metadata: ["rpc.peer": "\(self.peer)", "error": "\(error)"])
    context.close(promise: nil)
  }

  func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
    if case TLSUserEvent.handshakeCompleted = event {
      // Mutual TLS: the verified client certificate identifies the caller (by fingerprint).
      if let certificate = try? context.pipeline.syncOperations.nioSSL_peerCertificate() {
        self.peerCertificateFingerprint = RPCTLS.fingerprint(certificate)
      }
    }
    context.fireUserInboundEventTriggered(event)
  }

  func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
    if event is DrainEvent {
      self.drain()
      promise?.succeed()
    } else {
      context.triggerUserOutboundEvent(event, promise: promise)
    }
  }

  // MARK: Frames

  private func handle(_ frame: InboundFrame) {
    guard self.calls.phase != .closing else { return }
    if case .frame(let header, let payload) = frame, header.type == .message, self.calls.phase != .awaitingPreface {
      // The state machine knows whether it is the pending call's (started inline).
      return self.handleMessage(header, payload)
    }
    self.calls.commitPendingOpen()
    switch frame {
    case .preface(let preface):
      self.handlePreface(preface)
    case .oversized(let header):
      self.handleOversized(header)
    case .refused(let header, let refusal):
      self.handleRefused(header, refusal)
    case .frame(let header, let payload):
      guard self.calls.phase != .awaitingPreface else {
        return self.protocolError(.protocolError, reason: "frame before the connection preface")
      }
      switch header.type {
      case .headers: self.handleHeaders(header, payload)
      case .message: self.handleMessage(header, payload)
      case .cancel: self.handleCancel(header)
      case .ping: self.handlePing(header, payload)
      case .goAway: self.handleGoAway()
      case .status: self.protocolError(.protocolError, reason: "STATUS frame sent by a client")
      default: self.protocolError(.protocolError, reason: "unknown frame type \(header.type)")
      }
    }
  }

  private func handlePreface(_ preface: Preface) {
    guard preface.first <= UInt16(FrameHeader.version), UInt16(FrameHeader.version) <= preface.second else {
      // No version in common: say so with version 0 and close.
      self.outbound.writePreface(Preface(first: 0, second: 0, settings: []))
      self.flushNow()
      self.close()
      return
    }
    self.outbound.writePreface(Preface(first: UInt16(FrameHeader.version), second: 0, settings: self.serverSettings))
    self.calls.prefaceAccepted()
    self.handshakeTimer?.cancel()
    self.handshakeTimer = nil
    let settings: Rpc_V1_Settings
    do {
      settings = try Rpc_V1_Settings(serializedBytes: preface.settings)
    } catch {
      return self.protocolError(.protocolError, reason: "the preface's settings are not a valid rpc.v1.Settings")
    }
    for (name, value) in [("max_frame_size", settings.maxFrameSize), ("max_metadata_size", settings.maxMetadataSize)]
    where value != 0 && value < ConnectionLimits.minimumMetadataSize {
      return self.protocolError(
        .protocolError, reason: "the preface's \(name) is \(value), below the minimum of \(ConnectionLimits.minimumMetadataSize)")
    }
    if settings.maxFrameSize != 0 { self.peerMaxMessageSize = Int(settings.maxFrameSize) }
    if settings.maxMetadataSize != 0 { self.peerMaxMetadataSize = Int(settings.maxMetadataSize) }
    self.scheduleFlush()
    if self.liveness.isEnabled {
      self.liveness = ConnectionLiveness(limits: self.limits, now: self.eventLoop.now)
      self.armLivenessTimer()
    }
  }

  /// A request MESSAGE refused from its header (its payload is skipped): the call ends with
  /// `RESOURCE_EXHAUSTED`; the connection stays.
  private func handleRefused(_ header: FrameHeader, _ refusal: FrameRefusal) {
    let id = header.callID
    let method = self.calls.methodPath(of: id) ?? "this method"
    switch self.calls.refusedMessage(id) {
    case .removed: break
    case .ignore: return
    case .protocolError(let reason): return self.protocolError(.protocolError, reason: reason)
    }
    let error: RPCError
    switch refusal {
    case .overMethodLimit(let limit):
      error = RPCError(
        code: .resourceExhausted,
        message: "A request message of \(header.length) bytes exceeds the \(limit)-byte limit of \(method)."
      )
    case .overMemoryBudget:
      error = RPCError(
        code: .resourceExhausted,
        message: "The server is holding as many unfinished large requests as its memory budget allows; retry shortly.",
        details: [.retryInfo(delay: .seconds(1))]
      )
    }
    self.writeStatus(id, error)
    self.scheduleFlush()
    self.closeIfDrained()
  }

  private func handleOversized(_ header: FrameHeader) {
    guard self.calls.phase != .awaitingPreface else {
      return self.protocolError(.frameTooLarge, reason: "oversized frame before the preface")
    }
    switch header.type {
    case .headers:
      if let reason = self.calls.acceptNewCallID(header.callID) { return self.protocolError(.protocolError, reason: reason) }
      self.writeStatus(
        header.callID,
        RPCError(
          code: .resourceExhausted,
          message: "Call headers of \(header.length) bytes exceed the \(self.limits.maxMetadataSize)-byte limit."
        )
      )
      self.scheduleFlush()
    case .message:
      switch self.calls.refusedMessage(header.callID) {
      case .removed:
        self.writeStatus(
          header.callID,
          RPCError(
            code: .resourceExhausted,
            message: "A request message of \(header.length) bytes exceeds the \(self.limits.maxMessageSize)-byte limit."
          )
        )
        self.scheduleFlush()
        self.closeIfDrained()
      case .ignore: break
      case .protocolError(let reason): self.protocolError(.protocolError, reason: reason)
      }
    default:
      self.protocolError(.frameTooLarge, reason: "\(header.type) frame of \(header.length) bytes is over the limit")
    }
  }

  private func handleHeaders(_ header: FrameHeader, _ payload: ByteBuffer) {
    let id = header.callID
    switch self.calls.receivedHeaders(id) {
    case .open: break
    case .refuse(let error): return self.failCall(id, error)
    case .protocolError(let reason): return self.protocolError(.protocolError, reason: reason)
    }
    if let plain = self.plainHeaders, plain.bytes.count == payload.readableBytes,
      payload.withUnsafeReadableBytes({ bytes in
        plain.bytes.withUnsafeBytes { memcmp($0.baseAddress!, bytes.baseAddress!, bytes.count) == 0 }
      })
    {
      return self.open(id, plain.method, metadata: Metadata(), timeoutUs: nil)
    }
    let headers: Rpc_V1_CallHeaders
    do {
      headers = try payload.withUnsafeReadableBytes { try Rpc_V1_CallHeaders(serializedBytes: $0) }
    } catch let error as WireError where error.kind == .embeddedNUL {
      // A NUL in the method path or a metadata key or text value: refused, never cut short.
      let prefix = Rpc_V1_CallHeaders.protoFullName + "."
      let field = error.subject.hasPrefix(prefix) ? String(error.subject.dropFirst(prefix.count)) : error.subject
      return self.failCall(
        id,
        RPCError(
          code: .invalidArgument,
          message: "The call headers' \(field) contains a NUL character, which metadata text may not hold.",
          details: [.badRequest([FieldViolation(field: field, explanation: "contains a NUL character")])]
        )
      )
    } catch {
      return self.failCall(id, RPCError(code: .invalidArgument, message: "The call headers are not a valid rpc.v1.CallHeaders."))
    }
    guard let method = self.router.method(forPath: headers.methodPath) else {
      self.metrics?.unknownMethod.count(.unimplemented)
      return self.failCall(id, self.router.unimplementedError(forPath: headers.methodPath))
    }
    let metadata = headers.metadata.isEmpty ? Metadata() : Metadata(wire: headers.metadata)
    if let key = metadata.firstInvalidKey {
      return self.failCall(id, RPCError(code: .invalidArgument, message: "Invalid metadata key \"\(key)\"."))
    }
    if headers.timeoutUs == nil && headers.metadata.isEmpty {
      self.plainHeaders = (Array(payload.readableBytesView), method)
    }
    self.open(id, method, metadata: metadata, timeoutUs: headers.timeoutUs)
  }

  private func open(_ id: UInt32, _ method: RegisteredMethod, metadata: Metadata, timeoutUs: Int64?) {
    var deadline: ContinuousClock.Instant?
    var nioDeadline: NIODeadline?
    if let timeout = timeoutUs {
      guard timeout > 0 else {
        return self.failCall(id, RPCError(code: .deadlineExceeded, message: "The deadline had passed when the call arrived."))
      }
      deadline = ContinuousClock.now + .microseconds(timeout)
      nioDeadline = self.eventLoop.now + .microseconds(timeout)
    }
    let context = ServerContext(
      method: method.descriptor,
      metadata: metadata,
      deadline: deadline,
      peer: self.peer,
      callID: id,
      peerCertificateFingerprint: self.peerCertificateFingerprint
    )
    if let armAt = self.calls.opened(id, .init(state: .awaitingMessage(method, context), deadline: nioDeadline)) {
      self.armDeadlineTimer(at: armAt)
    }
    if self.liveness.tracksCalls { self.liveness.callStarted() }
  }

  /// Starts a call whose MESSAGE directly followed its HEADERS: it enters the table only if
  /// its handler suspends.
  private func startPending(_ id: UInt32, _ call: ServerCallStateMachine.Call, _ payload: ByteBuffer) {
    guard case .awaitingMessage(let method, let context) = call.state else { return }
    self.calls.beginStarting(id, deadline: call.deadline)
    let task = self.startHandler(id, method, context, payload)
    self.calls.endStarting(id, call, task: task)
  }

  /// Decodes the request and starts the handler; on a decoding failure, ends the call.
  /// - Returns: The handler's task, or `nil` if the call already ended.
  private func startHandler(_ id: UInt32, _ method: RegisteredMethod, _ context: ServerContext, _ payload: ByteBuffer) -> Task<Void, Never>? {
    let methodMetrics = method.metrics
    methodMetrics?.started()
    context.recordRequest(bytes: payload.readableBytes)
    let sink = NIOServerCallSink(connection: self, context: context, metrics: methodMetrics)
    do throws(RPCError) {
      return try payload.withUnsafeReadableBytes { bytes throws(RPCError) in
        try method.startInline(
          request: bytes,
          context: context,
          sink: sink,
          executor: self.executor,
          interceptors: self.router.interceptors
        )
      }
    } catch {
      sink.ended(self.finish(id, error: error))
      return nil
    }
  }

  private func handleMessage(_ header: FrameHeader, _ payload: ByteBuffer) {
    let id = header.callID
    switch self.calls.receivedMessage(id) {
    case .startPending(let call):
      self.startPending(id, call, payload)
    case .start(let method, let context):
      // The handler may finish (and end the call) synchronously: `started` then finds it gone.
      let task = self.startHandler(id, method, context, payload)
      self.calls.started(id, task: task)
    case .secondMessage:
      self.failCall(id, RPCError(code: .unimplemented, message: "Client streaming is not supported: one request message per call."))
      self.closeIfDrained()
    case .ignore:
      break
    case .protocolError(let reason):
      self.protocolError(.protocolError, reason: reason)
    }
  }

  private func handleCancel(_ header: FrameHeader) {
    switch self.calls.receivedCancel(header.callID) {
    case .removed: self.closeIfDrained()
    case .ignore: break
    case .protocolError(let reason): self.protocolError(.protocolError, reason: reason)
    }
  }

  private func handlePing(_ header: FrameHeader, _ payload: ByteBuffer) {
    guard header.length == 8 else {
      return self.protocolError(.protocolError, reason: "PING payload of \(header.length) bytes, expected 8")
    }
    if header.flags.contains(.ack) {
      if let value = payload.getInteger(at: payload.readerIndex, as: UInt64.self) {
        self.liveness.pingAckReceived(payload: value)
        // The next ping is due an interval after this read, earlier than the ACK deadline
        // the timer is armed for.
        self.armLivenessTimer()
      }
      return
    }
    self.outbound.writeFrameHeader(type: .ping, flags: .ack, callID: 0, length: 8)
    var payload = payload
    self.outbound.writeBuffer(&payload)
    self.scheduleFlush()
  }

  private func handleGoAway() {
    // The client will open no more calls here; finish what is in flight, then close.
    self.calls.peerWentAway()
    self.closeIfDrained()
  }

  /// Schedules the deadline timer at `deadline`, replacing the armed one.
  private func armDeadlineTimer(at deadline: NIODeadline) {
    self.deadlineTimer?.cancel()
    self.deadlineTimer = self.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
      self.deadlineTimerFired()
    }
  }

  /// Ends the calls whose deadline passed, and arms the timer for the next deadline.
  private func deadlineTimerFired() {
    self.deadlineTimer = nil
    guard self.calls.phase != .closing else { return }
    let (expired, next) = self.calls.deadlinesPassed(now: self.eventLoop.now)
    if let next { self.armDeadlineTimer(at: next) }
    guard !expired.isEmpty else { return }
    for id in expired { self.writeStatus(id, Self.pastDeadline) }
    self.scheduleFlush()
    self.closeIfDrained()
  }

  // MARK: Called by the sink (on the event loop)

  private static let pastDeadline = RPCError(
    code: .deadlineExceeded, message: "The deadline passed before the call completed.")

  /// Ends a unary call with its response.
  /// - Returns: How the call ended, or `nil` if it was already over (cancelled, deadline).
  @discardableResult
  func finish<Message: WireMessage>(_ id: UInt32, response: Message, trailers: Metadata) -> CallOutcome? {
    switch self.calls.ending(id, now: self.eventLoop.now) {
    case .over: return nil
    case .pastDeadline: return self.answerPastDeadline(id)
    case .live: break
    }
    let outcome: CallOutcome
    do throws(RPCError) {
      if trailers.isEmpty {
        outcome = CallOutcome(code: .ok, responseBytes: try self.writeMessage(id, response, thenOK: true))
      } else {
        outcome = CallOutcome(code: .ok, responseBytes: try self.writeMessage(id, response))
        self.writeStatusOK(id, trailers: trailers)
      }
    } catch {
      self.writeStatus(id, error)
      outcome = CallOutcome(code: error.code, responseBytes: 0)
    }
    self.scheduleFlush()
    self.closeIfDrained()
    return outcome
  }

  /// Ends a streaming call successfully.
  /// - Returns: How the call ended, or `nil` if it was already over.
  @discardableResult
  func finish(_ id: UInt32, trailers: Metadata) -> CallOutcome? {
    switch self.calls.ending(id, now: self.eventLoop.now) {
    case .over: return nil
    case .pastDeadline: return self.answerPastDeadline(id)
    case .live: break
    }
    self.writeStatusOK(id, trailers: trailers)
    self.scheduleFlush()
    self.closeIfDrained()
    return CallOutcome(code: .ok, responseBytes: 0)
  }

  /// Ends a call with an error.
  /// - Returns: How the call ended, or `nil` if it was already over.
  @discardableResult
  func finish(_ id: UInt32, error: RPCError) -> CallOutcome? {
    switch self.calls.ending(id, now: self.eventLoop.now) {
    case .over: return nil
    case .pastDeadline: return self.answerPastDeadline(id)
    case .live: break
    }
    self.writeStatus(id, error)
    self.scheduleFlush()
    self.closeIfDrained()
    return CallOutcome(code: error.code, responseBytes: 0)
  }

  private func answerPastDeadline(_ id: UInt32) -> CallOutcome {
    self.writeStatus(id, Self.pastDeadline)
    self.scheduleFlush()
    self.closeIfDrained()
    return CallOutcome(code: .deadlineExceeded, responseBytes: 0)
  }

  /// Sends one response of a streaming call.
  /// - Returns: The response's size in bytes.
  /// - Throws: If the call is over (`ended` nil), or the message cannot be sent: the call
  ///   then ended with that error (`ended` says how).
  func send<Message: WireMessage>(_ id: UInt32, message: Message) throws(SendFailure) -> Int {
    guard self.calls.isLive(id) else {
      throw SendFailure(error: RPCError(code: .cancelled, message: "The call is over."), ended: nil)
    }
    let bytes: Int
    do throws(RPCError) {
      bytes = try self.writeMessage(id, message)
    } catch {
      // The message cannot be sent: the call fails with the reason.
      throw SendFailure(error: error, ended: self.finish(id, error: error))
    }
    self.scheduleFlush()
    return bytes
  }

  var isWritable: Bool { self.context?.channel.isWritable ?? false }

  func addWritabilityWaiter(_ continuation: CheckedContinuation<Void, any Error>) {
    if self.calls.phase == .closing || self.context == nil {
      continuation.resume(throwing: RPCError(code: .unavailable, message: "The connection closed."))
    } else if self.isWritable {
      continuation.resume()
    } else {
      self.writabilityWaiters.append(continuation)
    }
  }

  // MARK: Writing

  private func failCall(_ id: UInt32, _ error: RPCError) {
    self.writeStatus(id, error)
    self.scheduleFlush()
  }

  /// A MESSAGE frame, and with `thenOK` the OK status with no trailers (a unary call's usual
  /// end), written with one reservation in the outbound buffer.
  /// - Returns: The message's encoded size (the MESSAGE frame's payload).
  private func writeMessage<Message: WireMessage>(_ id: UInt32, _ message: Message, thenOK: Bool = false) throws(RPCError) -> Int {
    let limit = self.peerMaxMessageSize
    let start = self.outbound.writerIndex
    try self.outbound.writeMessageFrame(
      message, flags: [], callID: id, limit: limit, thenOK: thenOK,
      tooLarge: { RPCError(code: .resourceExhausted, message: "A response of \($0) bytes exceeds the client's \(limit)-byte limit.") },
      cannotEncode: { _ in RPCError(code: .internal, message: "The response cannot be encoded.") }
    )
    return self.outbound.writerIndex - start - FrameHeader.size * (thenOK ? 2 : 1)
  }

  private func writeStatusOK(_ id: UInt32, trailers: Metadata) {
    if trailers.isEmpty {
      // An OK status with nothing else encodes to zero bytes: skip the encoder.
      self.outbound.writeFrameHeader(type: .status, flags: [], callID: id, length: 0)
    } else {
      var status = Rpc_V1_Status()
      status.trailers = trailers.wire
      self.writeStatusMessage(id, status)
    }
  }

  private func writeStatus(_ id: UInt32, _ error: RPCError) {
    self.writeStatusMessage(id, error.wireStatus)
  }

  private func writeStatusMessage(_ id: UInt32, _ status: Rpc_V1_Status) {
    let headerIndex = self.outbound.writerIndex
    self.outbound.writeFrameHeader(type: .status, flags: [], callID: id, length: 0)
    let payloadStart = self.outbound.writerIndex
    let encoded: Bool
    do {
      try status.withSerializedBytes { bytes in _ = self.outbound.writeBytes(bytes) }
      encoded = self.outbound.writerIndex - payloadStart <= self.peerMaxMetadataSize
    } catch {
      encoded = false
    }
    if !encoded {
      // The full status cannot be sent (unencodable text or over the client's limit). A
      // short replacement, always within the smallest limit a client may announce
      // (`ConnectionLimits.minimumMetadataSize`): an error keeps its code; an OK whose
      // trailers do not fit becomes RESOURCE_EXHAUSTED, since the trailers are lost.
      self.outbound.moveWriterIndex(to: payloadStart)
      var fallback = Rpc_V1_Status()
      if status.code == .ok {
        fallback.code = .resourceExhausted
        fallback.message = "The call succeeded but its trailers exceed the client's metadata size limit."
      } else {
        fallback.code = status.code
        fallback.message = "The status's message or details exceed the client's metadata size limit."
      }
      _ = try? fallback.withSerializedBytes { bytes in _ = self.outbound.writeBytes(bytes) }
    }
    let length = self.outbound.writerIndex - payloadStart
    self.outbound.setFrameHeader(at: headerIndex, type: .status, flags: [], callID: id, length: UInt32(length))
  }

  private func writeGoAway(_ code: Rpc_V1_GoAwayCode, reason: String) {
    var goAway = Rpc_V1_GoAway()
    goAway.lastCallId = self.calls.lastCallID
    goAway.code = code
    goAway.reason = reason
    let headerIndex = self.outbound.writerIndex
    self.outbound.writeFrameHeader(type: .goAway, flags: [], callID: 0, length: 0)
    let payloadStart = self.outbound.writerIndex
    _ = try? goAway.withSerializedBytes { bytes in _ = self.outbound.writeBytes(bytes) }
    let length = self.outbound.writerIndex - payloadStart
    self.outbound.setFrameHeader(at: headerIndex, type: .goAway, flags: [], callID: 0, length: UInt32(length))
  }

  /// Flushes what was written, once: at the end of the read in progress, or else as a loop
  /// task, so that the calls that end in the same loop tick (handlers resumed one after
  /// another on this loop, 64 in flight) leave in one `write` system call, not one each.
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
    self.flushPending = false
    guard let context = self.context, self.outbound.readableBytes > 0 else { return }
    context.writeAndFlush(self.wrapOutboundOut(self.outbound), promise: nil)
    // Reuses the storage when the socket took the bytes synchronously (the usual case).
    self.outbound.clear()
  }

  // MARK: Lifecycle

  private func drain() {
    switch self.calls.drainRequested() {
    case .close:
      self.close()
    case .goAway:
      self.writeGoAway(.noError, reason: "The server is shutting down.")
      self.flushNow()
      self.closeIfDrained()
    case .none:
      break
    }
  }

  /// Called whenever a call ends: closes a draining connection with no call left, and
  /// starts the idle clock.
  private func closeIfDrained() {
    guard self.calls.hasNoCalls else { return }
    if self.calls.phase == .draining {
      self.flushNow()
      self.close()
    } else if self.liveness.tracksCalls {
      self.liveness.callsEnded(now: self.eventLoop.now)
      self.armLivenessTimer()
    }
  }

  // MARK: Keepalive and idle timeout

  /// Schedules the liveness timer at the state's next deadline, unless it is armed for
  /// that time or earlier (it then fires, finds nothing due, and re-arms).
  private func armLivenessTimer() {
    guard self.calls.phase == .active || self.calls.phase == .draining, let next = self.liveness.nextDeadline else { return }
    if let armed = self.livenessTimerDeadline, armed <= next { return }
    self.livenessTimer?.cancel()
    self.livenessTimerDeadline = next
    self.livenessTimer = self.eventLoop.assumeIsolated().scheduleTask(deadline: next) {
      self.livenessTimerFired()
    }
  }

  private func livenessTimerFired() {
    self.livenessTimer = nil
    self.livenessTimerDeadline = nil
    guard self.calls.phase == .active || self.calls.phase == .draining else { return }
    switch self.liveness.timerFired(now: self.eventLoop.now) {
    case .sendPing(let value):
      self.outbound.writeFrameHeader(type: .ping, flags: [], callID: 0, length: 8)
      self.outbound.writeInteger(value)
      self.flushNow()
    case .close(let code):
      let reason =
        code == .idleTimeout
        ? "No call for \(self.limits.idleTimeout.map { "\($0)" } ?? "the idle timeout")."
        : "No PING ACK within \(self.limits.keepaliveTimeout)."
      self.logger.debug("closing the connection", metadata: ["rpc.peer": "\(self.peer)", "reason": "\(reason)"])
      if code != .idleTimeout { self.metrics?.refused(.keepaliveTimeout) }
      self.writeGoAway(code, reason: reason)
      self.flushNow()
      self.close()
      return
    case nil:
      break
    }
    self.armLivenessTimer()
  }

  private func protocolError(_ code: Rpc_V1_GoAwayCode, reason: String) {
    guard self.calls.phase != .closing else { return }
    self.metrics?.refused(.protocolError)
    self.logger.notice("protocol error; closing the connection", metadata: ["rpc.peer": "\(self.peer)", "reason": "\(reason)"])
    if self.calls.phase != .awaitingPreface {
      self.writeGoAway(code, reason: reason)
    }
    self.flushNow()
    self.close()
  }

  private func close() {
    self.livenessTimer?.cancel()
    self.frameProgressTimer?.cancel()
    self.deadlineTimer?.cancel()
    self.calls.close()
    self.context?.close(promise: nil)
  }

  private func resumeWritabilityWaiters(error: RPCError?) {
    let waiters = self.writabilityWaiters
    self.writabilityWaiters.removeAll()
    for waiter in waiters {
      if let error { waiter.resume(throwing: error) } else { waiter.resume() }
    }
  }
}

/// How a call ended on the wire: its final status code and the bytes of its last response.
struct CallOutcome {
  var code: StatusCode
  var responseBytes: Int
}

/// Why ``ServerConnectionHandler/send(_:message:)`` sent nothing.
struct SendFailure: Error {
  /// What the handler sees.
  var error: RPCError
  /// How the call ended because of the failure, or `nil` if it was already over.
  var ended: CallOutcome?
}
