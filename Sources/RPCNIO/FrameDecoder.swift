import NIOCore

/// What the ``FrameDecoder`` produces.
public enum InboundFrame: Sendable, Equatable {
  /// The peer's connection preface (always first).
  case preface(Preface)
  /// A frame whose payload is within its limit.
  case frame(FrameHeader, ByteBuffer)
  /// A frame whose declared length is over its frame type's limit. Its payload is skipped as
  /// it arrives, never buffered; the connection decides what to answer.
  case oversized(FrameHeader)
  /// A frame the connection's admission check refused from its header alone (see
  /// ``FrameDecoder/decode(buffer:admit:)``). Its payload is skipped as it arrives, never
  /// buffered.
  case refused(FrameHeader, FrameRefusal)
}

/// Why a connection refused a frame from its header, before buffering its payload.
public enum FrameRefusal: Sendable, Hashable {
  /// The payload is larger than what the call's method accepts.
  case overMethodLimit(limit: Int)
  /// Buffering the payload would take the server over its budget of buffered request bytes.
  case overMemoryBudget
}

/// Why the byte stream cannot be decoded; each is a protocol error that closes the
/// connection.
public enum FrameDecodingError: Error, Hashable, Sendable, CustomStringConvertible {
  /// The first bytes are not the preface magic.
  case badPrefaceMagic
  /// The preface's settings are longer than ``Preface/maxSettingsSize``.
  case prefaceSettingsTooLarge(UInt32)
  /// A frame header's version byte is not ``FrameHeader/version``.
  case unsupportedVersion(UInt8)
  /// A frame header's reserved byte is not zero.
  case nonZeroReservedByte(UInt8)
  /// The connection ended in the middle of a frame or preface.
  case truncated(bufferedBytes: Int)

  public var description: String {
    switch self {
    case .badPrefaceMagic: "the connection preface does not start with the protocol's magic bytes"
    case .prefaceSettingsTooLarge(let n): "the preface's settings declare \(n) bytes, over the \(Preface.maxSettingsSize)-byte limit"
    case .unsupportedVersion(let v): "a frame header has version \(v), expected \(FrameHeader.version)"
    case .nonZeroReservedByte(let b): "a frame header's reserved byte is \(b), expected 0"
    case .truncated(let n): "the connection ended inside a frame (\(n) bytes buffered)"
    }
  }
}

/// Decodes the peer's preface, then frames.
///
/// The declared payload length is checked against the frame type's limit as soon as the
/// 12-byte header is readable, *before* any payload is buffered: an over-limit frame is
/// reported as ``InboundFrame/oversized(_:)`` and its payload discarded as it arrives.
public struct FrameDecoder: NIOSingleStepByteToMessageDecoder {
  public typealias InboundOut = InboundFrame

  /// Payload limits per frame type.
  public struct Limits: Hashable, Sendable {
    /// MESSAGE payloads.
    public var maxMessageSize: Int
    /// HEADERS and STATUS payloads.
    public var maxMetadataSize: Int
    /// Every other frame type.
    public var maxControlSize: Int

    /// Creates limits.
    public init(maxMessageSize: Int, maxMetadataSize: Int, maxControlSize: Int = 65_536) {
      self.maxMessageSize = maxMessageSize
      self.maxMetadataSize = maxMetadataSize
      self.maxControlSize = maxControlSize
    }
  }

  private enum State {
    case preface
    case frames
    /// A frame's header was read and admitted; its payload has not all arrived.
    case awaitingPayload(FrameHeader)
    case skipping(remaining: Int)
  }

  private var state: State
  /// The limits; may be changed between frames.
  public var limits: Limits

  /// Creates a decoder.
  /// - Parameters:
  ///   - limits: Payload limits.
  ///   - expectPreface: Whether the stream starts with a preface (false in unit tests of frames).
  public init(limits: Limits, expectPreface: Bool = true) {
    self.limits = limits
    self.state = expectPreface ? .preface : .frames
  }

  public mutating func decode(buffer: inout ByteBuffer) throws -> InboundFrame? {
    try self.decode(buffer: &buffer, admit: { _, _ in nil })
  }

  /// Whether an over-limit or refused frame's payload is being skipped.
  public var isSkipping: Bool {
    if case .skipping = self.state { return true }
    return false
  }

  /// The declared payload length of the frame whose payload is still arriving, if any: the
  /// memory its completion will take.
  public var awaitingPayloadLength: Int? {
    if case .awaitingPayload(let header) = self.state { return Int(header.length) }
    return nil
  }

  /// Decodes the next frame, asking `admit` about each frame exactly once, as soon as its
  /// header is readable and before its payload is buffered (frames over their type's limit
  /// are reported ``InboundFrame/oversized(_:)`` without asking).
  /// - Parameter admit: Given the header and whether the whole payload is already in
  ///   `buffer`, returns `nil` to accept the frame, or why it is refused: a refused frame is
  ///   reported ``InboundFrame/refused(_:_:)`` and its payload skipped as it arrives.
  public mutating func decode(
    buffer: inout ByteBuffer, admit: (FrameHeader, _ complete: Bool) -> FrameRefusal?
  ) throws -> InboundFrame? {
    switch self.state {
    case .preface:
      return try self.decodePreface(&buffer)
    case .frames:
      return try self.decodeFrame(&buffer, admit: admit)
    case .awaitingPayload(let header):
      guard buffer.readableBytes >= FrameHeader.size + Int(header.length) else { return nil }
      self.state = .frames
      buffer.moveReaderIndex(forwardBy: FrameHeader.size)
      guard let payload = buffer.readSlice(length: Int(header.length)) else { return nil }
      return .frame(header, payload)
    case .skipping(let remaining):
      let skipped = min(remaining, buffer.readableBytes)
      buffer.moveReaderIndex(forwardBy: skipped)
      if skipped == remaining {
        self.state = .frames
        return try self.decodeFrame(&buffer, admit: admit)
      }
      self.state = .skipping(remaining: remaining - skipped)
      return nil
    }
  }

  public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> InboundFrame? {
    if let frame = try self.decode(buffer: &buffer) { return frame }
    switch self.state {
    case .skipping: throw FrameDecodingError.truncated(bufferedBytes: 0)
    case .awaitingPayload: throw FrameDecodingError.truncated(bufferedBytes: buffer.readableBytes)
    default: break
    }
    if buffer.readableBytes > 0 {
      throw FrameDecodingError.truncated(bufferedBytes: buffer.readableBytes)
    }
    return nil
  }

  private mutating func decodePreface(_ buffer: inout ByteBuffer) throws -> InboundFrame? {
    // Check the magic as far as it has arrived, so garbage fails on its first byte.
    let available = min(buffer.readableBytes, Preface.magic.count)
    if available > 0 {
      guard let prefix = buffer.getBytes(at: buffer.readerIndex, length: available),
        prefix.elementsEqual(Preface.magic[..<available])
      else { throw FrameDecodingError.badPrefaceMagic }
    }
    guard buffer.readableBytes >= Preface.fixedSize,
      let (first, second, length) = buffer.getMultipleIntegers(
        at: buffer.readerIndex + Preface.magic.count,
        as: (UInt16, UInt16, UInt32).self
      )
    else { return nil }
    guard length <= Preface.maxSettingsSize else {
      throw FrameDecodingError.prefaceSettingsTooLarge(length)
    }
    guard buffer.readableBytes >= Preface.fixedSize + Int(length) else { return nil }
    buffer.moveReaderIndex(forwardBy: Preface.fixedSize)
    let settings = buffer.readBytes(length: Int(length)) ?? []
    self.state = .frames
    return .preface(Preface(first: first, second: second, settings: settings))
  }

  private mutating func decodeFrame(
    _ buffer: inout ByteBuffer, admit: (FrameHeader, _ complete: Bool) -> FrameRefusal?
  ) throws -> InboundFrame? {
    guard
      let (first, callID, length) = buffer.getFrameHeaderWords(at: buffer.readerIndex)
    else { return nil }
    let version = UInt8(truncatingIfNeeded: first >> 24)
    guard version == FrameHeader.version else { throw FrameDecodingError.unsupportedVersion(version) }
    let reserved = UInt8(truncatingIfNeeded: first)
    guard reserved == 0 else { throw FrameDecodingError.nonZeroReservedByte(reserved) }
    let header = FrameHeader(
      type: FrameType(rawValue: UInt8(truncatingIfNeeded: first >> 16)),
      flags: FrameFlags(rawValue: UInt8(truncatingIfNeeded: first >> 8)),
      callID: callID,
      length: length
    )
    let limit: Int
    switch header.type {
    case .message: limit = self.limits.maxMessageSize
    case .headers, .status: limit = self.limits.maxMetadataSize
    default: limit = self.limits.maxControlSize
    }
    if Int(length) > limit {
      self.skip(header, in: &buffer)
      return .oversized(header)
    }
    let complete = buffer.readableBytes >= FrameHeader.size + Int(length)
    if let refusal = admit(header, complete) {
      self.skip(header, in: &buffer)
      return .refused(header, refusal)
    }
    guard complete else {
      self.state = .awaitingPayload(header)
      return nil
    }
    buffer.moveReaderIndex(forwardBy: FrameHeader.size)
    guard let payload = buffer.readSlice(length: Int(length)) else { return nil }
    return .frame(header, payload)
  }

  /// Consumes `header` and what of its payload is already here (so the caller sees
  /// progress); the rest is skipped as it arrives.
  private mutating func skip(_ header: FrameHeader, in buffer: inout ByteBuffer) {
    let length = Int(header.length)
    buffer.moveReaderIndex(forwardBy: FrameHeader.size)
    let skipped = min(length, buffer.readableBytes)
    buffer.moveReaderIndex(forwardBy: skipped)
    self.state = skipped == length ? .frames : .skipping(remaining: length - skipped)
  }
}

/// Feeds a connection's reads to a ``FrameDecoder`` without NIO's byte-to-message machinery:
/// the frames complete in a read are decoded straight from that read's buffer (payloads are
/// slices of it, no copy); only an incomplete tail is kept, and the next read is appended to
/// it. The handlers drive it with ``next(from:)`` in a loop, so no access to the reader spans
/// the handling of a frame.
struct FrameReader {
  private var decoder: FrameDecoder
  /// The incomplete tail of earlier reads.
  private var tail: ByteBuffer?

  init(limits: FrameDecoder.Limits) {
    self.decoder = FrameDecoder(limits: limits)
  }

  /// Starts on a new read: returns the bytes to decode (the kept tail followed by `read`).
  mutating func begin(_ read: ByteBuffer) -> ByteBuffer {
    guard var tail = self.tail.take() else { return read }
    var read = read
    tail.writeBuffer(&read)
    return tail
  }

  /// The next complete frame in `buffer`, or `nil` when it holds no more.
  /// - Throws: ``FrameDecodingError``: a protocol error; the connection must close.
  mutating func next(from buffer: inout ByteBuffer) throws -> InboundFrame? {
    try self.decoder.decode(buffer: &buffer)
  }

  /// The next complete frame in `buffer`, asking `admit` about each frame once, from its
  /// header (see ``FrameDecoder/decode(buffer:admit:)``).
  mutating func next(
    from buffer: inout ByteBuffer, admit: (FrameHeader, _ complete: Bool) -> FrameRefusal?
  ) throws -> InboundFrame? {
    try self.decoder.decode(buffer: &buffer, admit: admit)
  }

  /// The declared payload length of an admitted frame still arriving, if any.
  var awaitingPayloadLength: Int? { self.decoder.awaitingPayloadLength }

  /// Ends a read: keeps what is left of `buffer` (an incomplete frame) for the next one.
  /// Consumed bytes in front of it are discarded once they are half the storage, so a large
  /// message arriving in many reads costs amortised linear copying, not quadratic; an
  /// admitted frame's storage is sized once for its declared length, so it never grows by
  /// doubling (which would hold up to twice the frame).
  mutating func end(_ buffer: ByteBuffer) {
    guard buffer.readableBytes > 0 else { return }
    var rest = buffer
    if rest.readerIndex > 0, rest.readerIndex >= rest.capacity / 2 { rest.discardReadBytes() }
    if let length = self.decoder.awaitingPayloadLength {
      let missing = FrameHeader.size + length - rest.readableBytes
      if missing > rest.writableBytes { rest.reserveCapacity(minimumWritableBytes: missing) }
    }
    self.tail = rest
  }

  /// The bytes kept between reads (an incomplete frame's).
  var bufferedBytes: Int { self.tail?.readableBytes ?? 0 }

  /// Whether a frame (or the preface) has started to arrive and not finished: bytes are kept,
  /// or a refused frame's payload is still being skipped.
  var isMidFrame: Bool { self.tail != nil || self.decoder.isSkipping }
}
