/// An attachment's bytes and their SHA-256 (the attachment's id), hashed exactly once.
///
/// The only way to make one hashes the bytes, so a store given an `AttachmentContent` can
/// address it by ``sha256`` without hashing again, and a service can check a client's
/// expected hash against the same digest. Before this type an upload was hashed twice, both
/// times on the event loop that received it: about 4 ms each for an 8 MiB upload on this
/// machine, during which no other call on that loop moved (docs/PERFORMANCE.md, twelfth session).
public struct AttachmentContent: Sendable {
  /// The content.
  public let bytes: [UInt8]
  /// Its SHA-256 (32 bytes).
  public let sha256: [UInt8]

  /// Hashes `bytes` on the calling thread.
  public init(_ bytes: [UInt8]) {
    self.bytes = bytes
    self.sha256 = StoreRules.digest(bytes: bytes)
  }

  /// Content of at least this many bytes is hashed by ``hashing(_:on:)`` away from the
  /// caller's executor. Below it, hashing (under 40 µs) costs less than the hop.
  public static let offloadThreshold = 64 * 1024

  /// Hashes `bytes`: large content on `executor` (by default the global concurrent executor,
  /// so an event loop calling this is not held for the length of the hash), small content
  /// in place.
  public static func hashing(
    _ bytes: [UInt8], on executor: any TaskExecutor = globalConcurrentExecutor
  ) async -> AttachmentContent {
    guard bytes.count >= offloadThreshold else { return AttachmentContent(bytes) }
    return await Task.detached(executorPreference: executor) { AttachmentContent(bytes) }.value
  }
}
