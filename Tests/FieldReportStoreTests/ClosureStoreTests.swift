import FieldReportStore
import FieldReportWorkflow
import Foundation
import StoreTestSupport
import Testing

/// Issue 14 in the store: outcomes per unit (`case_outcomes`), duplicate links and verdicts
/// (`case_verdicts`), on both engines, and their backfill by the migration that adds them.
@Suite("Closure outcomes, duplicate links and verdicts in the store")
struct ClosureStoreTests {
  typealias F = StoreFixture

  @Test("the migration adding case_outcomes backfills ended cases and duplicate links", arguments: StoreEngine.all)
  func backfill(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture.make(engine: engine)
    let original = try await fixture.submit("Rác thải ùn ứ")
    let duplicate = try await fixture.submit("Rác thải ùn ứ tại chợ")
    try await fixture.act(F.iocOperator, .reject(.duplicate, duplicateOf: original.id), on: duplicate.id, at: F.at(6, hour: 10))
    let spam = try await fixture.submit("Quảng cáo")
    try await fixture.act(F.iocOperator, .reject(.spam), on: spam.id, at: F.at(6, hour: 11))
    #expect(try await fixture.store.duplicates(of: original.id) == [duplicate.id])
    #expect(try await fixture.store.scalarForTesting("SELECT COUNT(*) FROM case_outcomes") == 2)

    // Back to the schema before the tables (SQLite 11, PostgreSQL 3), then reopened: the
    // migration fills them again.
    switch engine {
    case .sqlite:
      try await fixture.rewindToVersion11()
    case .postgres:
      try await fixture.store.executeRawSQLForTesting(
        """
        DROP INDEX unit_tasks_by_received;
        DROP INDEX unit_tasks_by_completed;
        ALTER TABLE unit_tasks DROP COLUMN outcome;
        ALTER TABLE unit_tasks DROP COLUMN return_confirmed;
        ALTER TABLE unit_tasks DROP COLUMN held_ms;
        ALTER TABLE unit_tasks DROP COLUMN held_since;
        DROP TABLE journal_checkpoints;
        DROP TABLE case_verdicts;
        DROP TABLE case_outcomes;
        DELETE FROM case_links WHERE kind = 'duplicates';
        DELETE FROM schema_migrations WHERE version IN (4, 5, 6);
        """)
    }
    await fixture.store.close()
    let migrated = try await fixture.reopen()
    #expect(try await migrated.duplicates(of: original.id) == [duplicate.id])
    #expect(
      try await migrated.scalarForTesting(
        "SELECT COUNT(*) FROM case_outcomes WHERE outcome = 'duplicate' AND unit_id = '\(F.ioc.rawValue)'") == 1)
    #expect(try await migrated.scalarForTesting("SELECT COUNT(*) FROM case_outcomes WHERE outcome = 'not_valid'") == 1)
    #expect(try await migrated.scalarForTesting("SELECT COUNT(*) FROM case_outcomes") == 2)
    await migrated.close()
    fixture.removeStorage()
  }
}
