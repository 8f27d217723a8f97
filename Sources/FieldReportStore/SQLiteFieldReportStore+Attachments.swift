import Crypto
public import FieldReportWorkflow

extension SQLiteFieldReportStore {
  public func putAttachment(_ content: [UInt8], name: String, mimeType: String, at: Timestamp) async throws
    -> AttachmentRef
  {
    guard content.count <= configuration.maximumAttachmentBytes else {
      throw StoreError.tooLarge(limit: configuration.maximumAttachmentBytes)
    }
    // Hashing happens on the caller's task: it is CPU work proportional to the upload, and
    // keeping it off the writer thread keeps other commits flowing.
    let digest = Array(SHA256.hash(data: content))
    let ref = AttachmentRef(
      sha256Hex: JournalChain.hex(digest), size: Int64(content.count), name: name, mimeType: mimeType)
    try await write { database in
      try database.run(
        """
        INSERT INTO attachments(sha256, size, mime_type, content, created_at) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT(sha256) DO NOTHING
        """,
        [digest, content.count, mimeType, content, at.millisecondsSince1970])
    }
    return ref
  }

  public func findAttachment(sha256Hex: String) async throws -> StoredAttachment? {
    guard sha256Hex.utf8.count == 64, let digest = JournalChain.bytes(fromHex: sha256Hex.lowercased()) else {
      throw StoreError.invalidArgument(field: "sha256", reason: "must be 64 hexadecimal digits")
    }
    return try await read { database in
      try database.queryFirst("SELECT size, mime_type, content FROM attachments WHERE sha256 = ?", [digest]) {
        StoredAttachment(
          ref: AttachmentRef(
            sha256Hex: JournalChain.hex(digest), size: $0.int64(0), name: "", mimeType: $0.text(1)),
          content: $0.blob(2))
      }
    }
  }
}
