/// Version 10: client certificates registered for service accounts (mutual TLS), and method
/// rights.
///
/// `client_certificates` holds the SHA-256 fingerprint of each registered certificate's DER
/// encoding (64 lowercase hex digits), the service account it authenticates as, a label and
/// the registration and revocation times. Certificates are public: the fingerprint is stored
/// as it is, not hashed. `method_rights` limits a service account to the listed method paths
/// (one row per allowed method; an account with a row in `method_rights_accounts` is limited,
/// one without is not).
enum SchemaV10 {
  static let migration = Migration(version: 10, summary: "client certificates for mutual TLS, method rights", applyWithPolicy: { database, _ in
    try database.execute(
      """
      CREATE TABLE client_certificates (
        fingerprint TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id),
        label TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        revoked_at INTEGER
      ) WITHOUT ROWID;
      CREATE INDEX client_certificates_by_user ON client_certificates(user_id, created_at);
      CREATE TABLE method_rights_accounts (
        user_id TEXT PRIMARY KEY REFERENCES users(id),
        updated_at INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE method_rights (
        user_id TEXT NOT NULL REFERENCES method_rights_accounts(user_id) ON DELETE CASCADE,
        method_path TEXT NOT NULL,
        PRIMARY KEY (user_id, method_path)
      ) WITHOUT ROWID;
      """)
  })
}
