/// Version 6: API keys may expire.
///
/// `api_keys` gains `expires_at` (milliseconds since 1970; NULL for a key that never
/// expires, which every existing key keeps).
enum SchemaV6 {
  static let migration = Migration(version: 6, summary: "API key expiry", applyWithPolicy: { database, _ in
    try database.execute("ALTER TABLE api_keys ADD COLUMN expires_at INTEGER;")
  })
}
