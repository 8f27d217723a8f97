internal import CProtobufC

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Owns every C allocation made while building one C message tree for one pack.
///
/// protobuf-c's structs only borrow their strings, byte buffers, arrays and sub-messages;
/// the arena hands out that memory from a few large chunks and frees it all at once when it
/// is released, which must be after `*__pack` returns (callers use `withExtendedLifetime`).
///
/// # Thread safety
/// Not thread-safe; one arena serves one encode on one thread.
final class Arena {
  private var chunks: [UnsafeMutableRawPointer] = []
  private var cursor: UnsafeMutableRawPointer? = nil
  private var remaining = 0
  private static let chunkSize = 4096

  init() {}

  deinit {
    for chunk in chunks { free(chunk) }
  }

  /// Returns uninitialised memory of `byteCount` bytes aligned to `alignment` (a power of 2).
  func allocate(byteCount: Int, alignment: Int) -> UnsafeMutableRawPointer {
    if let c = cursor {
      let misalign = Int(bitPattern: c) & (alignment - 1)
      let pad = misalign == 0 ? 0 : alignment - misalign
      if pad + byteCount <= remaining {
        remaining -= pad + byteCount
        let p = c + pad
        cursor = p + byteCount
        return p
      }
    }
    // malloc's alignment (16) covers every C type protobuf-c uses.
    let size = max(Self.chunkSize, byteCount)
    guard let chunk = malloc(size) else { fatalError("out of memory encoding a message") }
    chunks.append(chunk)
    cursor = chunk + byteCount
    remaining = size - byteCount
    return chunk
  }

  /// Returns memory for `count` values of `T` (bound, uninitialised).
  func allocate<T>(_ type: T.Type, count: Int = 1) -> UnsafeMutablePointer<T> {
    allocate(byteCount: MemoryLayout<T>.stride * max(count, 1), alignment: MemoryLayout<T>.alignment)
      .bindMemory(to: T.self, capacity: max(count, 1))
  }

  /// A NUL-terminated copy of `s`.
  /// - Throws: `WireError.embeddedNUL` if `s` holds a NUL, which a C string cannot carry.
  func string(_ s: String, field: StaticString) throws -> UnsafeMutablePointer<CChar> {
    var s = s
    return try s.withUTF8 { utf8 -> UnsafeMutablePointer<CChar> in
      let n = utf8.count
      let p = allocate(byteCount: n + 1, alignment: 1)
      if let base = utf8.baseAddress, n > 0 {
        if memchr(base, 0, n) != nil { throw WireError(.embeddedNUL, "\(field)") }
        memcpy(p, base, n)
      }
      p.storeBytes(of: 0, toByteOffset: n, as: UInt8.self)
      return p.bindMemory(to: CChar.self, capacity: n + 1)
    }
  }

  /// A copy of `b` as protobuf-c's binary-data pair.
  func bytes(_ b: [UInt8]) -> ProtobufCBinaryData {
    let p = allocate(UInt8.self, count: b.count)
    b.withUnsafeBufferPointer { src in
      if let base = src.baseAddress, !src.isEmpty { p.update(from: base, count: src.count) }
    }
    return ProtobufCBinaryData(len: b.count, data: p)
  }

  /// A C array holding `convert` of each value.
  func array<S, T>(_ values: [S], _ convert: (S) throws -> T) rethrows -> UnsafeMutablePointer<T> {
    let p = allocate(T.self, count: values.count)
    for (i, v) in values.enumerated() {
      (p + i).initialize(to: try convert(v))
    }
    return p
  }
}
