public import FieldReportWorkflow

extension SQLiteFieldReportStore {
  /// Tokens and API keys are stored as SHA-256 digests: a copy of the file reveals no
  /// usable credential.
  static func digest(_ secret: String) -> [UInt8] {
    StoreRules.digest(secret)
  }

  static func requireSecret(_ secret: String, field: String) throws {
    try StoreRules.requireSecret(secret, field: field)
  }

  public func createSession(token: String, session: Session) async throws {
    try Self.requireSecret(token, field: "token")
    let hash = Self.digest(token)
    try await writeCaseData { database in
      try Self.mapConstraints(duplicate: "session", missing: "user \(session.userID)") {
        try database.run(
          "INSERT INTO sessions(token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
          hash, session.userID.rawValue, session.createdAt.millisecondsSince1970,
          session.expiresAt.millisecondsSince1970)
      }
    }
  }

  public func findSession(token: String, at now: Timestamp) async throws -> Session? {
    if let cached = cache.session(token: token, at: now) { return cached }
    let generation = cache.generation
    let hash = Self.digest(token)
    let found = try await read { database in
      try database.queryFirst(
        """
        SELECT user_id, created_at, expires_at FROM sessions
        WHERE token_hash = ? AND revoked_at IS NULL AND expires_at > ?
        """, [hash, now.millisecondsSince1970]
      ) {
        Session(
          userID: UserID($0.text(0)), createdAt: Timestamp(millisecondsSince1970: $0.int64(1)),
          expiresAt: Timestamp(millisecondsSince1970: $0.int64(2)))
      }
    }
    if let found { cache.store(ifStill: generation) { $0.sessions.insertBounded(found, for: token) } }
    return found
  }

  public func revokeSession(token: String, at now: Timestamp) async throws -> Bool {
    let hash = Self.digest(token)
    return try await write { database in
      try database.run(
        "UPDATE sessions SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL AND expires_at > ?",
        now.millisecondsSince1970, hash, now.millisecondsSince1970)
      return database.changes == 1
    }
  }

  public func createAPIKey(_ key: String, userID: UserID, label: String, expiresAt: Timestamp?, at: Timestamp) async throws {
    try Self.requireSecret(key, field: "apiKey")
    let hash = Self.digest(key)
    try await writeCaseData { database in
      try Self.mapConstraints(duplicate: "API key", missing: "user \(userID)") {
        try database.run(
          "INSERT INTO api_keys(key_hash, user_id, label, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
          hash, userID.rawValue, label, at.millisecondsSince1970, expiresAt?.millisecondsSince1970)
      }
    }
  }

  public func findAPIKey(_ key: String, at now: Timestamp) async throws -> (userID: UserID, expiresAt: Timestamp?)? {
    if let cached = cache.apiKey(key, at: now) { return (cached.userID, cached.expiresAt) }
    let generation = cache.generation
    let hash = Self.digest(key)
    let found = try await read { database in
      try database.queryFirst(
        """
        SELECT user_id, expires_at FROM api_keys
        WHERE key_hash = ? AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)
        """,
        [hash, now.millisecondsSince1970]
      ) { row in
        (UserID(row.text(0)), row.optionalInt64(1).map(Timestamp.init(millisecondsSince1970:)))
      }
    }
    if let found {
      let grant = ReferenceCache.APIKeyGrant(userID: found.0, expiresAt: found.1)
      cache.store(ifStill: generation) { $0.apiKeys.insertBounded(grant, for: key) }
    }
    return found
  }

  public func revokeAPIKey(_ key: String, at: Timestamp) async throws -> Bool {
    let hash = Self.digest(key)
    return try await write { database in
      try database.run(
        "UPDATE api_keys SET revoked_at = ? WHERE key_hash = ? AND revoked_at IS NULL", at.millisecondsSince1970, hash)
      return database.changes == 1
    }
  }
}

// MARK: Client certificates (mutual TLS)

extension SQLiteFieldReportStore {
  public func registerClientCertificate(_ record: ClientCertificateRecord) async throws {
    try await write { database in
      try Self.mapConstraints(duplicate: "client certificate \(record.fingerprint)", missing: "user \(record.userID)") {
        try database.run(
          "INSERT INTO client_certificates(fingerprint, user_id, label, created_at, revoked_at) VALUES (?, ?, ?, ?, ?)",
          record.fingerprint, record.userID.rawValue, record.label, record.createdAt.millisecondsSince1970,
          record.revokedAt?.millisecondsSince1970)
      }
    }
  }

  public func findClientCertificate(_ fingerprint: String) async throws -> UserID? {
    if let cached = cache.lookup({ $0.clientCertificates[fingerprint] }) { return cached }
    let generation = cache.generation
    let found = try await read { database in
      try database.queryFirst(
        "SELECT user_id FROM client_certificates WHERE fingerprint = ? AND revoked_at IS NULL", [fingerprint]
      ) { row in UserID(row.text(0)) }
    }
    if let found {
      cache.store(ifStill: generation) { $0.clientCertificates.insertBounded(found, for: fingerprint) }
    }
    return found
  }

  public func revokeClientCertificate(_ fingerprint: String, at: Timestamp) async throws -> ClientCertificateRecord? {
    try await write { database in
      try database.run(
        "UPDATE client_certificates SET revoked_at = ? WHERE fingerprint = ? AND revoked_at IS NULL",
        at.millisecondsSince1970, fingerprint)
      return try database.queryFirst(
        "SELECT fingerprint, user_id, label, created_at, revoked_at FROM client_certificates WHERE fingerprint = ?",
        [fingerprint], Self.clientCertificate)
    }
  }

  public func clientCertificates(userID: UserID) async throws -> [ClientCertificateRecord] {
    try await read { database in
      try database.query(
        """
        SELECT fingerprint, user_id, label, created_at, revoked_at FROM client_certificates
        WHERE user_id = ? ORDER BY created_at DESC, fingerprint
        """,
        [userID.rawValue], Self.clientCertificate)
    }
  }

  static func clientCertificate(_ row: Statement) -> ClientCertificateRecord {
    ClientCertificateRecord(
      fingerprint: row.text(0), userID: UserID(row.text(1)), label: row.text(2),
      createdAt: Timestamp(millisecondsSince1970: row.int64(3)),
      revokedAt: row.optionalInt64(4).map(Timestamp.init(millisecondsSince1970:)))
  }
}

// MARK: Method rights

extension SQLiteFieldReportStore {
  public func setMethodRights(userID: UserID, methods: [String]?, at: Timestamp) async throws {
    try await write { database in
      try database.run("DELETE FROM method_rights WHERE user_id = ?", userID.rawValue)
      try database.run("DELETE FROM method_rights_accounts WHERE user_id = ?", userID.rawValue)
      guard let methods else { return }
      try Self.mapConstraints(duplicate: "method rights of \(userID)", missing: "user \(userID)") {
        try database.run(
          "INSERT INTO method_rights_accounts(user_id, updated_at) VALUES (?, ?)", userID.rawValue, at.millisecondsSince1970)
        for method in Set(methods) {
          try database.run("INSERT INTO method_rights(user_id, method_path) VALUES (?, ?)", userID.rawValue, method)
        }
      }
    }
  }

  public func methodRights(userID: UserID) async throws -> [String]? {
    if let cached = cache.lookup({ $0.methodRights[userID] }) { return cached.methods }
    let generation = cache.generation
    let methods: [String]? = try await read { database in
      let limited = try database.queryFirst("SELECT 1 FROM method_rights_accounts WHERE user_id = ?", [userID.rawValue]) { _ in true }
      guard limited == true else { return nil }
      return try database.query(
        "SELECT method_path FROM method_rights WHERE user_id = ? ORDER BY method_path", [userID.rawValue]
      ) { row in row.text(0) }
    }
    cache.store(ifStill: generation) {
      $0.methodRights.insertBounded(ReferenceCache.MethodRights(methods: methods), for: userID)
    }
    return methods
  }
}
