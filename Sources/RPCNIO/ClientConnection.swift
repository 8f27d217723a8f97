import NIOCore
import RPCCore
import Synchronization

/// One established client connection: its channel, handler and whether it takes new calls.
///
/// Call ids are assigned by the handler, on the event loop, in the order calls reach it: that
/// is the order their frames reach the wire, as the protocol requires (ids strictly increase).
final class ClientConnection: Sendable {
  let channel: any Channel
  let handler: NIOLoopBound<ClientConnectionHandler>
  let settings: ServerSettings

  private let draining = Atomic<Bool>(false)

  init(channel: any Channel, handler: NIOLoopBound<ClientConnectionHandler>, settings: ServerSettings) {
    self.channel = channel
    self.handler = handler
    self.settings = settings
  }

  /// Whether new calls may use this connection.
  var isUsable: Bool {
    self.channel.isActive && !self.draining.load(ordering: .relaxed)
  }

  /// Marks the connection as accepting no new calls (GOAWAY received or sent, ids exhausted).
  func markDraining() {
    self.draining.store(true, ordering: .relaxed)
  }
}

/// The id of a call started from off the event loop, once the loop has assigned it; and
/// whether the caller was cancelled before that.
final class CallIDBox: Sendable {
  private static let cancelledBit: UInt64 = 1 << 32
  private let value = Atomic<UInt64>(0)

  /// The assigned id, 0 until the loop assigns one.
  var id: UInt32 { UInt32(truncatingIfNeeded: self.value.load(ordering: .acquiring)) }

  /// Whether the caller was cancelled.
  var isCancelled: Bool { self.value.load(ordering: .acquiring) & Self.cancelledBit != 0 }

  /// Records the assigned id (on the loop).
  func set(_ id: UInt32) {
    _ = self.value.bitwiseOr(UInt64(id), ordering: .acquiringAndReleasing)
  }

  /// Records the caller's cancellation (from any thread).
  func cancel() {
    _ = self.value.bitwiseOr(Self.cancelledBit, ordering: .acquiringAndReleasing)
  }
}
