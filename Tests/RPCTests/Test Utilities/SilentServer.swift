import NIOCore
import NIOPosix
@testable import RPCNIO

/// A fake server that answers the client's preface and then never answers anything (not
/// even PINGs): a peer that has gone silent. Records every frame the client sends.
final class SilentServer: Sendable {
  private let listener: any Channel
  private let frames: AsyncStream<InboundFrame>
  let port: Int

  /// Decodes the client's bytes into frames for the test.
  private final class Recorder: ChannelInboundHandler, @unchecked Sendable {
    // @unchecked Sendable: `decoder` and `pending` are touched only on the channel's loop.
    typealias InboundIn = ByteBuffer
    let continuation: AsyncStream<InboundFrame>.Continuation
    var decoder = FrameDecoder(limits: .init(maxMessageSize: 1 << 20, maxMetadataSize: 1 << 16), expectPreface: true)
    var pending = ByteBuffer()

    init(_ continuation: AsyncStream<InboundFrame>.Continuation) { self.continuation = continuation }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
      var buffer = Self.unwrapInboundIn(data)
      self.pending.writeBuffer(&buffer)
      while let frame = try? self.decoder.decode(buffer: &self.pending) {
        if case .preface = frame {
          // The server's preface answers the client's (docs/PROTOCOL.md); then silence.
          var buffer = context.channel.allocator.buffer(capacity: 32)
          buffer.writePreface(Preface(first: 1, second: 0, settings: []))
          context.writeAndFlush(NIOAny(buffer), promise: nil)
        }
        self.continuation.yield(frame)
      }
    }

    func channelInactive(context: ChannelHandlerContext) { self.continuation.finish() }
  }

  init() async throws {
    let (frames, continuation) = AsyncStream<InboundFrame>.makeStream()
    self.frames = frames
    self.listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
      .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
      .childChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
          try channel.pipeline.syncOperations.addHandler(Recorder(continuation))
        }
      }
      .bind(host: "127.0.0.1", port: 0).get()
    self.port = self.listener.localAddress?.port ?? 0
  }

  /// The frames the client sent (of its first connection), in order; ends when it closes.
  var received: AsyncStream<InboundFrame> { self.frames }

  func close() async {
    try? await self.listener.close()
  }
}
