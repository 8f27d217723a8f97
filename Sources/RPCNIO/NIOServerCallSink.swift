import NIOCore
import RPCCore
import WireBridge

/// The server transport's ``ServerCallSink``: forwards a handler's results to its connection.
///
/// Two words, so it fits an existential's inline storage: no allocation per call.
// @unchecked Sendable: `connection` is only dereferenced on its event loop; every method
// checks `inEventLoop` and otherwise hops there with `execute`/`submit`.
struct NIOServerCallSink: ServerCallSink, @unchecked Sendable {
  let connection: ServerConnectionHandler
  let callID: UInt32

  func send<Message: WireMessage>(_ message: Message) async throws {
    let loop = self.connection.eventLoop
    if loop.inEventLoop {
      try self.connection.send(self.callID, message: message)
    } else {
      try await loop.submit { try self.connection.send(self.callID, message: message) }.get()
    }
    let writable = loop.inEventLoop ? self.connection.isWritable : try await loop.submit { self.connection.isWritable }.get()
    if !writable {
      try await withCheckedThrowingContinuation { continuation in
        loop.execute { self.connection.addWritabilityWaiter(continuation) }
      }
    }
  }

  func finish<Message: WireMessage>(response: Message, trailers: Metadata) {
    if self.connection.eventLoop.inEventLoop {
      self.connection.finish(self.callID, response: response, trailers: trailers)
    } else {
      self.connection.eventLoop.execute {
        self.connection.finish(self.callID, response: response, trailers: trailers)
      }
    }
  }

  func finish(trailers: Metadata) {
    if self.connection.eventLoop.inEventLoop {
      self.connection.finish(self.callID, trailers: trailers)
    } else {
      self.connection.eventLoop.execute { self.connection.finish(self.callID, trailers: trailers) }
    }
  }

  func finish(error: RPCError) {
    if self.connection.eventLoop.inEventLoop {
      self.connection.finish(self.callID, error: error)
    } else {
      self.connection.eventLoop.execute { self.connection.finish(self.callID, error: error) }
    }
  }
}
