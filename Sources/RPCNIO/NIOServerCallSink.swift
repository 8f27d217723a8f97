import NIOCore
import RPCCore
import WireBridge

/// The server transport's ``ServerCallSink``: forwards a handler's results to its connection,
/// and ends the call's context (``ServerContext/onEnd(_:)``) and metrics once the final status
/// is decided.
///
/// Three words, so it fits an existential's inline storage: no allocation per call.
// @unchecked Sendable: `connection` is only dereferenced on its event loop; every method
// checks `inEventLoop` and otherwise hops there with `execute`/`submit`.
struct NIOServerCallSink: ServerCallSink, @unchecked Sendable {
  let connection: ServerConnectionHandler
  let context: ServerContext
  /// The method's metrics, or `nil` when the connection has none.
  let metrics: MethodMetrics?

  private var callID: UInt32 { self.context.callID }

  func send<Message: WireMessage>(_ message: Message) async throws {
    let loop = self.connection.eventLoop
    if loop.inEventLoop {
      try self.sendOnLoop(message)
    } else {
      try await loop.submit { try self.sendOnLoop(message) }.get()
    }
    let writable = loop.inEventLoop ? self.connection.isWritable : try await loop.submit { self.connection.isWritable }.get()
    if !writable {
      try await withCheckedThrowingContinuation { continuation in
        loop.execute { self.connection.addWritabilityWaiter(continuation) }
      }
    }
  }

  private func sendOnLoop<Message: WireMessage>(_ message: Message) throws(RPCError) {
    do throws(SendFailure) {
      let bytes = try self.connection.send(self.callID, message: message)
      self.context.recordResponse(bytes: bytes)
    } catch {
      if let ended = error.ended { self.ended(ended) }
      throw error.error
    }
  }

  func finish<Message: WireMessage>(response: Message, trailers: Metadata) {
    if self.connection.eventLoop.inEventLoop {
      self.ended(self.connection.finish(self.callID, response: response, trailers: trailers))
    } else {
      self.connection.eventLoop.execute {
        self.ended(self.connection.finish(self.callID, response: response, trailers: trailers))
      }
    }
  }

  func finish(trailers: Metadata) {
    if self.connection.eventLoop.inEventLoop {
      self.ended(self.connection.finish(self.callID, trailers: trailers))
    } else {
      self.connection.eventLoop.execute { self.ended(self.connection.finish(self.callID, trailers: trailers)) }
    }
  }

  func finish(error: RPCError) {
    if self.connection.eventLoop.inEventLoop {
      self.ended(self.connection.finish(self.callID, error: error))
    } else {
      self.connection.eventLoop.execute { self.ended(self.connection.finish(self.callID, error: error)) }
    }
  }

  /// Ends the context and records the call's metrics; once per call (later calls do nothing).
  /// - Parameter outcome: How the call ended, or `nil` if it was already over: it was then
  ///   cancelled, by the client or the connection closing, or its deadline passed.
  func ended(_ outcome: CallOutcome?) {
    let code: StatusCode
    if let outcome {
      code = outcome.code
      if outcome.responseBytes > 0 { self.context.recordResponse(bytes: outcome.responseBytes) }
    } else if let deadline = self.context.deadline, deadline <= .now {
      code = .deadlineExceeded
    } else {
      code = .cancelled
    }
    guard let metrics = self.metrics else {
      self.context.end(code: code, summarize: false)
      return
    }
    guard let summary = self.context.end(code: code) else { return }
    metrics.ended(summary)
  }
}
