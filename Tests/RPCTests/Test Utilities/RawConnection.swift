import NIOCore
import NIOPosix
@testable import RPCNIO
import WireBridge

/// A hand-driven protocol connection for misbehaving-client tests: writes raw bytes and
/// reads frames.
final class RawConnection {
  let channel: any Channel
  private var iterator: AsyncStream<ByteBuffer>.AsyncIterator
  private var pending = ByteBuffer()
  private var decoder: FrameDecoder

  /// Hands every inbound buffer to an `AsyncStream`, which ends when the connection closes.
  private final class Collector: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let continuation: AsyncStream<ByteBuffer>.Continuation
    init(_ continuation: AsyncStream<ByteBuffer>.Continuation) { self.continuation = continuation }
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
      continuation.yield(Self.unwrapInboundIn(data))
    }
    func channelInactive(context: ChannelHandlerContext) { continuation.finish() }
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
      continuation.finish()
      context.close(promise: nil)
    }
  }

  init(port: Int, expectPreface: Bool = true) async throws {
    let (stream, continuation) = AsyncStream<ByteBuffer>.makeStream()
    self.channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
      .channelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
          try channel.pipeline.syncOperations.addHandler(Collector(continuation))
        }
      }
      .connect(host: "127.0.0.1", port: port).get()
    self.iterator = stream.makeAsyncIterator()
    self.decoder = FrameDecoder(limits: .init(maxMessageSize: 64 << 20, maxMetadataSize: 1 << 20), expectPreface: expectPreface)
  }

  func write(_ bytes: [UInt8]) async throws {
    try await self.channel.writeAndFlush(ByteBuffer(bytes: bytes))
  }

  func write(_ buffer: ByteBuffer) async throws {
    try await self.channel.writeAndFlush(buffer)
  }

  /// Sends a valid client preface with empty settings.
  func sendPreface() async throws {
    var buffer = ByteBuffer()
    buffer.writePreface(Preface(first: 1, second: 1, settings: []))
    try await self.write(buffer)
  }

  /// Sends HEADERS for `path` and, if given, a MESSAGE with `message`.
  func sendCall<M: WireMessage>(
    id: UInt32, path: String, timeoutUs: Int64? = nil, metadata: [Rpc_V1_MetadataEntry] = [], message: M?
  ) async throws {
    var headers = Rpc_V1_CallHeaders()
    headers.methodPath = path
    headers.timeoutUs = timeoutUs
    headers.metadata = metadata
    var buffer = ByteBuffer()
    let headerBytes = try headers.serializedBytes()
    headerBytes.withUnsafeBytes { buffer.writeFrame(type: .headers, callID: id, payload: $0) }
    if let message {
      let bytes = try message.serializedBytes()
      bytes.withUnsafeBytes { buffer.writeFrame(type: .message, flags: .endStream, callID: id, payload: $0) }
    }
    try await self.write(buffer)
  }

  /// Reads the next decoded frame, or nil at EOF.
  func next() async throws -> InboundFrame? {
    while true {
      if let frame = try self.decoder.decode(buffer: &self.pending) { return frame }
      guard var more = await self.iterator.next(isolation: #isolation) else { return nil }
      self.pending.writeBuffer(&more)
    }
  }

  /// Reads frames until one of `type` (skipping the preface and pings).
  func next(_ type: FrameType) async throws -> (FrameHeader, ByteBuffer)? {
    while let frame = try await self.next() {
      if case .frame(let header, let payload) = frame, header.type == type { return (header, payload) }
    }
    return nil
  }

  /// Reads the next STATUS frame, decoded.
  func nextStatus() async throws -> (UInt32, Rpc_V1_Status)? {
    guard let (header, payload) = try await self.next(.status) else { return nil }
    let status = try payload.withUnsafeReadableBytes { try Rpc_V1_Status(serializedBytes: $0) }
    return (header.callID, status)
  }

  /// Reads until EOF, returning every frame seen (an error from the stream ends it too).
  func drainToEOF() async -> [InboundFrame] {
    var frames: [InboundFrame] = []
    while let frame = try? await self.next() { frames.append(frame) }
    return frames
  }

  func close() async {
    try? await self.channel.close()
  }
}
