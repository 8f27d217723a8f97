import Foundation
import Testing

@_spi(Testing) import FieldReportStore
import FieldReportWorkflow

@Suite("Store lifecycle and migrations")
struct StoreLifecycleTests {
  /// The schema version this build writes.
  static let latest = 15
  /// Migrations applied to a fresh file (every version from 1).
  static let applied = 15

  @Test("a fresh file migrates to the latest schema version")
  func freshFileMigrates() async throws {
    let fixture = try await StoreFixture.make(seed: false)
    #expect(try await fixture.sqlite.schemaVersion() == Self.latest)
    #expect(try await fixture.store.scalarForTesting("SELECT COUNT(*) FROM schema_migrations") == Int64(Self.applied))
    #expect(try await fixture.store.scalarForTesting("SELECT MAX(version) FROM schema_migrations") == Int64(Self.latest))
    #expect(try await fixture.store.scalarForTesting("PRAGMA foreign_keys") == 1)
    await fixture.finish()
  }

  @Test("data survives close and reopen")
  func reopenAfterClose() async throws {
    let fixture = try await StoreFixture.make()
    let created = try await fixture.submit("Làm việc gây ồn ào tại 81 Ngô Quyền")
    _ = try await fixture.act(
      StoreFixture.iocOperator, .dispatch(DispatchOrder(unit: StoreFixture.dongLoc)), on: created.id,
      at: StoreFixture.at(6, hour: 10))
    await fixture.store.close()

    let reopened = try await SQLiteFieldReportStore(path: fixture.path)
    let found = try #require(try await reopened.findCase(code: created.reportCode))
    #expect(found.id == created.id)
    #expect(found.version == 2)
    #expect(found.state == .atUnit)
    #expect(try await reopened.journal(caseID: created.id).count == 2)
    #expect(try await reopened.verifyJournal(caseID: created.id).isIntact)
    #expect(try await reopened.units().count == StoreFixture.units.count)
    await reopened.close()
    try? FileManager.default.removeItem(at: fixture.directory)
  }

  @Test("a second store on a file being served is refused with the reason, until the first closes")
  func oneStorePerFile() async throws {
    let fixture = try await StoreFixture.make(seed: false)
    let refused = await #expect(throws: StoreError.self) { _ = try await SQLiteFieldReportStore(path: fixture.path) }
    guard case .unavailable(let failure)? = refused else {
      Issue.record("a second store on the file: \(String(describing: refused)), expected unavailable")
      return
    }
    #expect("\(failure)".contains("is already open in another process"), "\(failure)")
    // The first store still works, and once it is closed the file opens again.
    #expect(try await fixture.store.units().isEmpty)
    await fixture.store.close()
    let second = try await SQLiteFieldReportStore(path: fixture.path)
    #expect(try await second.units().isEmpty)
    await second.close()
    try? FileManager.default.removeItem(at: fixture.directory)
  }

  @Test("a closed store refuses work with unavailable")
  func closedStoreRefuses() async throws {
    let fixture = try await StoreFixture.make(seed: false)
    await fixture.store.close()
    // UNAVAILABLE, not any store error: the services map it to a retryable status.
    let read = await #expect(throws: StoreError.self) { try await fixture.store.units() }
    guard case .unavailable? = read else {
      Issue.record("a read on a closed store: \(String(describing: read)), expected unavailable")
      return
    }
    let write = await #expect(throws: StoreError.self) {
      try await fixture.store.executeRawSQLForTesting("SELECT 1")
    }
    guard case .unavailable? = write else {
      Issue.record("a write on a closed store: \(String(describing: write)), expected unavailable")
      return
    }
    try? FileManager.default.removeItem(at: fixture.directory)
  }

  @Test("a version 1 file with data migrates forward and keeps its data")
  func oldVersionMigrates() async throws {
    let directory = FileManager.default.temporaryDirectory
      .appendingPathComponent("fieldreport-store-v1-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let path = directory.appendingPathComponent("old.sqlite").path

    // Build a file exactly as version 1 left it, with a user written in v1's columns.
    let old = try await SQLiteFieldReportStore(path: path, configuration: StoreConfiguration(), schemaVersion: 1)
    #expect(try await old.schemaVersion() == 1)
    #expect(try await old.scalarForTesting("SELECT COUNT(*) FROM sqlite_master WHERE name = 'attachments'") == 0)
    let unitBody = String(decoding: try JSONEncoder().encode(StoreFixture.units[0]), as: UTF8.self)
    let userBody = String(decoding: try JSONEncoder().encode(StoreFixture.users[2]), as: UTF8.self)
    try await old.executeRawSQLForTesting(
      """
      INSERT INTO units(id, name, kind, parent_id, body) VALUES ('ioc', 'Trung tâm IOC', 'ioc', NULL, '\(unitBody)');
      INSERT INTO users(id, username, full_name, kind, home_unit_id, is_active, body)
      VALUES ('le-dai-thang', 'thang', 'Lê Đại Thắng', 'staff', NULL, 1, '\(userBody)');
      """)
    await old.close()

    let migrated = try await SQLiteFieldReportStore(path: path)
    #expect(try await migrated.schemaVersion() == Self.latest)
    // The v2 backfill folded the old user's name, so diacritic-free search finds them.
    let found = try await migrated.searchUsers(text: "thang", limit: 10)
    #expect(found.map(\.id) == [StoreFixture.thang])
    #expect(try await migrated.findUser(username: "thang")?.user.fullName == "Lê Đại Thắng")
    // Tables of later versions exist and work.
    let ref = try await migrated.putAttachment(
      [1, 2, 3], name: "a.bin", mimeType: "application/octet-stream", uploadedBy: StoreFixture.thang,
      at: StoreFixture.at(6)).ref
    #expect(try await migrated.findAttachment(sha256Hex: ref.sha256Hex)?.content == [1, 2, 3])
    await migrated.close()
  }

  @Test("a version 3 file with an attachment migrates to version 4: uploads are recorded from then on")
  func version3Migrates() async throws {
    let directory = FileManager.default.temporaryDirectory
      .appendingPathComponent("fieldreport-store-v3-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let path = directory.appendingPathComponent("old.sqlite").path

    let old = try await SQLiteFieldReportStore(path: path, configuration: StoreConfiguration(), schemaVersion: 3)
    #expect(try await old.schemaVersion() == 3)
    #expect(try await old.scalarForTesting("SELECT COUNT(*) FROM sqlite_master WHERE name = 'attachment_uploads'") == 0)
    let unitBody = String(decoding: try JSONEncoder().encode(StoreFixture.units[0]), as: UTF8.self)
    let userBody = String(decoding: try JSONEncoder().encode(StoreFixture.users[2]), as: UTF8.self)
    // SHA-256 of the three bytes 01 02 03, stored as version 3 stored content (no uploader).
    let hash = "039058c6f2c0cb492c533b0a4d14ef77cc0f78abccced5287d84a1a2011cfb81"
    try await old.executeRawSQLForTesting(
      """
      INSERT INTO units(id, name, kind, parent_id, body) VALUES ('ioc', 'Trung tâm IOC', 'ioc', NULL, '\(unitBody)');
      INSERT INTO users(id, username, full_name, kind, home_unit_id, is_active, body)
      VALUES ('le-dai-thang', 'thang', 'Lê Đại Thắng', 'staff', NULL, 1, '\(userBody)');
      INSERT INTO attachments(sha256, size, mime_type, content, created_at)
      VALUES (X'\(hash)', 3, 'image/png', X'010203', 1);
      """)
    await old.close()

    let migrated = try await SQLiteFieldReportStore(path: path)
    #expect(try await migrated.schemaVersion() == Self.latest)
    #expect(try await migrated.findAttachment(sha256Hex: hash)?.content == [1, 2, 3])
    // Content from before version 4 has no upload record: its uploader is unknown.
    #expect(try await migrated.attachmentUploads(sha256Hex: hash).isEmpty)
    let upload = try await migrated.putAttachment(
      [1, 2, 3], name: "anh.png", mimeType: "image/png", uploadedBy: StoreFixture.thang, at: StoreFixture.at(6))
    #expect(upload.ref.sha256Hex == hash)
    #expect(try await migrated.attachmentUploads(sha256Hex: hash).map(\.ref.name) == ["anh.png"])
    #expect(try await migrated.scalarForTesting("SELECT COUNT(*) FROM attachments") == 1)
    await migrated.close()
  }

  @Test("a file from a newer schema is refused")
  func newerSchemaRefused() async throws {
    let fixture = try await StoreFixture.make(seed: false)
    try await fixture.store.executeRawSQLForTesting("PRAGMA user_version = 99")
    await fixture.store.close()
    await #expect(throws: StoreError.self) { _ = try await SQLiteFieldReportStore(path: fixture.path) }
    try? FileManager.default.removeItem(at: fixture.directory)
  }

  @Test("a version 5 file migrates to version 6: its API keys keep working and never expire")
  func version5Migrates() async throws {
    let fixture = try await StoreFixture.make()
    let key = "frk_live_00112233445566778899"
    try await fixture.store.createAPIKey(key, userID: StoreFixture.platform, label: "platform", expiresAt: nil, at: StoreFixture.at(6))
    try await fixture.rewindToVersion5()
    #expect(try await fixture.sqlite.schemaVersion() == 5)
    await fixture.store.close()

    let migrated = try await SQLiteFieldReportStore(path: fixture.path)
    #expect(try await migrated.schemaVersion() == Self.latest)
    let found = try await migrated.findAPIKey(key, at: StoreFixture.at(900))
    #expect(found?.userID == StoreFixture.platform && found?.expiresAt == nil)
    await migrated.close()
    try? FileManager.default.removeItem(at: fixture.directory)
  }

  @Test("a version 6 file migrates to version 7: existing re-reports are found from the case they re-report")
  func version6Migrates() async throws {
    let fixture = try await StoreFixture.make()
    let original = try await fixture.submit("Đèn đường hỏng")
    var report = StoreFixture.report("Đèn đường vẫn hỏng")
    report.linkedCaseID = original.id
    let again = try await fixture.store.createCase(
      receivedAt: StoreFixture.at(7), idempotencyKey: nil,
      build: StoreFixture.submission(report, at: StoreFixture.at(7))
    ).storedCase
    #expect(try await fixture.store.rereports(of: original.id) == [again.id])
    try await fixture.rewindToVersion6()
    #expect(try await fixture.store.rereports(of: original.id) == [])
    await fixture.store.close()

    let migrated = try await SQLiteFieldReportStore(path: fixture.path)
    #expect(try await migrated.schemaVersion() == Self.latest)
    #expect(try await migrated.rereports(of: original.id) == [again.id])
    #expect(try await migrated.rereports(of: again.id) == [])
    await migrated.close()
    try? FileManager.default.removeItem(at: fixture.directory)
  }

  @Test("a version 11 file migrates to version 14: task outcomes are filled from the stored columns, a confirmed return is counted after")
  func version11Migrates() async throws {
    let fixture = try await StoreFixture.make()
    // Resolved (approved), returned to the IOC, monitoring closed, and one still open.
    let resolved = try await fixture.submit("Đã xử lý")
    try await fixture.act(StoreFixture.iocOperator, .dispatch(DispatchOrder(unit: StoreFixture.dongLoc)), on: resolved.id, at: StoreFixture.at(6, hour: 10))
    try await fixture.act(StoreFixture.duong, .assign(AssignmentOrder(mainHandler: StoreFixture.thang)), on: resolved.id, at: StoreFixture.at(6, hour: 11))
    try await fixture.act(StoreFixture.thang, .submitResult(nextHandler: StoreFixture.duong, outputProduct: nil), on: resolved.id, at: StoreFixture.at(7))
    try await fixture.act(StoreFixture.duong, .approve, on: resolved.id, at: StoreFixture.at(7, hour: 12))
    let returned = try await fixture.submit("Trả về")
    try await fixture.act(StoreFixture.iocOperator, .dispatch(DispatchOrder(unit: StoreFixture.dongLoc)), on: returned.id, at: StoreFixture.at(6, hour: 10))
    try await fixture.act(StoreFixture.duong, .returnToIoc, on: returned.id, content: "Không đúng chức năng", at: StoreFixture.at(6, hour: 12))
    let monitored = try await fixture.submit("Theo dõi")
    try await fixture.act(StoreFixture.iocOperator, .dispatch(DispatchOrder(unit: StoreFixture.dongLoc)), on: monitored.id, at: StoreFixture.at(6, hour: 10))
    try await fixture.act(StoreFixture.duong, .transferForMonitoring(recipients: [StoreFixture.thang], group: nil), on: monitored.id, at: StoreFixture.at(6, hour: 11))
    try await fixture.act(StoreFixture.duong, .closeMonitoring, on: monitored.id, at: StoreFixture.at(6, hour: 12))
    let open = try await fixture.submit("Đang mở")
    try await fixture.act(StoreFixture.iocOperator, .dispatch(DispatchOrder(unit: StoreFixture.dongLoc)), on: open.id, at: StoreFixture.at(6, hour: 10))
    let before = try await fixture.store.unitStatistics(
      unitID: StoreFixture.dongLoc, from: StoreFixture.at(1), to: StoreFixture.at(20), now: StoreFixture.at(8))
    try await fixture.rewindToVersion11()
    await fixture.store.close()

    let migrated = try await SQLiteFieldReportStore(path: fixture.path)
    #expect(try await migrated.schemaVersion() == Self.latest)
    func outcome(_ c: Case) async throws -> Int64? {
      try await migrated.scalarForTesting(
        "SELECT CASE outcome WHEN 'resolved' THEN 1 WHEN 'returned_to_ioc' THEN 2 WHEN 'monitoring_closed' THEN 3 ELSE 0 END FROM unit_tasks WHERE case_id = '\(c.id.rawValue)'")
    }
    #expect(try await outcome(resolved) == 1)
    #expect(try await outcome(returned) == 2)
    #expect(try await outcome(monitored) == 3)
    #expect(try await outcome(open) == 0)
    // The same figures as before the rewind: volume, counts, the approved task's handling time.
    let after = try await migrated.unitStatistics(
      unitID: StoreFixture.dongLoc, from: StoreFixture.at(1), to: StoreFixture.at(20), now: StoreFixture.at(8))
    #expect(after == before)
    #expect(after.first?.volume == 4 && after.first?.returnedToIoc == 1 && after.first?.returnedConfirmed == 0)
    #expect(after.first?.handlingMilliseconds == [StoreFixture.at(7, hour: 12).millisecondsSince1970 - StoreFixture.at(6, hour: 10).millisecondsSince1970])
    // The IOC confirms the return while re-dispatching it: stored on the returned task.
    let current = try #require(try await migrated.findCase(id: returned.id))
    let transition = try StoreFixture.decide(
      StoreFixture.iocOperator, .dispatch(DispatchOrder(unit: StoreFixture.tranPhu, returnOutsideCompetence: true)), on: current,
      at: StoreFixture.at(6, hour: 13))
    _ = try await migrated.apply(transition, expectedVersion: current.version, idempotencyKey: nil)
    let confirmed = try await migrated.unitStatistics(
      unitID: StoreFixture.dongLoc, from: StoreFixture.at(1), to: StoreFixture.at(20), now: StoreFixture.at(8))
    #expect(confirmed.first?.returnedConfirmed == 1)
    #expect(try await migrated.verifyJournal(caseID: returned.id).isIntact)
    await migrated.close()
    try? FileManager.default.removeItem(at: fixture.directory)
  }

  @Test("a version 10 file migrates to version 11: the repeated journal index is gone, journals read the same")
  func version10Migrates() async throws {
    let fixture = try await StoreFixture.make()
    let submitted = try await fixture.submit("Đèn đường hỏng")
    let journal = try await fixture.store.journal(caseID: submitted.id)
    try await fixture.rewindToVersion10()
    #expect(try await fixture.store.scalarForTesting("SELECT COUNT(*) FROM sqlite_master WHERE name = 'journal_by_case'") == 1)
    await fixture.store.close()

    let migrated = try await SQLiteFieldReportStore(path: fixture.path)
    #expect(try await migrated.schemaVersion() == Self.latest)
    #expect(try await migrated.scalarForTesting("SELECT COUNT(*) FROM sqlite_master WHERE name = 'journal_by_case'") == 0)
    #expect(try await migrated.journal(caseID: submitted.id).map(\.entry) == journal.map(\.entry))
    #expect(try await migrated.verifyJournal(caseID: submitted.id).isIntact)
    await migrated.close()
    try? FileManager.default.removeItem(at: fixture.directory)
  }

  @Test("a version 9 file migrates to version 10: its accounts start with no client certificate and unrestricted method rights")
  func version9Migrates() async throws {
    let fixture = try await StoreFixture.make()
    let original = try await fixture.submit("Đèn đường hỏng")
    try await fixture.rewindToVersion9()
    await fixture.store.close()

    let migrated = try await SQLiteFieldReportStore(path: fixture.path)
    #expect(try await migrated.schemaVersion() == Self.latest)
    #expect(try await migrated.findCase(id: original.id) != nil)
    #expect(try await migrated.scalarForTesting("SELECT COUNT(*) FROM method_rights_accounts") == 0)
    #expect(try await migrated.scalarForTesting("SELECT COUNT(*) FROM client_certificates") == 0)
    #expect(try await migrated.methodRights(userID: UserID("u-anyone")) == nil)
    await migrated.close()
    try? FileManager.default.removeItem(at: fixture.directory)
  }
}
