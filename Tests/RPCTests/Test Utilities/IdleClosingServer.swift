import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
@testable import RPCNIO
import WireBridge

/// A scripted server whose every connection serves `callsPerConnection` unary calls (an empty
/// response message and STATUS OK) and then idles out exactly as the client's next call
/// arrives: it answers that call's HEADERS with GOAWAY IDLE_TIMEOUT naming the last call it
/// served (so the new call was never processed) and closes. This is the race of a call sent
/// just as the server's idle timer fires, made certain instead of left to the clock.
final class IdleClosingServer: Sendable {
  struct Counts: Sendable {
    var connections = 0
    var served = 0
    var refused = 0
  }

  private let listener: any Channel
  private let counts: NIOLockedValueBox<Counts>
  let port: Int

  /// What the server did so far.
  var seen: Counts { self.counts.withLockedValue { $0 } }

  private final class Script: ChannelInboundHandler, @unchecked Sendable {
    // @unchecked Sendable: the decoder and the connection's counters are touched only on
    // the channel's loop; `counts` is locked.
    typealias InboundIn = ByteBuffer
    let counts: NIOLockedValueBox<Counts>
    let callsPerConnection: Int
    var decoder = FrameDecoder(limits: .init(maxMessageSize: 1 << 20, maxMetadataSize: 1 << 16), expectPreface: true)
    var pending = ByteBuffer()
    var servedHere = 0
    var lastServed: UInt32 = 0
    var closing = false

    init(counts: NIOLockedValueBox<Counts>, callsPerConnection: Int) {
      self.counts = counts
      self.callsPerConnection = callsPerConnection
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
      var buffer = Self.unwrapInboundIn(data)
      self.pending.writeBuffer(&buffer)
      var out = context.channel.allocator.buffer(capacity: 64)
      while !self.closing, let frame = try? self.decoder.decode(buffer: &self.pending) {
        switch frame {
        case .preface:
          out.writePreface(Preface(first: 1, second: 0, settings: []))
        case .frame(let header, _) where header.type == .headers:
          guard self.servedHere >= self.callsPerConnection else { continue }
          // The idle timer fired as this call arrived: it was never processed.
          var goAway = Rpc_V1_GoAway()
          goAway.lastCallId = self.lastServed
          goAway.code = .idleTimeout
          goAway.reason = "idle"
          if let bytes = try? goAway.serializedBytes() {
            bytes.withUnsafeBytes { out.writeFrame(type: .goAway, callID: 0, payload: $0) }
          }
          self.counts.withLockedValue { $0.refused += 1 }
          self.closing = true
        case .frame(let header, _) where header.type == .message && header.flags.contains(.endStream):
          out.writeFrameHeader(type: .message, flags: [], callID: header.callID, length: 0)
          out.writeFrameHeader(type: .status, flags: [], callID: header.callID, length: 0)
          self.servedHere += 1
          self.lastServed = header.callID
          self.counts.withLockedValue { $0.served += 1 }
        default:
          continue
        }
      }
      if out.readableBytes > 0 { context.writeAndFlush(NIOAny(out), promise: nil) }
      if self.closing { context.close(promise: nil) }
    }
  }

  /// Starts the server on a free loopback port.
  init(callsPerConnection: Int) async throws {
    let counts = NIOLockedValueBox(Counts())
    self.counts = counts
    self.listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
      .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
      .childChannelInitializer { channel in
        counts.withLockedValue { $0.connections += 1 }
        return channel.eventLoop.makeCompletedFuture {
          try channel.pipeline.syncOperations.addHandler(Script(counts: counts, callsPerConnection: callsPerConnection))
        }
      }
      .bind(host: "127.0.0.1", port: 0).get()
    self.port = self.listener.localAddress?.port ?? 0
  }

  func close() async {
    try? await self.listener.close()
  }
}
