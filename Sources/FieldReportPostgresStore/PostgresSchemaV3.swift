/// Version 3: state that replicas share instead of keeping in memory.
///
/// - `throttle_attempts`: the login and submission throttles' attempts
///   (``PostgresAttemptCounter``), one row per attempt, by throttle and key.
/// - `reference_generation`: one row, bumped by a statement trigger on every table the
///   replicas cache (units, users, role grants, categories, transfer groups and their members,
///   method rights) in the writing transaction, which also sends
///   `NOTIFY fieldreport_reference, '<new generation>'` (delivered on commit). See
///   ``PostgresReferenceCache`` for how a replica uses both. The row's lock also orders
///   concurrent reference writes (they are rare: administration).
enum PostgresSchemaV3 {
  static let cachedTables = [
    "units", "users", "role_grants", "categories", "transfer_groups", "transfer_group_members",
    "method_rights_accounts", "method_rights",
  ]

  static let step = PostgresMigrator.Step(
    version: 3, summary: "shared throttle counts; reference generation and notifications",
    sql: """
      CREATE TABLE throttle_attempts(
        counter TEXT COLLATE "C" NOT NULL,
        key TEXT COLLATE "C" NOT NULL,
        at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL
      );
      CREATE INDEX throttle_attempts_by_key ON throttle_attempts(counter, key, at);
      CREATE INDEX throttle_attempts_by_expiry ON throttle_attempts(expires_at);
      CREATE TABLE reference_generation(
        only_row BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row),
        value BIGINT NOT NULL
      );
      INSERT INTO reference_generation(only_row, value) VALUES (TRUE, 1);
      CREATE FUNCTION reference_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        generation BIGINT;
      BEGIN
        UPDATE reference_generation SET value = value + 1 RETURNING value INTO generation;
        PERFORM pg_notify('fieldreport_reference', generation::text);
        RETURN NULL;
      END $$;
      """
      + cachedTables.map { table in
        """

        CREATE TRIGGER \(table)_reference_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON \(table)
          FOR EACH STATEMENT EXECUTE FUNCTION reference_changed();
        """
      }.joined())
}
