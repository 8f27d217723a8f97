/// Version 2: wake-ups for other replicas.
///
/// A trigger on `journal` sends `NOTIFY fieldreport_events, '<event_seq>'` for every entry,
/// delivered to listeners when (and only if) the writing transaction commits: a replica's
/// WatchEvents streams wake up and read the journal after their cursor (the event sequence is
/// the cursor; the notification carries no data a listener relies on).
enum PostgresSchemaV2 {
  static let step = PostgresMigrator.Step(
    version: 2, summary: "journal notifications (LISTEN fieldreport_events)",
    sql: """
      CREATE FUNCTION journal_notify() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('fieldreport_events', NEW.event_seq::text);
        RETURN NEW;
      END $$;
      CREATE TRIGGER journal_notify AFTER INSERT ON journal
        FOR EACH ROW EXECUTE FUNCTION journal_notify();
      """)
}
