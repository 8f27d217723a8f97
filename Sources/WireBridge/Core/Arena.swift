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
/// the arena hands out that memory and frees it all at once when ``with(_:)`` returns, which
/// is after `*__pack` has returned.
///
/// The first chunk is 1 KiB on the stack (within the standard library's always-safe stack
/// allocation size; enough for a call's headers or a small message with a few strings), so a
/// small message is encoded without any heap allocation: no arena object, no chunk. Larger trees overflow into heap chunks,
/// chained through their first word and freed when ``with(_:)`` returns. `Arena` itself is
/// only a pointer to that state, so the generated `_fill` code passes it by value.
///
/// # Thread safety
/// Not thread-safe; one arena serves one encode on one thread, and must not outlive the
/// ``with(_:)`` call that made it.
struct Arena {
  /// The state behind the pointer: the free space of the current chunk and the heap chunks.
  private struct State {
    var cursor: UnsafeMutableRawPointer
    var remaining: Int
    /// The most recent heap chunk; each chunk's first word holds the previous one.
    var heapChunks: UnsafeMutableRawPointer?
  }

  private let state: UnsafeMutablePointer<State>

  private static let heapChunkSize = 4096
  /// Room for the chain link at the start of a heap chunk, keeping malloc's 16-byte alignment.
  private static let linkBytes = 16

  private init(state: UnsafeMutablePointer<State>) { self.state = state }

  /// Runs `body` with a fresh arena whose memory is all released when `body` returns.
  ///
  /// Not generic over a result: a generic result type would make the standard library's
  /// temporary allocation instantiate `Result<R, E>` metadata at run time on every call
  /// (≈ 1,000 instructions per encode when the caller is itself unspecialised); callers keep
  /// their result in a local instead.
  static func with(_ body: (Arena) throws -> Void) rethrows {
    // A literal size: the standard library allocates on the stack only for a size it can
    // see at compile time.
    try withUnsafeTemporaryAllocation(byteCount: 1024, alignment: 16) { stack in
      var state = State(cursor: stack.baseAddress!, remaining: stack.count, heapChunks: nil)
      try withUnsafeMutablePointer(to: &state) { state in
        defer {
          var chunk = state.pointee.heapChunks
          while let c = chunk {
            chunk = c.load(as: UnsafeMutableRawPointer?.self)
            free(c)
          }
        }
        try body(Arena(state: state))
      }
    }
  }

  /// A protobuf-c allocator drawing from this arena: what `*__unpack` allocates (the message
  /// struct, its strings, byte buffers, arrays and sub-messages) comes from the arena's stack
  /// chunk or its heap chunks, and is released with the arena, so a decode needs no
  /// `*__free_unpacked` and no `malloc`/`free` per field. Valid while the arena is.
  func withAllocator<R>(_ body: (UnsafeMutablePointer<ProtobufCAllocator>) throws -> R) rethrows -> R {
    var allocator = ProtobufCAllocator(
      alloc: { data, size in
        Arena(state: data!.assumingMemoryBound(to: State.self)).allocate(byteCount: max(size, 1), alignment: 16)
      },
      free: { _, _ in },
      allocator_data: UnsafeMutableRawPointer(self.state)
    )
    return try withUnsafeMutablePointer(to: &allocator) { try body($0) }
  }

  /// Returns uninitialised memory of `byteCount` bytes aligned to `alignment` (a power of 2).
  func allocate(byteCount: Int, alignment: Int) -> UnsafeMutableRawPointer {
    let c = self.state.pointee.cursor
    let misalign = Int(bitPattern: c) & (alignment - 1)
    let pad = misalign == 0 ? 0 : alignment - misalign
    if pad + byteCount <= self.state.pointee.remaining {
      self.state.pointee.remaining -= pad + byteCount
      let p = c + pad
      self.state.pointee.cursor = p + byteCount
      return p
    }
    // malloc's alignment (16) covers every C type protobuf-c uses; the link keeps it.
    let size = max(Self.heapChunkSize, Self.linkBytes + byteCount)
    guard let chunk = malloc(size) else { fatalError("out of memory encoding a message") }
    chunk.storeBytes(of: self.state.pointee.heapChunks, as: UnsafeMutableRawPointer?.self)
    self.state.pointee.heapChunks = chunk
    let p = chunk + Self.linkBytes
    self.state.pointee.cursor = p + byteCount
    self.state.pointee.remaining = size - Self.linkBytes - byteCount
    return p
  }

  /// Returns memory for `count` values of `T` (bound, uninitialised).
  func allocate<T>(_ type: T.Type, count: Int = 1) -> UnsafeMutablePointer<T> {
    allocate(byteCount: MemoryLayout<T>.stride * max(count, 1), alignment: MemoryLayout<T>.alignment)
      .bindMemory(to: T.self, capacity: max(count, 1))
  }

  /// A NUL-terminated copy of `s`.
  /// - Throws: `WireError.embeddedNUL` if `s` holds a NUL, which a C string cannot carry.
  func string(_ s: String, field: StaticString) throws -> UnsafeMutablePointer<CChar> {
    // A native string's bytes are read where they are; only a string without contiguous
    // UTF-8 (bridged) is copied first (`withUTF8` is mutating, so it always took a copy of
    // the string: a retain and a release per string field written).
    if let copied = try s.utf8.withContiguousStorageIfAvailable({ try cString($0, field: field) }) {
      return copied
    }
    var s = s
    return try s.withUTF8 { try cString($0, field: field) }
  }

  /// A NUL-terminated copy of the UTF-8 bytes `utf8`.
  private func cString(_ utf8: UnsafeBufferPointer<UInt8>, field: StaticString) throws -> UnsafeMutablePointer<CChar> {
    let n = utf8.count
    let p = allocate(byteCount: n + 1, alignment: 1)
    if let base = utf8.baseAddress, n > 0 {
      if memchr(base, 0, n) != nil { throw WireError(.embeddedNUL, "\(field)") }
      memcpy(p, base, n)
    }
    p.storeBytes(of: 0, toByteOffset: n, as: UInt8.self)
    return p.bindMemory(to: CChar.self, capacity: n + 1)
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
