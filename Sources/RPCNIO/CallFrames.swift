import NIOCore
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
    let headersIndex = buffer.writerIndex
    buffer.writeFrameHeader(type: .headers, flags: [], callID: id, length: 0)
    let timeoutUs = options.timeout.map { max($0.microseconds, 0) }
    // A NUL in the path goes through the encoder, which refuses it.
    if options.metadata.isEmpty && !Self.containsNUL(path) {
      if !path.isEmpty {
        buffer.writeInteger(UInt8(0x0A))  // field 1 (method_path), length-delimited
        buffer.writeVarint(UInt64(path.utf8.count))
        buffer.writeString(path)
      }
      if let timeoutUs {
        buffer.writeInteger(UInt8(0x10))  // field 2 (timeout_us), varint
        buffer.writeVarint(UInt64(bitPattern: timeoutUs))
      }
    } else {
      var headers = Rpc_V1_CallHeaders()
      headers.methodPath = path
      headers.timeoutUs = timeoutUs
      headers.metadata = options.metadata.wire
      do {
        try headers.withSerializedBytes { _ = buffer.writeBytes($0) }
      } catch {
        throw RPCError(code: .internal, message: "Cannot encode the call headers: \(error).")
      }
    }
    let headersLength = buffer.writerIndex - headersIndex - FrameHeader.size
    guard headersLength <= settings.maxMetadataSize else {
      throw RPCError(
        code: .resourceExhausted,
        message: "Call headers of \(headersLength) bytes exceed the server's \(settings.maxMetadataSize)-byte limit."
      )
    }
    buffer.setFrameLength(at: headersIndex, UInt32(headersLength))
    let messageIndex = buffer.writerIndex
    buffer.writeFrameHeader(type: .message, flags: .endStream, callID: id, length: 0)
    do {
      try request.withSerializedBytes { _ = buffer.writeBytes($0) }
    } catch {
      throw RPCError(code: .internal, message: "Cannot encode the request: \(error).")
    }
    let messageLength = buffer.writerIndex - messageIndex - FrameHeader.size
    guard messageLength <= settings.maxMessageSize else {
      throw RPCError(
        code: .resourceExhausted,
        message: "A request of \(messageLength) bytes exceeds the server's \(settings.maxMessageSize)-byte limit."
      )
    }
    buffer.setFrameLength(at: messageIndex, UInt32(messageLength))
  }

  private static func containsNUL(_ string: String) -> Bool {
    var string = string
    return string.withUTF8 { $0.firstIndex(of: 0) != nil }
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
  /// Writes a protobuf base-128 varint.
  mutating func writeVarint(_ value: UInt64) {
    var value = value
    while value >= 0x80 {
      self.writeInteger(UInt8(truncatingIfNeeded: value) | 0x80)
      value >>= 7
    }
    self.writeInteger(UInt8(value))
  }
}
