internal import CProtobufC

/// What the generated code provides for each message: the C struct it maps to, protobuf-c's
/// per-message functions, and the field-by-field copy in both directions.
protocol _CBridged: WireMessage {
  /// The protobuf-c struct of this message.
  associatedtype CType
  /// Whether the message can (transitively) contain itself, so decoding must bound depth.
  static var _mayRecurse: Bool { get }
  static func _cInit(_ c: UnsafeMutablePointer<CType>)
  static func _cPackedSize(_ c: UnsafePointer<CType>) -> Int
  static func _cPack(_ c: UnsafePointer<CType>, _ out: UnsafeMutablePointer<UInt8>) -> Int
  /// Unpacks with `allocator` (an arena's: nothing to free but the arena).
  static func _cUnpack(
    _ allocator: UnsafeMutablePointer<ProtobufCAllocator>, _ n: Int, _ data: UnsafePointer<UInt8>
  ) -> UnsafeMutablePointer<CType>?
  /// Writes every field into `c` (already initialised), allocating borrowed memory in `arena`.
  func _fill(_ c: UnsafeMutablePointer<CType>, _ arena: Arena) throws
  /// Copies every field out of an unpacked struct.
  init(_c c: UnsafePointer<CType>) throws
}

extension _CBridged {
  /// A C struct for this value, with all borrowed memory in `arena`.
  func _toC(_ arena: Arena) throws -> UnsafeMutablePointer<CType> {
    let c = arena.allocate(CType.self)
    Self._cInit(c)
    try _fill(c, arena)
    return c
  }

  /// protobuf-c's descriptor of this message (the C global's real address, read from an
  /// initialised struct's `base.descriptor`).
  static func _descriptor() -> UnsafePointer<ProtobufCMessageDescriptor> {
    withUnsafeTemporaryAllocation(of: CType.self, capacity: 1) { buf in
      _cInit(buf.baseAddress!)
      return UnsafeRawPointer(buf.baseAddress!)
        .assumingMemoryBound(to: ProtobufCMessage.self).pointee.descriptor
    }
  }
}

func _wireEncode<M: _CBridged>(_ m: M) throws -> [UInt8] {
  var out: [UInt8] = []
  try Arena.with { arena in
    let c = try m._toC(arena)
    let n = M._cPackedSize(c)
    out = [UInt8](unsafeUninitializedCapacity: max(n, 1)) { buf, count in
      count = M._cPack(c, buf.baseAddress!)
    }
  }
  return out
}

func _wireWithEncoded<M: _CBridged, R>(_ m: M, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
  var result: R?
  try Arena.with { arena in
    let c = try m._toC(arena)
    let n = M._cPackedSize(c)
    let out = arena.allocate(byteCount: max(n, 1), alignment: 1)
    let written = M._cPack(c, out.assumingMemoryBound(to: UInt8.self))
    result = try body(UnsafeRawBufferPointer(start: out, count: written))
  }
  return result!
}

func _wireSerialize<M: _CBridged>(
  _ m: M, _ write: (_ size: Int, _ pack: (UnsafeMutableRawPointer) -> Int) throws -> Void
) throws {
  try Arena.with { arena in
    let c = try m._toC(arena)
    try write(M._cPackedSize(c)) { out in M._cPack(c, out.assumingMemoryBound(to: UInt8.self)) }
  }
}

func _wireDecode<M: _CBridged>(_ type: M.Type, _ bytes: UnsafeRawBufferPointer) throws -> M {
  guard bytes.count <= WireLimits.maxMessageBytes else {
    throw WireError(.tooLarge, M.protoFullName)
  }
  // protobuf-c wants a non-NULL pointer even for an empty message; a stack byte, not an array.
  var zero: UInt8 = 0
  var result: M?
  try withUnsafePointer(to: &zero) { z in
    let base = bytes.baseAddress.map { $0.assumingMemoryBound(to: UInt8.self) } ?? z
    if M._mayRecurse {
      try _checkNesting(M._descriptor(), base, bytes.count, depth: 1, subject: M.protoFullName)
    }
    // Everything protobuf-c allocates while unpacking comes from the arena and goes with it.
    try Arena.with { arena in
      try arena.withAllocator { allocator in
        guard let p = M._cUnpack(allocator, bytes.count, base) else {
          throw WireError(.malformed, M.protoFullName)
        }
        result = try M(_c: p)
      }
    }
  }
  return result!
}

/// Walks the encoding with the message's descriptor and refuses nesting deeper than
/// `WireLimits.maxNestingDepth` before protobuf-c recurses into it. Malformed input is left
/// for protobuf-c to reject.
private func _checkNesting(
  _ desc: UnsafePointer<ProtobufCMessageDescriptor>, _ p: UnsafePointer<UInt8>, _ n: Int,
  depth: Int, subject: String
) throws {
  var i = 0
  func varint() -> UInt64? {
    var result: UInt64 = 0
    var shift: UInt64 = 0
    while i < n, shift < 64 {
      let b = p[i]
      i += 1
      result |= UInt64(b & 0x7F) << shift
      if b & 0x80 == 0 { return result }
      shift += 7
    }
    return nil
  }
  while i < n {
    guard let key = varint() else { return }
    switch key & 7 {
    case 0: guard varint() != nil else { return }
    case 1: i += 8
    case 5: i += 4
    case 2:
      guard let len64 = varint(), len64 <= UInt64(n - i) else { return }
      let len = Int(len64)
      let number = UInt32(truncatingIfNeeded: key >> 3)
      if let field = protobuf_c_message_descriptor_get_field(desc, number),
        field.pointee.type == PROTOBUF_C_TYPE_MESSAGE,
        let sub = field.pointee.descriptor
      {
        guard depth < WireLimits.maxNestingDepth else { throw WireError(.tooDeep, subject) }
        try _checkNesting(
          sub.assumingMemoryBound(to: ProtobufCMessageDescriptor.self), p + i, len,
          depth: depth + 1, subject: subject)
      }
      i += len
    default: return
    }
  }
}

func _readString(_ p: UnsafeMutablePointer<CChar>?, field: StaticString) throws -> String {
  guard let p else { return "" }
  guard let s = String(validatingCString: p) else { throw WireError(.invalidUTF8, "\(field)") }
  return s
}

func _readBytes(_ d: ProtobufCBinaryData) -> [UInt8] {
  guard d.len > 0, let data = d.data else { return [] }
  return Array(UnsafeBufferPointer(start: data, count: d.len))
}

func _readMessage<M: _CBridged>(
  _ type: M.Type, _ p: UnsafeMutablePointer<M.CType>?, field: StaticString
) throws -> M {
  guard let p else { throw WireError(.malformed, "\(field)") }
  return try M(_c: p)
}

func _readArray<C, T>(_ p: UnsafeMutablePointer<C>?, _ n: Int, _ convert: (C) throws -> T) rethrows -> [T] {
  guard n > 0, let p else { return [] }
  var out: [T] = []
  out.reserveCapacity(n)
  for i in 0..<n { out.append(try convert(p[i])) }
  return out
}

/// An immutable box that lets a message hold a field of its own type (directly or through
/// others): the struct stores a reference, and setting the field replaces the box, so the
/// message keeps value semantics.
final class _Indirect<T: Hashable & Sendable>: Hashable, Sendable {
  let value: T
  init(_ value: T) { self.value = value }
  static func == (a: _Indirect, b: _Indirect) -> Bool { a.value == b.value }
  func hash(into h: inout Hasher) { h.combine(value) }
}
