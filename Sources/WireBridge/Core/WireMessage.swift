/// A protobuf message of the contract, as a Swift value.
///
/// Every conforming type but `RPCCore.RawMessage` (bytes already encoded) is generated from
/// `proto/` by `scripts/bridge_gen.py`; the encoding
/// and decoding go through protobuf-c (`*__pack`, `*__unpack`, `*__free_unpacked`), so the
/// bytes are exactly what any other protobuf implementation reads and writes.
///
/// # Thread safety
/// Values are plain structs: `Sendable`, safe to share and copy across tasks.
public protocol WireMessage: Sendable, Hashable, Codable {
  /// The message's full name in the .proto files, e.g. `rpc.v1.Status`.
  static var protoFullName: String { get }

  /// Creates a message with every field at its default.
  init()

  /// Decodes the protobuf encoding of the message.
  /// - Throws: `WireError` for truncated, garbage or oversized input, invalid UTF-8 in a
  ///   string field, or nesting deeper than ``WireLimits/maxNestingDepth``.
  init(serializedBytes bytes: [UInt8]) throws

  /// Decodes the protobuf encoding of the message from borrowed memory.
  /// - Throws: `WireError`, as ``init(serializedBytes:)-([UInt8])``.
  init(serializedBytes bytes: UnsafeRawBufferPointer) throws

  /// Encodes the message.
  /// - Throws: `WireError` if a string field holds a NUL character (protobuf-c's C strings
  ///   would silently truncate it).
  func serializedBytes() throws -> [UInt8]

  /// Encodes the message into a temporary buffer that is valid only inside `body`; saves a
  /// copy when the bytes go straight into an I/O buffer.
  /// - Throws: `WireError` as ``serializedBytes()``, or whatever `body` throws.
  func withSerializedBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) throws -> R

  /// Encodes the message straight into memory the caller provides, with no intermediate
  /// buffer and no generic result: `write` is called once with the exact encoded size and a
  /// `pack` function that writes the encoding to a pointer (to at least `size` writable bytes)
  /// and returns the bytes written (always `size`). `pack` is valid only inside `write`.
  ///
  /// ```swift
  /// try message.serialize { size, pack in
  ///   buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: size) { pack($0.baseAddress!) }
  /// }
  /// ```
  /// - Throws: `WireError` as ``serializedBytes()``, or whatever `write` throws.
  func serialize(_ write: (_ size: Int, _ pack: (UnsafeMutableRawPointer) -> Int) throws -> Void) throws
}

/// One method of a service in the contract, generated from the `.proto` `service` blocks.
public protocol WireMethod {
  /// The request message.
  associatedtype Input: WireMessage
  /// The response message (each one of the stream, for server-streaming methods).
  associatedtype Output: WireMessage
  /// `/package.Service/Method`, the path a call names.
  static var path: String { get }
  /// Whether the server answers with a stream of `Output`s rather than exactly one.
  static var isServerStreaming: Bool { get }
}

/// A method's description as plain values: what registries and reflection list.
public struct WireMethodInfo: Hashable, Sendable {
  /// `/package.Service/Method`.
  public let path: String
  /// The request message's full proto name.
  public let inputType: String
  /// The response message's full proto name.
  public let outputType: String
  /// Whether the server answers with a stream.
  public let isServerStreaming: Bool

  /// Describes `method`.
  public init<M: WireMethod>(_ method: M.Type) {
    path = M.path
    inputType = M.Input.protoFullName
    outputType = M.Output.protoFullName
    isServerStreaming = M.isServerStreaming
  }
}
