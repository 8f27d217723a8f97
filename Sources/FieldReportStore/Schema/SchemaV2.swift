/// Version 2: attachments by content hash, transfer groups, service-account API keys,
/// unit tasks (for statistics), and a folded-name column for diacritic-insensitive search
/// (backfilled for existing users).
enum SchemaV2 {
  static let migration = Migration(version: 2, summary: "attachments, groups, API keys, tasks, name search") { database in
    try database.execute(
      """
      CREATE TABLE attachments(
        sha256 BLOB PRIMARY KEY,
        size INTEGER NOT NULL,
        mime_type TEXT NOT NULL,
        content BLOB NOT NULL,
        created_at INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE transfer_groups(
        id TEXT PRIMARY KEY,
        unit_id TEXT NOT NULL REFERENCES units(id),
        name TEXT NOT NULL
      );
      CREATE INDEX transfer_groups_by_unit ON transfer_groups(unit_id, name);
      CREATE TABLE transfer_group_members(
        group_id TEXT NOT NULL REFERENCES transfer_groups(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        user_id TEXT NOT NULL REFERENCES users(id),
        PRIMARY KEY(group_id, position)
      ) WITHOUT ROWID;
      CREATE TABLE api_keys(
        key_hash BLOB PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id),
        label TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        revoked_at INTEGER
      ) WITHOUT ROWID;
      CREATE TABLE unit_tasks(
        id TEXT PRIMARY KEY,
        case_id TEXT NOT NULL REFERENCES cases(id),
        unit_id TEXT NOT NULL REFERENCES units(id),
        received_at INTEGER NOT NULL,
        due INTEGER NOT NULL,
        completed_at INTEGER,
        timeliness TEXT
      );
      CREATE INDEX unit_tasks_by_unit_completed ON unit_tasks(unit_id, completed_at);
      CREATE INDEX unit_tasks_open_by_unit ON unit_tasks(unit_id, due) WHERE completed_at IS NULL;
      ALTER TABLE users ADD COLUMN folded_name TEXT NOT NULL DEFAULT '';
      """)
    // Backfill: names written under version 1 get their folded form.
    let users = try database.query("SELECT id, full_name FROM users") { ($0.text(0), $0.text(1)) }
    for (id, name) in users {
      try database.run("UPDATE users SET folded_name = ? WHERE id = ?", TextFolding.fold(name), id)
    }
  }
}
