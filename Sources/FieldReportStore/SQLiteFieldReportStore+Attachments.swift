public import FieldReportWorkflow

extension SQLiteFieldReportStore {
  public func putAttachment(
    _ attachment: AttachmentContent, name: String, mimeType: String, uploadedBy uploader: UserID, at: Timestamp
  ) async throws -> AttachmentUpload {
    let content = attachment.bytes
    guard content.count <= configuration.maximumAttachmentBytes else {
      throw StoreError.tooLarge(limit: configuration.maximumAttachmentBytes)
    }
    // Hashed before it got here (``AttachmentContent``), not on the writer thread: it is CPU
    // work proportional to the upload, and keeping it off the writer keeps other commits flowing.
    let digest = attachment.sha256
    let ref = AttachmentRef(
      sha256Hex: JournalChain.hex(digest), size: Int64(content.count), name: name, mimeType: mimeType)
    let time = at.millisecondsSince1970
    try await writeCaseData { database in
      guard try database.scalarInt64("SELECT 1 FROM users WHERE id = ?", [uploader.rawValue]) != nil else {
        throw StoreError.notFound("user \(uploader)")
      }
      try database.run(
        """
        INSERT INTO attachments(sha256, size, mime_type, content, created_at) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT(sha256) DO NOTHING
        """,
        [digest, content.count, mimeType, content, time])
      try database.run(
        """
        INSERT INTO attachment_uploads(sha256, uploader, file_name, mime_type, size, uploaded_at)
        VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT(sha256, uploader) DO UPDATE SET file_name = excluded.file_name,
          mime_type = excluded.mime_type, uploaded_at = excluded.uploaded_at
        """,
        [digest, uploader.rawValue, name, mimeType, content.count, time])
    }
    return AttachmentUpload(ref: ref, uploader: uploader, uploadedAt: at)
  }

  public func findAttachment(sha256Hex: String) async throws -> StoredAttachment? {
    let digest = try Self.attachmentDigest(sha256Hex)
    return try await scan { database in
      try database.queryFirst("SELECT size, mime_type, content FROM attachments WHERE sha256 = ?", [digest]) {
        StoredAttachment(
          ref: AttachmentRef(
            sha256Hex: JournalChain.hex(digest), size: $0.int64(0), name: "", mimeType: $0.text(1)),
          content: $0.blob(2))
      }
    }
  }

  public func attachmentUploads(sha256Hex: String) async throws -> [AttachmentUpload] {
    let digest = try Self.attachmentDigest(sha256Hex)
    return try await read { database in
      try database.query(
        """
        SELECT uploader, file_name, mime_type, size, uploaded_at FROM attachment_uploads
        WHERE sha256 = ? ORDER BY uploaded_at DESC, uploader
        """, [digest]
      ) {
        AttachmentUpload(
          ref: AttachmentRef(
            sha256Hex: JournalChain.hex(digest), size: $0.int64(3), name: $0.text(1), mimeType: $0.text(2)),
          uploader: UserID($0.text(0)), uploadedAt: Timestamp(millisecondsSince1970: $0.int64(4)))
      }
    }
  }

  private static func attachmentDigest(_ sha256Hex: String) throws -> [UInt8] {
    try StoreRules.attachmentDigest(sha256Hex)
  }
}
