import Foundation
import Testing

@_spi(Testing) import FieldReportStore
import FieldReportWorkflow
import StoreTestSupport
import TestSupport

@Suite("Journal: append-only and hash-chained")
struct JournalIntegrityTests {
  /// A case with four journal entries.
  static func caseWithHistory(_ fixture: StoreFixture) async throws -> Case {
    let created = try await fixture.submit("Buôn bán hàng rong tại 99 Bùi Thị Xuân")
    _ = try await fixture.act(StoreFixture.iocOperator, .dispatch(DispatchOrder(unit: StoreFixture.dongLoc)), on: created.id, at: StoreFixture.at(6, hour: 10))
    _ = try await fixture.act(StoreFixture.duong, .assign(AssignmentOrder(mainHandler: StoreFixture.toan)), on: created.id, at: StoreFixture.at(6, hour: 11))
    _ = try await fixture.act(StoreFixture.toan, .submitResult(nextHandler: nil, outputProduct: nil), on: created.id, content: "Kết quả", at: StoreFixture.at(6, hour: 12))
    let result = try #require(try await fixture.store.findCase(id: created.id))
    // The expected head comes from the file's bytes, rehashed by the test's own reading of
    // the chain's definition: never from the store under test (the SQLite file; the
    // PostgreSQL engine's chain is checked by its own triggers and ReplicaTests).
    guard fixture.engine == .sqlite else { return result }
    let rows = try await JournalFile.rows(database: fixture.path, caseID: created.id.rawValue)
    #expect(rows.map(\.sequence) == [1, 2, 3, 4])
    let head = JournalFile.recomputedHead(caseID: created.id.rawValue, rows: rows)
    #expect(try await JournalFile.head(database: fixture.path, caseID: created.id.rawValue) == head)
    #expect(try await fixture.store.verifyJournal(caseID: created.id) == .intact(entries: 4, headHashHex: JournalFile.hex(head)))
    return result
  }

  @Test("each check of the verifier fires alone on a journal tampered for it", arguments: JournalTamper.allCases)
  func eachCheckFires(_ tamper: JournalTamper) async throws {
    let fixture = try await StoreFixture.make()
    let stored = try await Self.caseWithHistory(fixture)
    let untouched = try await Self.caseWithHistory(fixture)
    let rows = try await JournalFile.rows(database: fixture.path, caseID: stored.id.rawValue)
    try await fixture.store.executeRawSQLForTesting(tamper.sql(caseID: stored.id.rawValue, rows: rows))
    #expect(
      try await fixture.store.verifyJournal(caseID: stored.id)
        == .broken(sequence: tamper.firstBadSequence, reason: tamper.problem))
    // Only that case: the other one still verifies.
    #expect(try await fixture.store.verifyJournal(caseID: untouched.id).isIntact)
    await fixture.finish()
  }

  @Test("triggers refuse UPDATE and DELETE of journal rows", arguments: StoreEngine.all)
  func triggersRefuse(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture.make(engine: engine)
    let stored = try await Self.caseWithHistory(fixture)
    await #expect(throws: StoreError.self) {
      try await fixture.store.executeRawSQLForTesting("UPDATE journal SET at = at + 1 WHERE case_id = '\(stored.id)'")
    }
    await #expect(throws: StoreError.self) {
      try await fixture.store.executeRawSQLForTesting("DELETE FROM journal WHERE case_id = '\(stored.id)'")
    }
    #expect(try await fixture.store.verifyJournal(caseID: stored.id).isIntact)
    await fixture.finish()
  }

  @Test("an edited entry is detected, even when the triggers are dropped")
  func editDetected() async throws {
    let fixture = try await StoreFixture.make()
    let stored = try await Self.caseWithHistory(fixture)
    try await fixture.store.executeRawSQLForTesting(
      """
      DROP TRIGGER journal_no_update;
      UPDATE journal SET body = replace(body, 'Kết quả', 'Bản sửa') WHERE case_id = '\(stored.id)' AND case_seq = 4;
      """)
    #expect(try await fixture.store.verifyJournal(caseID: stored.id) == .broken(sequence: 4, reason: "the entry was altered"))
    await fixture.finish()
  }

  @Test("an entry edited together with its own hash is detected by the next link")
  func rehashedEditDetected() async throws {
    let fixture = try await StoreFixture.make()
    let stored = try await Self.caseWithHistory(fixture)
    // Forging entry 2's hash too: entry 3's stored previous hash no longer matches.
    try await fixture.store.executeRawSQLForTesting(
      """
      DROP TRIGGER journal_no_update;
      UPDATE journal SET at = at + 1, hash = zeroblob(32) WHERE case_id = '\(stored.id)' AND case_seq = 2;
      """)
    let verdict = try await fixture.store.verifyJournal(caseID: stored.id)
    #expect(!verdict.isIntact)
    if case .broken(let sequence, _) = verdict { #expect(sequence == 2) }
    await fixture.finish()
  }

  @Test("a deleted entry in the middle or at the end is detected")
  func deletionDetected() async throws {
    let fixture = try await StoreFixture.make()
    let first = try await Self.caseWithHistory(fixture)
    let second = try await Self.caseWithHistory(fixture)
    try await fixture.store.executeRawSQLForTesting(
      """
      DROP TRIGGER journal_no_delete;
      DELETE FROM journal WHERE case_id = '\(first.id)' AND case_seq = 2;
      DELETE FROM journal WHERE case_id = '\(second.id)' AND case_seq = 4;
      """)
    #expect(try await fixture.store.verifyJournal(caseID: first.id) == .broken(sequence: 2, reason: "entry 2 is missing"))
    let verdict = try await fixture.store.verifyJournal(caseID: second.id)
    #expect(!verdict.isIntact)
    await fixture.finish()
  }

  @Test("replaying the stored journal reproduces the stored case", arguments: StoreEngine.all)
  func replayMatches(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture.make(engine: engine)
    let stored = try await Self.caseWithHistory(fixture)
    let entries = try await fixture.store.journal(caseID: stored.id).map(\.entry)
    #expect(try CaseReplay.replay(entries) == stored)
    await fixture.finish()
  }
}
