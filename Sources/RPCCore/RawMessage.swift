import WireBridge

/// A message already encoded: its protobuf bytes, carried as they are. What a generic client
/// sends and receives when it knows a method's messages from a descriptor set at run time
/// rather than from generated types (`fieldreport call`), and what a proxy or a test server
/// hands through without decoding.
///
/// Encoding returns the bytes unchanged and decoding keeps them unchanged: no check that they
/// are a valid message of any type (the peer does that).
///
/// ```swift
/// let method = UnaryMethod<RawMessage, RawMessage>(
///   service: "rpc.v1.Health", method: "Check",
///   inputMessage: "rpc.v1.HealthCheckRequest", outputMessage: "rpc.v1.HealthCheckResponse")
/// let answer = try await transport.call(method, RawMessage(bytes: requestBytes))
/// ```
///
/// `Codable` as the array of its bytes (they have no proto3 JSON form without their schema).
public struct RawMessage: WireMessage {
  /// Not a message of the contract: the bytes may hold any message.
  public static let protoFullName = "(encoded message)"

  /// The encoded message.
  public var bytes: [UInt8]

  /// An empty message (zero bytes: every field at its default).
  public init() { self.bytes = [] }

  /// Wraps encoded bytes.
  public init(bytes: [UInt8]) { self.bytes = bytes }

  public init(serializedBytes bytes: [UInt8]) { self.bytes = bytes }

  public init(serializedBytes bytes: UnsafeRawBufferPointer) { self.bytes = Array(bytes) }

  public func serializedBytes() -> [UInt8] { self.bytes }

  public func withSerializedBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    try self.bytes.withUnsafeBytes(body)
  }

  public func serialize(_ write: (_ size: Int, _ pack: (UnsafeMutableRawPointer) -> Int) throws -> Void) throws {
    try self.bytes.withUnsafeBytes { source in
      try write(source.count) { destination in
        if let base = source.baseAddress { destination.copyMemory(from: base, byteCount: source.count) }
        return source.count
      }
    }
  }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.singleValueContainer()
    self.bytes = try container.decode([UInt8].self)
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(self.bytes)
  }
}
