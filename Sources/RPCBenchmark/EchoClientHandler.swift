import Histogram
import NIOCore

/// The reference client: keeps `inFlight` echo frames outstanding on one connection, event
/// loop driven, timing each round trip.
final class EchoClientHandler: ChannelInboundHandler {
  typealias InboundIn = ByteBuffer
  typealias OutboundOut = ByteBuffer

  private let payload: [UInt8]
  private let inFlight: Int
  private var pending = ByteBuffer()
  private var sentAt: [ContinuousClock.Instant] = []
  private var head = 0
  private var stopped = false
  private var outstanding = 0
  private(set) var histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000)
  private(set) var completed = 0
  private var context: ChannelHandlerContext?
  var drained: EventLoopPromise<Void>?

  init(payloadSize: Int, inFlight: Int) {
    self.payload = [UInt8](repeating: 0x61, count: payloadSize)
    self.inFlight = inFlight
  }

  func handlerAdded(context: ChannelHandlerContext) { self.context = context }

  func start() {
    guard let context = self.context else { return }
    var buffer = context.channel.allocator.buffer(capacity: (4 + self.payload.count) * self.inFlight)
    for _ in 0..<self.inFlight { self.append(&buffer) }
    context.writeAndFlush(self.wrapOutboundOut(buffer), promise: nil)
  }

  func reset() {
    self.histogram.reset()
    self.completed = 0
  }

  func stop() {
    self.stopped = true
    if self.outstanding == 0 { self.drained?.succeed() }
  }

  private func append(_ buffer: inout ByteBuffer) {
    buffer.writeInteger(UInt32(self.payload.count))
    buffer.writeBytes(self.payload)
    self.sentAt.append(.now)
    self.outstanding += 1
  }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    var buffer = self.unwrapInboundIn(data)
    self.pending.writeBuffer(&buffer)
    var out = context.channel.allocator.buffer(capacity: 0)
    let now = ContinuousClock.now
    while let length = self.pending.getInteger(at: self.pending.readerIndex, as: UInt32.self),
      self.pending.readableBytes >= 4 + Int(length)
    {
      self.pending.moveReaderIndex(forwardBy: 4 + Int(length))
      let elapsed = now - self.sentAt[self.head]
      self.head += 1
      self.outstanding -= 1
      _ = self.histogram.record(UInt64(max(0, elapsed.nanoseconds)))
      self.completed += 1
      if !self.stopped { self.append(&out) }
    }
    self.pending.discardReadBytes()
    if self.head > 4096 {
      self.sentAt.removeFirst(self.head)
      self.head = 0
    }
    if out.readableBytes > 0 { context.writeAndFlush(self.wrapOutboundOut(out), promise: nil) }
    if self.stopped && self.outstanding == 0 { self.drained?.succeed() }
  }
}

extension Duration {
  var nanoseconds: Int64 {
    let (seconds, attoseconds) = self.components
    return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
  }
}
