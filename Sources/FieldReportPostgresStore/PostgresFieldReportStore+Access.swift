public import FieldReportStore
public import FieldReportWorkflow
import PostgresNIO

// Sessions, API keys and client certificates are read from the database on every lookup (one
// statement, no transaction), with the reference generation: a revocation through any
// replica is seen by every replica on the next call, and so is any change to the account and
// grants that the call then reads from the reference cache (PostgresReferenceCache).

extension PostgresFieldReportStore {
  public func createSession(token: String, session: Session) async throws {
    try StoreRules.requireSecret(token, field: "token")
    let hash = StoreRules.digest(token)
    try await writeCaseData { db in
      try await Self.mapConstraints(duplicate: "session", missing: "user \(session.userID)") {
        try await db.query(
          "INSERT INTO sessions(token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
          [
            hash, session.userID.rawValue, session.createdAt.millisecondsSince1970,
            session.expiresAt.millisecondsSince1970,
          ])
      }
    }
  }

  public func findSession(token: String, at now: Timestamp) async throws -> Session? {
    let hash = StoreRules.digest(token)
    let row = try await credentialLookup(
      """
      SELECT g.value, s.user_id, s.created_at, s.expires_at FROM reference_generation g
      LEFT JOIN sessions s ON s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2
      """, [hash, now.millisecondsSince1970])
    let (_, user, created, expires) = try row.decode((Int64, String?, Int64?, Int64?).self)
    guard let user, let created, let expires else { return nil }
    return Session(
      userID: UserID(user), createdAt: Timestamp(millisecondsSince1970: created),
      expiresAt: Timestamp(millisecondsSince1970: expires))
  }

  /// Runs a credential lookup whose first column is the reference generation (one row, the
  /// generation joined with at most one credential), and tells the reference cache the
  /// generation before the caller reads the account and grants.
  private func credentialLookup(_ sql: String, _ arguments: [any PostgresArgument]) async throws -> PostgresRow {
    guard let row = try await statement(sql, arguments).first else {
      throw StoreError.integrity("the reference generation row is missing")
    }
    referenceCache.observe(try row.value(0, as: Int64.self))
    return row
  }

  public func revokeSession(token: String, at now: Timestamp) async throws -> Bool {
    let hash = StoreRules.digest(token)
    return try await writeCaseData { db in
      try await db.changes(
        """
        UPDATE sessions SET revoked_at = $1
        WHERE token_hash = $2 AND revoked_at IS NULL AND expires_at > $1 RETURNING 1
        """, [now.millisecondsSince1970, hash]) == 1
    }
  }

  public func createAPIKey(_ key: String, userID: UserID, label: String, expiresAt: Timestamp?, at: Timestamp)
    async throws
  {
    try StoreRules.requireSecret(key, field: "apiKey")
    let hash = StoreRules.digest(key)
    try await writeCaseData { db in
      try await Self.mapConstraints(duplicate: "API key", missing: "user \(userID)") {
        try await db.query(
          "INSERT INTO api_keys(key_hash, user_id, label, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
          [hash, userID.rawValue, label, at.millisecondsSince1970, expiresAt?.millisecondsSince1970])
      }
    }
  }

  public func findAPIKey(_ key: String, at now: Timestamp) async throws -> (userID: UserID, expiresAt: Timestamp?)? {
    let hash = StoreRules.digest(key)
    let row = try await credentialLookup(
      """
      SELECT g.value, k.user_id, k.expires_at FROM reference_generation g
      LEFT JOIN api_keys k
        ON k.key_hash = $1 AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > $2)
      """, [hash, now.millisecondsSince1970])
    let (_, user, expires) = try row.decode((Int64, String?, Int64?).self)
    guard let user else { return nil }
    return (UserID(user), expires.map(Timestamp.init(millisecondsSince1970:)))
  }

  public func revokeAPIKey(_ key: String, at: Timestamp) async throws -> Bool {
    let hash = StoreRules.digest(key)
    return try await writeCaseData { db in
      try await db.changes(
        "UPDATE api_keys SET revoked_at = $1 WHERE key_hash = $2 AND revoked_at IS NULL RETURNING 1",
        [at.millisecondsSince1970, hash]) == 1
    }
  }

  public func revokeSessions(userID: UserID, keeping: String?, at now: Timestamp) async throws -> Int {
    // An empty digest never equals a stored one, so "keep nothing" needs no second statement.
    let kept = keeping.map(StoreRules.digest) ?? []
    return try await writeCaseData { db in
      try await db.changes(
        """
        UPDATE sessions SET revoked_at = $1
        WHERE user_id = $2 AND revoked_at IS NULL AND expires_at > $1 AND token_hash <> $3 RETURNING 1
        """, [now.millisecondsSince1970, userID.rawValue, kept])
    }
  }

  public func apiKeyID(_ key: String) -> String {
    StoreRules.hexPrefix(StoreRules.digest(key))
  }

  public func revokeAPIKey(id: String, at now: Timestamp) async throws -> Timestamp? {
    guard StoreRules.isAPIKeyID(id) else { return nil }
    return try await writeCaseData { db in
      // A scan of api_keys: service-account keys are few (a handful per integration).
      guard
        let row = try await db.first(
          "SELECT key_hash, revoked_at FROM api_keys WHERE substr(encode(key_hash, 'hex'), 1, 16) = $1 FOR UPDATE",
          [id])
      else { return nil }
      if let revokedAt = try row.value(1, as: Int64?.self) { return Timestamp(millisecondsSince1970: revokedAt) }
      try await db.query(
        "UPDATE api_keys SET revoked_at = $1 WHERE key_hash = $2", [now.millisecondsSince1970, try row.bytes(0)])
      return now
    }
  }

  public func revokeAPIKeys(userID: UserID, keeping: String?, at now: Timestamp) async throws -> [String] {
    let kept = keeping.map(StoreRules.digest) ?? []
    return try await writeCaseData { db in
      try await db.query(
        """
        UPDATE api_keys SET revoked_at = $1
        WHERE user_id = $2 AND revoked_at IS NULL AND key_hash <> $3 RETURNING key_hash
        """, [now.millisecondsSince1970, userID.rawValue, kept]
      ).map { StoreRules.hexPrefix(try $0.bytes(0)) }
    }
  }

  // MARK: Client certificates (mutual TLS)

  public func registerClientCertificate(_ record: ClientCertificateRecord) async throws {
    try await writeCaseData { db in
      try await Self.mapConstraints(
        duplicate: "client certificate \(record.fingerprint)", missing: "user \(record.userID)"
      ) {
        try await db.query(
          """
          INSERT INTO client_certificates(fingerprint, user_id, label, created_at, revoked_at)
          VALUES ($1, $2, $3, $4, $5)
          """,
          [
            record.fingerprint, record.userID.rawValue, record.label, record.createdAt.millisecondsSince1970,
            record.revokedAt?.millisecondsSince1970,
          ])
      }
    }
  }

  public func findClientCertificate(_ fingerprint: String) async throws -> UserID? {
    let row = try await credentialLookup(
      """
      SELECT g.value, c.user_id FROM reference_generation g
      LEFT JOIN client_certificates c ON c.fingerprint = $1 AND c.revoked_at IS NULL
      """, [fingerprint])
    return try row.value(1, as: String?.self).map { UserID($0) }
  }

  public func revokeClientCertificate(_ fingerprint: String, at: Timestamp) async throws -> ClientCertificateRecord? {
    try await writeCaseData { db in
      try await db.query(
        "UPDATE client_certificates SET revoked_at = $1 WHERE fingerprint = $2 AND revoked_at IS NULL",
        [at.millisecondsSince1970, fingerprint])
      return try await db.first(
        "SELECT fingerprint, user_id, label, created_at, revoked_at FROM client_certificates WHERE fingerprint = $1",
        [fingerprint]
      ).map(Self.clientCertificate)
    }
  }

  public func clientCertificates(userID: UserID) async throws -> [ClientCertificateRecord] {
    try await read { db in
      try await db.query(
        """
        SELECT fingerprint, user_id, label, created_at, revoked_at FROM client_certificates
        WHERE user_id = $1 ORDER BY created_at DESC, fingerprint
        """, [userID.rawValue]
      ).map(Self.clientCertificate)
    }
  }

  static func clientCertificate(_ row: PostgresRow) throws -> ClientCertificateRecord {
    let (fingerprint, user, label, created, revoked) = try row.decode((String, String, String, Int64, Int64?).self)
    return ClientCertificateRecord(
      fingerprint: fingerprint, userID: UserID(user), label: label,
      createdAt: Timestamp(millisecondsSince1970: created),
      revokedAt: revoked.map(Timestamp.init(millisecondsSince1970:)))
  }

  // MARK: Method rights

  public func setMethodRights(userID: UserID, methods: [String]?, at: Timestamp) async throws {
    try await write { db in
      try await db.query("DELETE FROM method_rights WHERE user_id = $1", [userID.rawValue])
      try await db.query("DELETE FROM method_rights_accounts WHERE user_id = $1", [userID.rawValue])
      guard let methods else { return }
      try await Self.mapConstraints(duplicate: "method rights of \(userID)", missing: "user \(userID)") {
        try await db.query(
          "INSERT INTO method_rights_accounts(user_id, updated_at) VALUES ($1, $2)",
          [userID.rawValue, at.millisecondsSince1970])
        for method in Set(methods) {
          try await db.query(
            "INSERT INTO method_rights(user_id, method_path) VALUES ($1, $2)", [userID.rawValue, method])
        }
      }
    }
  }

  public func methodRights(userID: UserID) async throws -> [String]? {
    try await cachedRead { $0.methodRights[userID].map(\.methods) } put: {
      $0.methodRights.insertBounded(.init(methods: $1), for: userID)
    } load: { db -> [String]? in
      guard try await db.first("SELECT 1 FROM method_rights_accounts WHERE user_id = $1", [userID.rawValue]) != nil
      else { return nil }
      return try await db.query(
        "SELECT method_path FROM method_rights WHERE user_id = $1 ORDER BY method_path", [userID.rawValue]
      ).map { try $0.value(0, as: String.self) }
    }
  }

  // MARK: Attachments

  public func putAttachment(
    _ attachment: AttachmentContent, name: String, mimeType: String, uploadedBy uploader: UserID, at: Timestamp
  ) async throws -> AttachmentUpload {
    let content = attachment.bytes
    guard content.count <= configuration.store.maximumAttachmentBytes else {
      throw StoreError.tooLarge(limit: configuration.store.maximumAttachmentBytes)
    }
    let digest = attachment.sha256
    let ref = AttachmentRef(
      sha256Hex: JournalChain.hex(digest), size: Int64(content.count), name: name, mimeType: mimeType)
    let time = at.millisecondsSince1970
    try await writeCaseData { db in
      guard try await db.first("SELECT 1 FROM users WHERE id = $1", [uploader.rawValue]) != nil else {
        throw StoreError.notFound("user \(uploader)")
      }
      // Content-addressed: the first upload of these bytes stores them, later ones only record.
      try await db.query(
        """
        INSERT INTO attachments(sha256, size, mime_type, content, created_at) VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (sha256) DO NOTHING
        """, [digest, content.count, mimeType, content, time])
      try await db.query(
        """
        INSERT INTO attachment_uploads(sha256, uploader, file_name, mime_type, size, uploaded_at)
        VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT (sha256, uploader) DO UPDATE SET file_name = EXCLUDED.file_name,
          mime_type = EXCLUDED.mime_type, uploaded_at = EXCLUDED.uploaded_at
        """, [digest, uploader.rawValue, name, mimeType, content.count, time])
    }
    return AttachmentUpload(ref: ref, uploader: uploader, uploadedAt: at)
  }

  public func findAttachment(sha256Hex: String) async throws -> StoredAttachment? {
    let digest = try StoreRules.attachmentDigest(sha256Hex)
    return try await read { db in
      try await db.first("SELECT size, mime_type, content FROM attachments WHERE sha256 = $1", [digest]).map { row in
        StoredAttachment(
          ref: AttachmentRef(
            sha256Hex: JournalChain.hex(digest), size: try row.value(0, as: Int64.self), name: "",
            mimeType: try row.value(1, as: String.self)),
          content: try row.bytes(2))
      }
    }
  }

  public func attachmentUploads(sha256Hex: String) async throws -> [AttachmentUpload] {
    let digest = try StoreRules.attachmentDigest(sha256Hex)
    return try await read { db in
      try await db.query(
        """
        SELECT uploader, file_name, mime_type, size, uploaded_at FROM attachment_uploads
        WHERE sha256 = $1 ORDER BY uploaded_at DESC, uploader
        """, [digest]
      ).map { row in
        let (uploader, name, mimeType, size, uploaded) = try row.decode((String, String, String, Int64, Int64).self)
        return AttachmentUpload(
          ref: AttachmentRef(sha256Hex: JournalChain.hex(digest), size: size, name: name, mimeType: mimeType),
          uploader: UserID(uploader), uploadedAt: Timestamp(millisecondsSince1970: uploaded))
      }
    }
  }
}
