import FieldReportWorkflow
import Synchronization

/// Who uploaded which content under which name, for attachments not yet attached to a case.
///
/// The store keeps an attachment's bytes and media type once per SHA-256 (the attachment id);
/// a file *name* and the uploader belong to the entries that refer to it. Between
/// `UploadAttachment` and the action that attaches the file, this ledger remembers them so
/// that the action records the name the client uploaded and the uploader may download
/// their own upload. It is bounded (oldest uploads forgotten first) and lives as long as the
/// process: after a restart, a pending upload is still attachable, under a name derived from
/// its id and media type.
///
/// # Thread safety
/// All state is behind a `Mutex`; every method may be called concurrently.
final class UploadLedger: Sendable {
  /// One upload.
  struct Upload: Sendable, Hashable {
    /// The file name as uploaded.
    var name: String
    /// The media type as uploaded.
    var mediaType: String
    /// The uploader.
    var uploader: UserID
    /// When.
    var at: Timestamp
  }

  private struct State: ~Copyable {
    var uploads: [String: [Upload]] = [:]
    var order: [String] = []
  }

  private let state = Mutex(State())
  private let capacity: Int

  /// The ledger shared by the services of this process (uploads and the actions that attach
  /// them are handled by different services).
  static let shared = UploadLedger(capacity: 100_000)

  /// Creates a ledger remembering at most `capacity` contents.
  init(capacity: Int) {
    self.capacity = max(1, capacity)
  }

  /// Records an upload of the content with this hash.
  func record(sha256Hex: String, _ upload: Upload) {
    state.withLock { state in
      if state.uploads[sha256Hex] == nil {
        state.order.append(sha256Hex)
        if state.order.count > capacity {
          let evicted = state.order.removeFirst()
          state.uploads[evicted] = nil
        }
      }
      var list = state.uploads[sha256Hex] ?? []
      list.removeAll { $0.uploader == upload.uploader && $0.name == upload.name }
      list.append(upload)
      state.uploads[sha256Hex] = list
    }
  }

  /// The most recent upload of this content, preferring `user`'s own.
  func upload(sha256Hex: String, preferring user: UserID) -> Upload? {
    state.withLock { state in
      let list = state.uploads[sha256Hex] ?? []
      return list.last { $0.uploader == user } ?? list.last
    }
  }

  /// Whether `user` uploaded this content (in this process's lifetime).
  func didUpload(sha256Hex: String, user: UserID) -> Bool {
    state.withLock { state in
      state.uploads[sha256Hex]?.contains { $0.uploader == user } ?? false
    }
  }
}
