import NIOCore
import RPCCore
import Synchronization

/// One established client connection: its channel, handler and call-id counter.
final class ClientConnection: Sendable {
  let channel: any Channel
  let handler: NIOLoopBound<ClientConnectionHandler>
  let settings: ServerSettings

  private struct IDs {
    var next: UInt32 = 1
    var draining = false
  }

  private let ids = Mutex(IDs())

  init(channel: any Channel, handler: NIOLoopBound<ClientConnectionHandler>, settings: ServerSettings) {
    self.channel = channel
    self.handler = handler
    self.settings = settings
  }

  /// Whether new calls may use this connection.
  var isUsable: Bool {
    self.channel.isActive && !self.ids.withLock { $0.draining }
  }

  /// Marks the connection as accepting no new calls (GOAWAY received, ids exhausted).
  func markDraining() {
    self.ids.withLock { $0.draining = true }
  }

  /// Assigns the next call id and runs `body` with it while holding the lock, so that calls
  /// reach the event loop (and the wire) in id order, as the protocol requires.
  /// - Returns: `false` if the connection is draining.
  func withNextCallID(_ body: (UInt32) -> Void) -> Bool {
    self.ids.withLock { ids in
      guard !ids.draining else { return false }
      let id = ids.next
      if id == UInt32.max {
        // Ids are never reused on a connection: the last one drains it.
        ids.draining = true
      } else {
        ids.next = id + 1
      }
      body(id)
      return true
    }
  }
}

/// The id of a call once assigned, for the cancellation handler.
final class CallIDBox: Sendable {
  private let value = Atomic<UInt32>(0)
  var id: UInt32 { self.value.load(ordering: .acquiring) }
  func set(_ id: UInt32) { self.value.store(id, ordering: .releasing) }
}
