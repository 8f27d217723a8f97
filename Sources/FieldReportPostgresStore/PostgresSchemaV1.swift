/// Version 1: the schema the SQLite store reached in its version 10, in PostgreSQL's terms,
/// plus the database-side guards replicas rely on.
///
/// Every text column that is compared or sorted uses the `"C"` collation (byte order), as
/// SQLite's `BINARY` does, so listings, cursors and merges order ids and names the same way on
/// both engines whatever the database's locale. Times are Unix milliseconds (`BIGINT`), bodies
/// the ``BodyFormat`` encoding (`BYTEA`).
///
/// Guards (see ``PostgresFieldReportStore`` for how they are used):
/// - `journal`: `UNIQUE (case_id, case_seq)`; `journal_chain_check` refuses an entry that does
///   not continue its case's chain; `journal_append_only` refuses UPDATE, DELETE and TRUNCATE.
/// - `event_sequence`: one row, the last event sequence handed out (see
///   ``PostgresFieldReportStore`` on why it is not a `SEQUENCE`: a sequence hands out numbers
///   in call order, not commit order).
/// - `report_sequences`: one row per local day, incremented inside the case's transaction.
enum PostgresSchemaV1 {
  static let step = PostgresMigrator.Step(
    version: 1, summary: "core schema (SQLite schema version 10), journal guards",
    sql: """
      CREATE TABLE units(
        id TEXT COLLATE "C" PRIMARY KEY,
        name TEXT COLLATE "C" NOT NULL,
        kind TEXT NOT NULL,
        parent_id TEXT COLLATE "C" REFERENCES units(id),
        body BYTEA NOT NULL
      );
      CREATE TABLE users(
        id TEXT COLLATE "C" PRIMARY KEY,
        username TEXT COLLATE "C" UNIQUE,
        full_name TEXT NOT NULL,
        kind TEXT NOT NULL,
        home_unit_id TEXT COLLATE "C" REFERENCES units(id),
        is_active BOOLEAN NOT NULL,
        password_hash BYTEA,
        password_salt BYTEA,
        password_scheme TEXT,
        body BYTEA NOT NULL,
        folded_name TEXT COLLATE "C" NOT NULL
      );
      CREATE INDEX users_by_folded_name ON users(folded_name, id);
      CREATE TABLE role_grants(
        id TEXT COLLATE "C" PRIMARY KEY,
        user_id TEXT COLLATE "C" NOT NULL REFERENCES users(id),
        unit_id TEXT COLLATE "C" NOT NULL REFERENCES units(id),
        role TEXT COLLATE "C" NOT NULL,
        status TEXT COLLATE "C" NOT NULL,
        requested_at BIGINT NOT NULL,
        body BYTEA NOT NULL
      );
      CREATE INDEX role_grants_by_user ON role_grants(user_id, status);
      CREATE INDEX role_grants_by_unit ON role_grants(unit_id, status, requested_at);
      CREATE TABLE categories(
        id TEXT COLLATE "C" PRIMARY KEY,
        name TEXT COLLATE "C" NOT NULL,
        is_active BOOLEAN NOT NULL,
        body BYTEA NOT NULL
      );
      CREATE TABLE cases(
        id TEXT COLLATE "C" PRIMARY KEY,
        report_code TEXT COLLATE "C" NOT NULL UNIQUE,
        version BIGINT NOT NULL CHECK (version >= 1),
        state TEXT COLLATE "C" NOT NULL,
        holder_unit_id TEXT COLLATE "C",
        holder_user_id TEXT COLLATE "C",
        current_unit_id TEXT COLLATE "C" NOT NULL REFERENCES units(id),
        ioc_unit_id TEXT COLLATE "C" NOT NULL REFERENCES units(id),
        category_id TEXT COLLATE "C" NOT NULL REFERENCES categories(id),
        submitted_by TEXT COLLATE "C" NOT NULL,
        is_public BOOLEAN NOT NULL,
        title TEXT NOT NULL,
        received_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        step_due BIGINT,
        journal_head BYTEA NOT NULL,
        body BYTEA NOT NULL,
        search_text TEXT COLLATE "C" NOT NULL,
        step_started BIGINT NOT NULL,
        listed_due BIGINT
      );
      CREATE INDEX cases_by_received ON cases(received_at, id);
      CREATE INDEX cases_by_unit_state ON cases(current_unit_id, state, received_at, id);
      CREATE INDEX cases_by_category ON cases(category_id, received_at, id);
      CREATE INDEX cases_by_step_started ON cases(step_started, id);
      CREATE INDEX cases_by_listed_due ON cases((COALESCE(listed_due, 9223372036854775807)), id);
      CREATE INDEX cases_by_updated ON cases(updated_at, id);
      CREATE INDEX cases_overdue ON cases(listed_due) WHERE listed_due IS NOT NULL;
      CREATE INDEX cases_unit_due ON cases(current_unit_id, listed_due) WHERE listed_due IS NOT NULL;
      CREATE INDEX cases_unit_state_step ON cases(current_unit_id, state, step_started, id);
      CREATE INDEX cases_unit_state_due
        ON cases(current_unit_id, state, (COALESCE(listed_due, 9223372036854775807)), id);
      CREATE INDEX cases_unit_state_updated ON cases(current_unit_id, state, updated_at, id);

      CREATE TABLE journal(
        event_seq BIGINT PRIMARY KEY,
        case_id TEXT COLLATE "C" NOT NULL REFERENCES cases(id),
        case_seq BIGINT NOT NULL CHECK (case_seq >= 1),
        at BIGINT NOT NULL,
        body BYTEA NOT NULL,
        prev_hash BYTEA NOT NULL CHECK (length(prev_hash) = 32),
        hash BYTEA NOT NULL CHECK (length(hash) = 32),
        UNIQUE (case_id, case_seq)
      );
      CREATE TABLE event_sequence(
        only_row BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row),
        last_value BIGINT NOT NULL
      );
      INSERT INTO event_sequence(only_row, last_value) VALUES (TRUE, 0);
      CREATE FUNCTION journal_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'journal entries are append-only' USING ERRCODE = 'integrity_constraint_violation';
      END $$;
      CREATE TRIGGER journal_no_update BEFORE UPDATE OR DELETE ON journal
        FOR EACH ROW EXECUTE FUNCTION journal_append_only();
      CREATE TRIGGER journal_no_truncate BEFORE TRUNCATE ON journal
        FOR EACH STATEMENT EXECUTE FUNCTION journal_append_only();
      CREATE FUNCTION journal_chain_check() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.case_seq = 1 THEN
          IF NEW.prev_hash <> '\\x0000000000000000000000000000000000000000000000000000000000000000'::bytea THEN
            RAISE EXCEPTION 'the first journal entry must start the chain' USING ERRCODE = 'integrity_constraint_violation';
          END IF;
        ELSIF NOT EXISTS (SELECT 1 FROM journal j WHERE j.case_id = NEW.case_id
                            AND j.case_seq = NEW.case_seq - 1 AND j.hash = NEW.prev_hash) THEN
          RAISE EXCEPTION 'a journal entry must continue its case''s chain' USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER journal_chain BEFORE INSERT ON journal
        FOR EACH ROW EXECUTE FUNCTION journal_chain_check();

      CREATE TABLE notifications(
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        recipient TEXT COLLATE "C" NOT NULL,
        case_id TEXT COLLATE "C" NOT NULL REFERENCES cases(id),
        kind TEXT NOT NULL,
        text TEXT NOT NULL,
        at BIGINT NOT NULL,
        via_mobile_app BOOLEAN NOT NULL,
        read_at BIGINT
      );
      CREATE INDEX notifications_by_recipient ON notifications(recipient, id);
      CREATE TABLE idempotency(
        scope TEXT COLLATE "C" NOT NULL,
        key TEXT COLLATE "C" NOT NULL,
        operation TEXT NOT NULL,
        target TEXT COLLATE "C" NOT NULL,
        created_at BIGINT NOT NULL,
        entry_seq BIGINT NOT NULL,
        PRIMARY KEY (scope, key)
      );
      CREATE TABLE report_sequences(
        day_key BIGINT PRIMARY KEY,
        last_value BIGINT NOT NULL
      );
      CREATE TABLE sessions(
        token_hash BYTEA PRIMARY KEY,
        user_id TEXT COLLATE "C" NOT NULL REFERENCES users(id),
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        revoked_at BIGINT
      );
      CREATE INDEX sessions_by_user ON sessions(user_id);
      CREATE TABLE attachments(
        sha256 BYTEA PRIMARY KEY,
        size BIGINT NOT NULL,
        mime_type TEXT NOT NULL,
        content BYTEA NOT NULL,
        created_at BIGINT NOT NULL
      );
      CREATE TABLE attachment_uploads(
        sha256 BYTEA NOT NULL REFERENCES attachments(sha256),
        uploader TEXT COLLATE "C" NOT NULL REFERENCES users(id),
        file_name TEXT NOT NULL,
        mime_type TEXT NOT NULL,
        size BIGINT NOT NULL,
        uploaded_at BIGINT NOT NULL,
        PRIMARY KEY (sha256, uploader)
      );
      CREATE INDEX attachment_uploads_by_time ON attachment_uploads(sha256, uploaded_at);
      CREATE TABLE transfer_groups(
        id TEXT COLLATE "C" PRIMARY KEY,
        unit_id TEXT COLLATE "C" NOT NULL REFERENCES units(id),
        name TEXT COLLATE "C" NOT NULL,
        created_at BIGINT,
        updated_at BIGINT
      );
      CREATE INDEX transfer_groups_by_unit ON transfer_groups(unit_id, name);
      CREATE TABLE transfer_group_members(
        group_id TEXT COLLATE "C" NOT NULL REFERENCES transfer_groups(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        user_id TEXT COLLATE "C" NOT NULL REFERENCES users(id),
        PRIMARY KEY (group_id, position)
      );
      CREATE TABLE api_keys(
        key_hash BYTEA PRIMARY KEY,
        user_id TEXT COLLATE "C" NOT NULL REFERENCES users(id),
        label TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        revoked_at BIGINT,
        expires_at BIGINT
      );
      CREATE TABLE unit_tasks(
        id TEXT COLLATE "C" PRIMARY KEY,
        case_id TEXT COLLATE "C" NOT NULL REFERENCES cases(id),
        unit_id TEXT COLLATE "C" NOT NULL REFERENCES units(id),
        received_at BIGINT NOT NULL,
        due BIGINT NOT NULL,
        completed_at BIGINT,
        timeliness TEXT COLLATE "C"
      );
      CREATE INDEX unit_tasks_by_unit_completed ON unit_tasks(unit_id, completed_at);
      CREATE INDEX unit_tasks_open_by_unit ON unit_tasks(unit_id, due) WHERE completed_at IS NULL;
      CREATE TABLE case_links(
        kind TEXT COLLATE "C" NOT NULL,
        subject TEXT COLLATE "C" NOT NULL,
        received_at BIGINT NOT NULL,
        case_id TEXT COLLATE "C" NOT NULL REFERENCES cases(id),
        step_started BIGINT NOT NULL,
        PRIMARY KEY (kind, subject, received_at, case_id)
      );
      CREATE INDEX case_links_by_case ON case_links(case_id);
      CREATE INDEX case_links_by_step ON case_links(kind, subject, step_started, case_id);
      CREATE TABLE case_drafts(
        case_id TEXT COLLATE "C" NOT NULL REFERENCES cases(id),
        author TEXT COLLATE "C" NOT NULL,
        saved_at BIGINT NOT NULL,
        body BYTEA NOT NULL,
        PRIMARY KEY (case_id, author)
      );
      CREATE TABLE client_certificates(
        fingerprint TEXT COLLATE "C" PRIMARY KEY,
        user_id TEXT COLLATE "C" NOT NULL REFERENCES users(id),
        label TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        revoked_at BIGINT
      );
      CREATE INDEX client_certificates_by_user ON client_certificates(user_id, created_at);
      CREATE TABLE method_rights_accounts(
        user_id TEXT COLLATE "C" PRIMARY KEY REFERENCES users(id),
        updated_at BIGINT NOT NULL
      );
      CREATE TABLE method_rights(
        user_id TEXT COLLATE "C" NOT NULL REFERENCES method_rights_accounts(user_id) ON DELETE CASCADE,
        method_path TEXT COLLATE "C" NOT NULL,
        PRIMARY KEY (user_id, method_path)
      );
      """)
}
