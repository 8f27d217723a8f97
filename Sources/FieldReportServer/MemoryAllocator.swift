import CMimalloc

/// The server's memory allocator: the one place that speaks to mimalloc.
///
/// The server is linked against mimalloc (Package.swift, Debian's `libmimalloc-dev`), which
/// then serves every `malloc` and `free` in the process: Swift's objects, SwiftNIO's buffers,
/// SQLite's and protobuf-c's memory. A write or a listing allocates and frees many small
/// objects on several threads (an event loop prepares, the writer thread commits, a reader
/// lists), and under load mimalloc costs them 5-20 % less CPU than glibc's allocator
/// (docs/PERFORMANCE.md, nineteenth session).
///
/// The linker gives no error when its order of libraries lets glibc's `malloc` win, and a
/// binary started with another allocator in `LD_PRELOAD` runs on that one silently, so the
/// server checks at startup (``current()``) and says which one it runs on: a banner line
/// (`Memory allocator: mimalloc 2.0.9`, which `scripts/bench-e2e.sh` reports), the "serving" log
/// line, and a notice when it is not mimalloc.
struct MemoryAllocator: Sendable, CustomStringConvertible {
  /// mimalloc's version (`2.0.9`) when mimalloc serves `malloc`; nil for another allocator (the
  /// C library's, unless one was preloaded).
  let mimallocVersion: String?

  var isMimalloc: Bool { self.mimallocVersion != nil }

  /// `mimalloc 2.0.9`, or `another malloc`.
  var description: String { self.mimallocVersion.map { "mimalloc \($0)" } ?? "another malloc" }

  /// The allocator that serves this process's `malloc`: mimalloc only if a block from
  /// `malloc` lies in mimalloc's heap.
  static func current() -> MemoryAllocator {
    guard cmimalloc_serves_malloc() else { return MemoryAllocator(mimallocVersion: nil) }
    // MI_MALLOC_VERSION: 209 for 2.0.9.
    let number = mi_version()
    return MemoryAllocator(mimallocVersion: "\(number / 100).\(number / 10 % 10).\(number % 10)")
  }

  /// Sets the server's allocator options; call first thing, before the server allocates much.
  ///
  /// Memory freed in large spans (request frames of megabytes from clients that went away)
  /// goes back to the system at once: with mimalloc's default delay the decommit runs only
  /// when the freeing thread allocates again, and event loops quiet after a burst of large
  /// frames kept tens of megabytes (the hostile-client tests' "memory returned"). Alternated
  /// write and listing runs did not tell the two settings apart. An operator's
  /// `MIMALLOC_SEGMENT_DECOMMIT_DELAY` wins.
  static func configure() {
    cmimalloc_return_freed_spans_at_once()
  }
}
