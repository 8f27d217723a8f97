import NIOCore

/// The kind of a frame (byte 1 of the frame header). See docs/PROTOCOL.md.
public struct FrameType: Hashable, Sendable, CustomStringConvertible {
  /// The byte on the wire.
  public let rawValue: UInt8

  /// Creates a type from its byte (unknown values are representable; receiving one is a
  /// protocol error).
  public init(rawValue: UInt8) { self.rawValue = rawValue }

  /// Client → server: opens a call; payload `rpc.v1.CallHeaders`.
  public static let headers = FrameType(rawValue: 0x01)
  /// Either way: one message of a call; payload the encoded message.
  public static let message = FrameType(rawValue: 0x02)
  /// Server → client: ends a call; payload `rpc.v1.Status` (empty payload means OK).
  public static let status = FrameType(rawValue: 0x03)
  /// Client → server: cancels a call; empty payload.
  public static let cancel = FrameType(rawValue: 0x04)
  /// Either way: keepalive; 8 opaque bytes, echoed with the ACK flag.
  public static let ping = FrameType(rawValue: 0x05)
  /// Either way: the sender accepts no new calls; payload `rpc.v1.GoAway`.
  public static let goAway = FrameType(rawValue: 0x06)

  public var description: String {
    switch self {
    case .headers: "HEADERS"
    case .message: "MESSAGE"
    case .status: "STATUS"
    case .cancel: "CANCEL"
    case .ping: "PING"
    case .goAway: "GOAWAY"
    default: "UNKNOWN(0x\(String(self.rawValue, radix: 16)))"
    }
  }
}

/// Frame flags (byte 2 of the frame header).
public struct FrameFlags: OptionSet, Hashable, Sendable {
  public let rawValue: UInt8
  public init(rawValue: UInt8) { self.rawValue = rawValue }

  /// On a client's MESSAGE: the last (in this version, the only) request message.
  public static let endStream = FrameFlags(rawValue: 0x01)
  /// On a PING: this is the answer.
  public static let ack = FrameFlags(rawValue: 0x01)
}

/// The fixed 12-byte header in front of every frame (all integers big-endian):
///
/// | offset | size | field |
/// |---|---|---|
/// | 0 | 1 | protocol version (1) |
/// | 1 | 1 | frame type |
/// | 2 | 1 | flags |
/// | 3 | 1 | reserved, 0 |
/// | 4 | 4 | call id (0 for connection frames) |
/// | 8 | 4 | payload length |
public struct FrameHeader: Hashable, Sendable {
  /// The header's size in bytes.
  public static let size = 12
  /// The protocol version this implementation speaks.
  public static let version: UInt8 = 1

  /// The frame type.
  public var type: FrameType
  /// The flags.
  public var flags: FrameFlags
  /// The call the frame belongs to, 0 for connection-level frames.
  public var callID: UInt32
  /// The payload length in bytes.
  public var length: UInt32

  /// Creates a header.
  public init(type: FrameType, flags: FrameFlags = [], callID: UInt32, length: UInt32) {
    self.type = type
    self.flags = flags
    self.callID = callID
    self.length = length
  }
}

extension FrameHeader {
  /// Stores a frame header at `base` (12 writable bytes), for frames assembled in one
  /// reservation of an outbound buffer.
  @inline(__always)
  static func store(into base: UnsafeMutableRawPointer, type: FrameType, flags: FrameFlags, callID: UInt32, length: UInt32) {
    let first = UInt32(FrameHeader.version) << 24 | UInt32(type.rawValue) << 16 | UInt32(flags.rawValue) << 8
    base.storeBytes(of: first.bigEndian, toByteOffset: 0, as: UInt32.self)
    base.storeBytes(of: callID.bigEndian, toByteOffset: 4, as: UInt32.self)
    base.storeBytes(of: length.bigEndian, toByteOffset: 8, as: UInt32.self)
  }
}

extension ByteBuffer {
  /// Writes a frame header.
  mutating func writeFrameHeader(type: FrameType, flags: FrameFlags, callID: UInt32, length: UInt32) {
    // One raw 12-byte store: a frame header is written several times per call, and NIO's
    // generic integer writers each check capacity and exclusivity on their own.
    let first = UInt32(FrameHeader.version) << 24 | UInt32(type.rawValue) << 16 | UInt32(flags.rawValue) << 8
    self.writeWithUnsafeMutableBytes(minimumWritableBytes: FrameHeader.size) { bytes in
      bytes.storeBytes(of: first.bigEndian, toByteOffset: 0, as: UInt32.self)
      bytes.storeBytes(of: callID.bigEndian, toByteOffset: 4, as: UInt32.self)
      bytes.storeBytes(of: length.bigEndian, toByteOffset: 8, as: UInt32.self)
      return FrameHeader.size
    }
  }

  /// Overwrites a frame header previously reserved at `index`.
  mutating func setFrameHeader(at index: Int, type: FrameType, flags: FrameFlags, callID: UInt32, length: UInt32) {
    let first = UInt32(FrameHeader.version) << 24 | UInt32(type.rawValue) << 16 | UInt32(flags.rawValue) << 8
    self.setInteger(first, at: index)
    self.setInteger(callID, at: index + 4)
    self.setInteger(length, at: index + 8)
  }

  /// Overwrites the payload length of a frame header previously reserved at `index`.
  mutating func setFrameLength(at index: Int, _ length: UInt32) {
    self.setInteger(length, at: index + 8)
  }

  /// Reads the three words of a frame header at `index` without moving the reader index, or
  /// `nil` if fewer than 12 bytes are readable there.
  func getFrameHeaderWords(at index: Int) -> (first: UInt32, callID: UInt32, length: UInt32)? {
    guard index >= self.readerIndex, index + FrameHeader.size <= self.writerIndex else { return nil }
    return self.withUnsafeReadableBytes { bytes in
      let offset = index - self.readerIndex
      return (
        UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)),
        UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)),
        UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: offset + 8, as: UInt32.self))
      )
    }
  }

  /// Writes a whole frame with a raw payload.
  mutating func writeFrame(type: FrameType, flags: FrameFlags = [], callID: UInt32, payload: UnsafeRawBufferPointer) {
    self.writeFrameHeader(type: type, flags: flags, callID: callID, length: UInt32(payload.count))
    self.writeBytes(payload)
  }
}
