// TEMPORARY stub on branch `rpc`: the API of main's WireBridge, so that the RPC runtime
// compiles before the generated bridge lands. Deleted when main is merged.

/// A generated protobuf message value.
public protocol WireMessage: Sendable, Hashable {
  static var protoFullName: String { get }
  init()
  init(serializedBytes: [UInt8]) throws
  init(serializedBytes: UnsafeRawBufferPointer) throws
  func serializedBytes() throws -> [UInt8]
  func withSerializedBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) throws -> R
}

/// A packing or unpacking failure.
public struct WireError: Error, Hashable, CustomStringConvertible {
  public var description: String
  public init(_ description: String) { self.description = description }
}

extension WireMessage {
  public init(serializedBytes: [UInt8]) throws {
    try self.init(serializedBytes: serializedBytes.withUnsafeBytes { UnsafeRawBufferPointer($0) })
  }
  public init(serializedBytes: UnsafeRawBufferPointer) throws { throw WireError("stub") }
  public func serializedBytes() throws -> [UInt8] { throw WireError("stub") }
  public func withSerializedBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
    try self.serializedBytes().withUnsafeBytes { try body($0) }
  }
}
