public import FieldReportWorkflow

extension SQLiteFieldReportStore {
  public func revokeSessions(userID: UserID, keeping: String?, at now: Timestamp) async throws -> Int {
    // An empty blob never equals a digest, so "keep nothing" needs no second statement.
    let kept = keeping.map(Self.digest) ?? []
    return try await write { database in
      try database.run(
        """
        UPDATE sessions SET revoked_at = ?
        WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ? AND token_hash != ?
        """, now.millisecondsSince1970, userID.rawValue, now.millisecondsSince1970, kept)
      return database.changes
    }
  }

  public func apiKeyID(_ key: String) -> String {
    Self.hexPrefix(Self.digest(key))
  }

  static func hexPrefix(_ digest: [UInt8]) -> String {
    StoreRules.hexPrefix(digest)
  }

  public func revokeAPIKey(id: String, at now: Timestamp) async throws -> Timestamp? {
    guard StoreRules.isAPIKeyID(id) else { return nil }
    return try await write { database in
      // A scan of api_keys: service-account keys are few (a handful per integration).
      let rows = try database.query(
        "SELECT key_hash, revoked_at FROM api_keys WHERE substr(lower(hex(key_hash)), 1, 16) = ?", [id]
      ) { ($0.blob(0), $0.optionalInt64(1)) }
      guard let (hash, revokedAt) = rows.first else { return nil }
      if let revokedAt { return Timestamp(millisecondsSince1970: revokedAt) }
      try database.run("UPDATE api_keys SET revoked_at = ? WHERE key_hash = ?", now.millisecondsSince1970, hash)
      return now
    }
  }

  public func revokeAPIKeys(userID: UserID, keeping: String?, at now: Timestamp) async throws -> [String] {
    let kept = keeping.map(Self.digest) ?? []
    return try await write { database in
      let hashes = try database.query(
        "SELECT key_hash FROM api_keys WHERE user_id = ? AND revoked_at IS NULL AND key_hash != ?",
        [userID.rawValue, kept]
      ) { $0.blob(0) }
      for hash in hashes {
        try database.run("UPDATE api_keys SET revoked_at = ? WHERE key_hash = ?", now.millisecondsSince1970, hash)
      }
      return hashes.map(Self.hexPrefix)
    }
  }

  public func deleteTransferGroup(id: TransferGroupID) async throws {
    try await write { database in
      try database.run("DELETE FROM transfer_group_members WHERE group_id = ?", id.rawValue)
      try database.run("DELETE FROM transfer_groups WHERE id = ?", id.rawValue)
      guard database.changes == 1 else { throw StoreError.notFound("transfer group \(id)") }
    }
  }
}
