import NIOCore

/// The reference: a bare SwiftNIO pipelined echo of u32-length-prefixed frames. Replies to
/// everything decoded from one read are flushed once, at read completion.
final class EchoServerHandler: ChannelInboundHandler {
  typealias InboundIn = ByteBuffer
  typealias OutboundOut = ByteBuffer

  private var pending = ByteBuffer()
  private var outbound = ByteBuffer()

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    var buffer = self.unwrapInboundIn(data)
    if self.pending.readableBytes == 0 {
      self.pending = buffer
    } else {
      self.pending.writeBuffer(&buffer)
    }
    while let length = self.pending.getInteger(at: self.pending.readerIndex, as: UInt32.self),
      self.pending.readableBytes >= 4 + Int(length)
    {
      guard var frame = self.pending.readSlice(length: 4 + Int(length)) else { break }
      self.outbound.writeBuffer(&frame)
    }
  }

  func channelReadComplete(context: ChannelHandlerContext) {
    guard self.outbound.readableBytes > 0 else { return }
    context.writeAndFlush(self.wrapOutboundOut(self.outbound), promise: nil)
    self.outbound.clear()
  }
}
