import Foundation
import Testing

@_spi(Testing) import FieldReportStore
import FieldReportWorkflow
import StoreTestSupport

/// Drafts live outside the journal: per (case, author), version-checked, never versioned.
@Suite("Drafts")
struct DraftStoreTests {
  /// A case assigned to Đinh Trường Toàn at Đồng Lộc.
  static func assignedCase(_ fixture: StoreFixture) async throws -> Case {
    let created = try await fixture.submit("Buôn bán hàng rong tại 99 Bùi Thị Xuân")
    _ = try await fixture.act(
      StoreFixture.iocOperator, .dispatch(DispatchOrder(unit: StoreFixture.dongLoc)), on: created.id,
      at: StoreFixture.at(6, hour: 10))
    return try await fixture.act(
      StoreFixture.duong, .assign(AssignmentOrder(mainHandler: StoreFixture.toan)), on: created.id,
      at: StoreFixture.at(6, hour: 11)
    ).storedCase
  }

  static func draft(of c: Case, content: String, at: Timestamp) throws -> CaseDraft {
    let actor = try #require(StoreFixture.directory.actor(StoreFixture.toan))
    return try CaseWorkflow.checkDraft(
      c, by: actor, expectedVersion: c.version, content: content, attachments: [],
      outputProductNumber: "15/UBND", now: at
    ).get()
  }

  @Test("a saved draft bumps no version, writes no journal entry, survives reopen, and is consumed by the submission", arguments: StoreEngine.all)
  func draftLifecycle(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture.make(engine: engine)
    let assigned = try await Self.assignedCase(fixture)
    let journalBefore = try await fixture.store.journal(caseID: assigned.id).count

    let first = try Self.draft(of: assigned, content: "Bản nháp 1", at: StoreFixture.at(6, hour: 12))
    try await fixture.store.saveDraft(first, expectedVersion: assigned.version)
    let second = try Self.draft(of: assigned, content: "Bản nháp 2", at: StoreFixture.at(6, hour: 13))
    try await fixture.store.saveDraft(second, expectedVersion: assigned.version)
    #expect(try await fixture.store.findCase(id: assigned.id)?.version == assigned.version)
    #expect(try await fixture.store.journal(caseID: assigned.id).count == journalBefore)
    #expect(try await fixture.store.draft(caseID: assigned.id, author: StoreFixture.toan) == second)
    #expect(try await fixture.store.draft(caseID: assigned.id, author: StoreFixture.duong) == nil)
    // A stale version writes nothing.
    let stale = try Self.draft(of: assigned, content: "Cũ", at: StoreFixture.at(6, hour: 14))
    await #expect(throws: StoreError.staleVersion(expected: assigned.version - 1, actual: assigned.version)) {
      try await fixture.store.saveDraft(stale, expectedVersion: assigned.version - 1)
    }
    await #expect(throws: StoreError.notFound("case nowhere")) {
      var lost = stale
      lost.caseID = "nowhere"
      try await fixture.store.saveDraft(lost, expectedVersion: 1)
    }
    #expect(try await fixture.store.draft(caseID: assigned.id, author: StoreFixture.toan)?.content == "Bản nháp 2")
    await fixture.store.close()

    let reopened = try await fixture.reopen()
    #expect(try await reopened.draft(caseID: assigned.id, author: StoreFixture.toan) == second)
    let current = try #require(try await reopened.findCase(id: assigned.id))
    let submit = try StoreFixture.decide(
      StoreFixture.toan, .submitResult(nextHandler: nil, outputProduct: nil), on: current, content: "Kết quả",
      at: StoreFixture.at(6, hour: 15))
    _ = try await reopened.apply(submit, expectedVersion: current.version, idempotencyKey: nil)
    #expect(try await reopened.draft(caseID: assigned.id, author: StoreFixture.toan) == nil)
    await reopened.close()
    fixture.removeStorage()
  }

  @Test("a draft kept in a version 3 case body moves to the drafts table on migration")
  func legacyDraftMigrates() async throws {
    let directory = FileManager.default.temporaryDirectory
      .appendingPathComponent("fieldreport-store-drafts-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let path = directory.appendingPathComponent("old.sqlite").path
    let old = try await SQLiteFieldReportStore(path: path)
    let fixture = StoreFixture(directory: directory, path: path, store: old)
    try await fixture.seed()
    let created = try await fixture.submit("Rác thải")
    try await fixture.rewindToVersion3()
    #expect(try await old.schemaVersion() == 3)
    let at = StoreFixture.at(6, hour: 9).millisecondsSince1970
    // Versions 1 to 3 wrote JSON case bodies and kept the draft inside them.
    let json = try JSONEncoder().encode(created).map { String(format: "%02x", $0) }.joined()
    try await old.executeRawSQLForTesting(
      """
      UPDATE cases SET body = X'\(json)' WHERE id = '\(created.id)';
      UPDATE cases SET body = CAST(json_set(CAST(body AS TEXT), '$.draft',
        json('{"author":"dinh-truong-toan","content":"Nháp cũ","attachments":[],"at":\(at)}')) AS BLOB)
      WHERE id = '\(created.id)'
      """)
    await old.close()

    let migrated = try await SQLiteFieldReportStore(path: path)
    let draft = try #require(try await migrated.draft(caseID: created.id, author: StoreFixture.toan))
    #expect(draft.content == "Nháp cũ")
    #expect(draft.savedAt == StoreFixture.at(6, hour: 9))
    // The case still decodes (the old field is ignored).
    #expect(try await migrated.findCase(id: created.id)?.title == "Rác thải")
    await migrated.close()
  }
}
