/// Version 10: client certificates registered for service accounts (mutual TLS).
///
/// `client_certificates` holds the SHA-256 fingerprint of each registered certificate's DER
/// encoding (64 lowercase hex digits), the service account it authenticates as, a label and
/// the registration and revocation times. Certificates are public: the fingerprint is stored
/// as it is, not hashed.
enum SchemaV10 {
  static let migration = Migration(version: 10, summary: "client certificates for mutual TLS", applyWithPolicy: { database, _ in
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
      """)
  })
}
