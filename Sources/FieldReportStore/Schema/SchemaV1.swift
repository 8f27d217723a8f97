/// Version 1: identity, categories, cases, the hash-chained journal, notifications,
/// idempotency records, daily report-code sequences, sessions.
enum SchemaV1 {
  static let migration = Migration(version: 1, summary: "core schema") { database in
    try database.execute(
      """
      CREATE TABLE units(
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        kind TEXT NOT NULL,
        parent_id TEXT REFERENCES units(id),
        body BLOB NOT NULL
      );
      CREATE TABLE users(
        id TEXT PRIMARY KEY,
        username TEXT UNIQUE,
        full_name TEXT NOT NULL,
        kind TEXT NOT NULL,
        home_unit_id TEXT REFERENCES units(id),
        is_active INTEGER NOT NULL,
        password_hash BLOB,
        password_salt BLOB,
        password_scheme TEXT,
        body BLOB NOT NULL
      );
      CREATE TABLE role_grants(
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id),
        unit_id TEXT NOT NULL REFERENCES units(id),
        role TEXT NOT NULL,
        status TEXT NOT NULL,
        requested_at INTEGER NOT NULL,
        body BLOB NOT NULL
      );
      CREATE INDEX role_grants_by_user ON role_grants(user_id, status);
      CREATE INDEX role_grants_by_unit ON role_grants(unit_id, status, requested_at);
      CREATE TABLE categories(
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        is_active INTEGER NOT NULL,
        body BLOB NOT NULL
      );
      CREATE TABLE cases(
        id TEXT PRIMARY KEY,
        report_code TEXT NOT NULL UNIQUE,
        version INTEGER NOT NULL,
        state TEXT NOT NULL,
        holder_unit_id TEXT,
        holder_user_id TEXT,
        current_unit_id TEXT NOT NULL REFERENCES units(id),
        ioc_unit_id TEXT NOT NULL REFERENCES units(id),
        category_id TEXT NOT NULL REFERENCES categories(id),
        submitted_by TEXT NOT NULL,
        is_public INTEGER NOT NULL,
        title TEXT NOT NULL,
        received_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        step_due INTEGER,
        journal_head BLOB NOT NULL,
        body BLOB NOT NULL
      );
      CREATE TABLE journal(
        event_seq INTEGER PRIMARY KEY AUTOINCREMENT,
        case_id TEXT NOT NULL REFERENCES cases(id),
        case_seq INTEGER NOT NULL,
        at INTEGER NOT NULL,
        body BLOB NOT NULL,
        prev_hash BLOB NOT NULL,
        hash BLOB NOT NULL,
        UNIQUE(case_id, case_seq)
      );
      CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal
      BEGIN SELECT RAISE(ABORT, 'journal entries are append-only'); END;
      CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal
      BEGIN SELECT RAISE(ABORT, 'journal entries are append-only'); END;
      CREATE TABLE notifications(
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        recipient TEXT NOT NULL,
        case_id TEXT NOT NULL REFERENCES cases(id),
        kind TEXT NOT NULL,
        text TEXT NOT NULL,
        at INTEGER NOT NULL,
        via_mobile_app INTEGER NOT NULL,
        read_at INTEGER
      );
      CREATE INDEX notifications_by_recipient ON notifications(recipient, id);
      CREATE TABLE idempotency(
        scope TEXT NOT NULL,
        key TEXT NOT NULL,
        operation TEXT NOT NULL,
        target TEXT NOT NULL,
        response BLOB NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY(scope, key)
      ) WITHOUT ROWID;
      CREATE TABLE report_sequences(
        day_key INTEGER PRIMARY KEY,
        last_value INTEGER NOT NULL
      );
      CREATE TABLE sessions(
        token_hash BLOB PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id),
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        revoked_at INTEGER
      ) WITHOUT ROWID;
      CREATE INDEX sessions_by_user ON sessions(user_id);
      """)
  }
}
