import NIOCore
#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif
import RPCCore
import WireBridge

/// Writes the HEADERS and MESSAGE frames that open a call.
enum CallFrames {
  /// Appends a call's HEADERS and MESSAGE frames to `buffer`; on error `buffer` is unchanged.
  ///
  /// Call headers with no metadata (the usual case: a method path and perhaps a timeout) are
  /// encoded by hand, byte-identical to protobuf's encoding of `rpc.v1.CallHeaders`: they are
  /// two fields, and a protobuf-c round trip per call costs more than the rest of the frame.
  /// - Throws: ``RPCError`` `INVALID_ARGUMENT` for a bad metadata key, `RESOURCE_EXHAUSTED`
  ///   over the server's limits, `INTERNAL` if the request cannot be encoded.
  static func write<Input: WireMessage>(
    into buffer: inout ByteBuffer,
    id: UInt32,
    path: String,
    request: Input,
    options: CallOptions,
    settings: ServerSettings
  ) throws(RPCError) {
    let start = buffer.writerIndex
    do {
      try self.writeUnchecked(into: &buffer, id: id, path: path, request: request, options: options, settings: settings)
    } catch {
      buffer.moveWriterIndex(to: start)
      throw error
    }
  }

  private static func writeUnchecked<Input: WireMessage>(
    into buffer: inout ByteBuffer,
    id: UInt32,
    path: String,
    request: Input,
    options: CallOptions,
    settings: ServerSettings
  ) throws(RPCError) {
    if let key = options.metadata.firstInvalidKey {
      throw RPCError(code: .invalidArgument, message: "Invalid metadata key \"\(key)\".")
    }
    let timeoutUs = options.timeout.map { max($0.microseconds, 0) }
    // A NUL in the path goes through the encoder, which refuses it.
    if options.metadata.isEmpty, !Self.containsNUL(path) {
      return try Self.writePlain(into: &buffer, id: id, path: path, timeoutUs: timeoutUs, request: request, settings: settings)
    }
    let headersIndex = buffer.writerIndex
    buffer.writeFrameHeader(type: .headers, flags: [], callID: id, length: 0)
    var headers = Rpc_V1_CallHeaders()
    headers.methodPath = path
    headers.timeoutUs = timeoutUs
    headers.metadata = options.metadata.wire
    do {
      try headers.withSerializedBytes { _ = buffer.writeBytes($0) }
    } catch {
      throw RPCError(code: .internal, message: "Cannot encode the call headers: \(error).")
    }
    let headersLength = buffer.writerIndex - headersIndex - FrameHeader.size
    guard headersLength <= settings.maxMetadataSize else {
      throw Self.headersTooLarge(headersLength, settings)
    }
    buffer.setFrameLength(at: headersIndex, UInt32(headersLength))
    try Self.writeMessageFrame(into: &buffer, id: id, request: request, settings: settings)
  }

  /// The usual call: no metadata. Both frames are written with one reservation in the
  /// buffer, and the request is packed straight into it. The call headers are encoded by
  /// hand, byte-identical to protobuf's encoding of `rpc.v1.CallHeaders` (two fields; a
  /// protobuf-c round trip per call would cost more than the rest of the frame).
  private static func writePlain<Input: WireMessage>(
    into buffer: inout ByteBuffer,
    id: UInt32,
    path: String,
    timeoutUs: Int64?,
    request: Input,
    settings: ServerSettings
  ) throws(RPCError) {
    var path = path
    let pathLength = path.utf8.count
    var headersLength = 0
    if pathLength > 0 { headersLength += 1 + Self.varintSize(UInt64(pathLength)) + pathLength }
    if let timeoutUs { headersLength += 1 + Self.varintSize(UInt64(bitPattern: timeoutUs)) }
    guard headersLength <= settings.maxMetadataSize else {
      throw Self.headersTooLarge(headersLength, settings)
    }
    do {
      try path.withUTF8 { utf8 in
        try buffer.writeMessageFrame(
          request, flags: .endStream, callID: id, limit: settings.maxMessageSize,
          headBytes: FrameHeader.size + headersLength,
          head: { base in
            FrameHeader.store(into: base, type: .headers, flags: [], callID: id, length: UInt32(headersLength))
            var offset = FrameHeader.size
            if pathLength > 0 {
              base.storeBytes(of: 0x0A, toByteOffset: offset, as: UInt8.self)  // field 1 (method_path), length-delimited
              offset = Self.storeVarint(UInt64(pathLength), into: base, at: offset + 1)
              (base + offset).copyMemory(from: utf8.baseAddress!, byteCount: pathLength)
              offset += pathLength
            }
            if let timeoutUs {
              base.storeBytes(of: 0x10, toByteOffset: offset, as: UInt8.self)  // field 2 (timeout_us), varint
              _ = Self.storeVarint(UInt64(bitPattern: timeoutUs), into: base, at: offset + 1)
            }
          },
          tooLarge: { Self.requestTooLarge($0, settings) },
          cannotEncode: { RPCError(code: .internal, message: "Cannot encode the request: \($0).") }
        )
      }
    } catch let error as RPCError {
      throw error
    } catch {
      // `withUTF8` rethrows untyped; only `RPCError`s come out of its body.
      throw RPCError(code: .internal, message: "Cannot encode the request: \(error).")
    }
  }

  /// Appends the MESSAGE frame of a request, packed straight into the buffer.
  private static func writeMessageFrame<Input: WireMessage>(
    into buffer: inout ByteBuffer,
    id: UInt32,
    request: Input,
    settings: ServerSettings
  ) throws(RPCError) {
    try buffer.writeMessageFrame(
      request, flags: .endStream, callID: id, limit: settings.maxMessageSize,
      tooLarge: { Self.requestTooLarge($0, settings) },
      cannotEncode: { RPCError(code: .internal, message: "Cannot encode the request: \($0).") }
    )
  }

  private static func headersTooLarge(_ length: Int, _ settings: ServerSettings) -> RPCError {
    RPCError(
      code: .resourceExhausted,
      message: "Call headers of \(length) bytes exceed the server's \(settings.maxMetadataSize)-byte limit."
    )
  }

  private static func requestTooLarge(_ length: Int, _ settings: ServerSettings) -> RPCError {
    RPCError(
      code: .resourceExhausted,
      message: "A request of \(length) bytes exceeds the server's \(settings.maxMessageSize)-byte limit."
    )
  }

  private static func containsNUL(_ string: String) -> Bool {
    var string = string
    return string.withUTF8 { utf8 in
      guard let base = utf8.baseAddress, !utf8.isEmpty else { return false }
      return memchr(base, 0, utf8.count) != nil
    }
  }

  /// The bytes of `value` as a protobuf varint.
  static func varintSize(_ value: UInt64) -> Int {
    var value = value
    var size = 1
    while value >= 0x80 {
      value >>= 7
      size += 1
    }
    return size
  }

  /// Stores `value` as a protobuf varint at `offset`; returns the offset after it.
  static func storeVarint(_ value: UInt64, into base: UnsafeMutableRawPointer, at offset: Int) -> Int {
    var value = value
    var offset = offset
    while value >= 0x80 {
      base.storeBytes(of: UInt8(truncatingIfNeeded: value) | 0x80, toByteOffset: offset, as: UInt8.self)
      value >>= 7
      offset += 1
    }
    base.storeBytes(of: UInt8(value), toByteOffset: offset, as: UInt8.self)
    return offset + 1
  }

  /// Sets the call id in frames written by ``write(into:id:path:request:options:settings:)``
  /// with id 0.
  static func patch(_ buffer: inout ByteBuffer, id: UInt32) {
    let start = buffer.readerIndex
    buffer.setInteger(id, at: start + 4)
    let headersLength = Int(buffer.getInteger(at: start + 8, as: UInt32.self) ?? 0)
    buffer.setInteger(id, at: start + FrameHeader.size + headersLength + 4)
  }
}

extension ByteBuffer {
  /// Appends a MESSAGE frame carrying `message`, packed straight into the buffer, with one
  /// reservation for the whole write: `headBytes` bytes that `head` stores go before the frame
  /// (a call's HEADERS frame), and an empty STATUS frame (OK, no trailers) after it when
  /// `thenOK` (a unary call's usual end). Nothing is written when this throws.
  /// - Throws: `tooLarge(size)` when the encoding is over `limit`; `cannotEncode(error)` when
  ///   the message cannot be encoded (a NUL in a string field).
  @inline(__always)
  mutating func writeMessageFrame<Message: WireMessage>(
    _ message: Message,
    flags: FrameFlags,
    callID: UInt32,
    limit: Int,
    headBytes: Int = 0,
    head: (UnsafeMutableRawPointer) -> Void = { _ in },
    thenOK: Bool = false,
    tooLarge: (Int) -> RPCError,
    cannotEncode: (any Error) -> RPCError
  ) throws(RPCError) {
    do {
      try message.serialize { size, pack in
        guard size <= limit else { throw tooLarge(size) }
        let total = headBytes + FrameHeader.size + size + (thenOK ? FrameHeader.size : 0)
        _ = self.writeWithUnsafeMutableBytes(minimumWritableBytes: total) { out in
          let base = out.baseAddress!
          head(base)
          FrameHeader.store(into: base + headBytes, type: .message, flags: flags, callID: callID, length: UInt32(size))
          var end = headBytes + FrameHeader.size
          end += pack(base + end)
          if thenOK {
            FrameHeader.store(into: base + end, type: .status, flags: [], callID: callID, length: 0)
            end += FrameHeader.size
          }
          return end
        }
      }
    } catch let error as RPCError {
      throw error
    } catch {
      throw cannotEncode(error)
    }
  }
}
