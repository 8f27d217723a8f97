import FieldReportAPI
import FieldReportServices
@_spi(Testing) import FieldReportStore
import FieldReportWorkflow
import Foundation
import TestSupport
import Logging
import RPCCore
import RPCNIO
import Testing
import WireBridge

/// `fieldreport-server backup` and `verify`, over the real binary and real SQLite files.
@Suite("fieldreport-server backup and verify")
struct OperatorToolsTests {
  typealias P = DemoProvince

  /// What one run of the binary printed, and how it ended.
  struct Run {
    let status: Int32
    let output: String
    let error: String
  }

  /// Runs `fieldreport-server` with `arguments` to its end.
  static func run(_ arguments: [String]) async throws -> Run {
    let binary = try #require(ServerExecutableTests.serverURL(), "build fieldreport-server first (swift build)")
    let child = try await Process.runToEnd(binary, arguments)
    return Run(status: child.status, output: child.output, error: child.error)
  }

  /// A database file with the demo province and four cases (one dispatched: two journal
  /// entries), its store closed; the folder is the caller's to remove.
  static func makeDatabase() async throws -> (world: CaseWorld, database: String, cases: [Fieldreport_V1_CaseSummary]) {
    let world = try await CaseWorld.make()
    var cases: [Fieldreport_V1_CaseSummary] = []
    for number in 1...4 {
      cases.append(try await world.submit("Phản ánh hiện trường số \(number)"))
    }
    cases[0] = try await world.dispatch(cases[0], to: P.dongLoc)
    await world.store.close()
    return (world, world.server.directory.appendingPathComponent("test.sqlite").path, cases)
  }

  static func mode(_ path: String) throws -> Int {
    try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
  }

  /// Opens `path` as the server would, runs `sql` on it (a person with access to the file
  /// tampering with it) and closes it.
  static func tamper(_ path: String, _ sql: String) async throws {
    let store = try await SQLiteFieldReportStore(path: path)
    try await store.executeRawSQLForTesting(sql)
    await store.close()
  }

  @Test("backup while the server runs: a whole copy, 0600, no partial file; refuses to overwrite without --force", .timeLimit(.minutes(2)))
  func backupWhileServing() async throws {
    let (world, database, cases) = try await Self.makeDatabase()
    defer { try? FileManager.default.removeItem(at: world.server.directory) }
    let binary = try #require(ServerExecutableTests.serverURL(), "build fieldreport-server first (swift build)")
    let (process, port, _) = try await ServerExecutableTests.launch(
      binary, arguments: ["--port", "0", "--database", database, "--log-level", "warning", "--scrypt-log-n", "10"],
      environment: [:])
    defer { if process.isRunning { process.terminate() } }

    // One more case through the running server: the backup must see the server's writes.
    let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
    let client = RPCClient(configuration: .init(host: "127.0.0.1", port: port), logger: logger)
    let live = CaseWorld(server: world.server, transport: client, tokens: world.tokens)
    let fifth = try await live.submit("Phản ánh qua máy chủ đang chạy")
    await client.close()

    let backups = world.server.directory.appendingPathComponent("backups")
    try FileManager.default.createDirectory(at: backups, withIntermediateDirectories: false)
    let target = backups.appendingPathComponent("fr-backup.sqlite").path
    let first = try await Self.run(["backup", "--to", target, "--database", database])
    #expect(first.status == 0, "\(first.error)")
    #expect(first.output.contains("Backed up"))
    #expect(try Self.mode(target) == 0o600)
    #expect(try FileManager.default.contentsOfDirectory(atPath: backups.path) == ["fr-backup.sqlite"])

    // The server is still serving.
    let again = RPCClient(configuration: .init(host: "127.0.0.1", port: port), logger: logger)
    var health = Rpc_V1_HealthCheckRequest()
    health.service = ""
    #expect(try await again.call(HealthService.check, health, options: .defaults).status == .serving)
    await again.close()

    // The live database verifies while the server runs.
    let verifyLive = try await Self.run(["verify", "--database", database])
    #expect(verifyLive.status == 0, "\(verifyLive.output)\(verifyLive.error)")

    // No overwrite without --force: the file is left as it is.
    let size = try #require(try FileManager.default.attributesOfItem(atPath: target)[.size] as? Int)
    let refused = try await Self.run(["backup", "--to", target, "--database", database])
    #expect(refused.status == 1)
    #expect(refused.error.contains("already exists") && refused.error.contains("--force"), "\(refused.error)")
    #expect(try FileManager.default.attributesOfItem(atPath: target)[.size] as? Int == size)
    let forced = try await Self.run(["backup", "--to", target, "--database", database, "--force"])
    #expect(forced.status == 0, "\(forced.error)")
    #expect(try Self.mode(target) == 0o600)
    // The backup is one file: verifying it (read-only) leaves no -wal or -shm beside it.
    let verifyCopy = try await Self.run(["verify", "--database", target])
    #expect(verifyCopy.status == 0, "\(verifyCopy.output)\(verifyCopy.error)")
    #expect(verifyCopy.output.contains("journal chains: 5 cases, 6 entries, all intact"), "\(verifyCopy.output)")
    #expect(try FileManager.default.contentsOfDirectory(atPath: backups.path) == ["fr-backup.sqlite"])

    // Operator mistakes are refused with the flag to change.
    let ontoItself = try await Self.run(["backup", "--to", database, "--database", database, "--force"])
    #expect(ontoItself.status == 1)
    #expect(ontoItself.error.contains("is the database"), "\(ontoItself.error)")
    let noFolder = try await Self.run(["backup", "--to", backups.appendingPathComponent("none/x.sqlite").path, "--database", database])
    #expect(noFolder.status == 1)
    #expect(noFolder.error.contains("folder of --to"), "\(noFolder.error)")
    let noDatabase = try await Self.run(["backup", "--to", target + ".2", "--database", database + ".missing"])
    #expect(noDatabase.status == 1)
    #expect(noDatabase.error.contains("--database"), "\(noDatabase.error)")

    process.terminate()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0)

    // The copy opens and holds the same cases, the server's last one included.
    let copy = try await SQLiteFieldReportStore(path: target)
    #expect(try await copy.scalarForTesting("SELECT COUNT(*) FROM cases") == 5)
    for summary in cases + [fifth] {
      let stored = try #require(try await copy.findCase(id: CaseID(summary.caseId)))
      #expect(stored.reportCode.rawValue == summary.reportCode)
      #expect(try await copy.verifyJournal(caseID: stored.id).isIntact)
    }
    await copy.close()
  }

  @Test("verify passes a good file, and names the case and entry of an edited or deleted journal row", .timeLimit(.minutes(2)))
  func verifyFindsTampering() async throws {
    let (world, database, cases) = try await Self.makeDatabase()
    defer { try? FileManager.default.removeItem(at: world.server.directory) }
    let folder = world.server.directory

    let good = try await Self.run(["verify", "--database", database])
    #expect(good.status == 0, "\(good.output)\(good.error)")
    #expect(good.output.contains("journal chains: 4 cases, 5 entries, all intact"), "\(good.output)")
    #expect(good.output.contains("OK: no problem found."))
    // Progress is for terminals only.
    #expect(!good.error.contains("checking journal chains"))

    // An edited body (the triggers that refuse it dropped first, as someone with the file could).
    let edited = folder.appendingPathComponent("edited.sqlite").path
    #expect(try await Self.run(["backup", "--to", edited, "--database", database]).status == 0)
    try await Self.tamper(
      edited,
      """
      DROP TRIGGER journal_no_update;
      UPDATE journal SET body = body || x'00' WHERE case_id = '\(cases[0].caseId)' AND case_seq = 2;
      """)
    let editedRun = try await Self.run(["verify", "--database", edited])
    #expect(editedRun.status == 1)
    #expect(
      editedRun.output.contains("case \(cases[0].reportCode) (id \(cases[0].caseId)), entry 2: the entry was altered"),
      "\(editedRun.output)")
    #expect(editedRun.output.contains("FAILED: 1 problem found."))

    // A deleted first entry of a case with two: the chain has a hole.
    let deleted = folder.appendingPathComponent("deleted.sqlite").path
    #expect(try await Self.run(["backup", "--to", deleted, "--database", database]).status == 0)
    try await Self.tamper(
      deleted,
      """
      DROP TRIGGER journal_no_delete;
      DELETE FROM journal WHERE case_id = '\(cases[0].caseId)' AND case_seq = 1;
      """)
    let deletedRun = try await Self.run(["verify", "--database", deleted])
    #expect(deletedRun.status == 1)
    #expect(
      deletedRun.output.contains("case \(cases[0].reportCode) (id \(cases[0].caseId)), entry 1: entry 1 is missing"),
      "\(deletedRun.output)")
    // The last entry of a case with one: the case's version no longer matches.
    let truncated = folder.appendingPathComponent("truncated.sqlite").path
    #expect(try await Self.run(["backup", "--to", truncated, "--database", database]).status == 0)
    try await Self.tamper(
      truncated,
      """
      DROP TRIGGER journal_no_delete;
      DELETE FROM journal WHERE case_id = '\(cases[2].caseId)' AND case_seq = 1;
      """)
    let truncatedRun = try await Self.run(["verify", "--database", truncated])
    #expect(truncatedRun.status == 1)
    #expect(
      truncatedRun.output.contains("case \(cases[2].reportCode) (id \(cases[2].caseId)), entry 1: the case is at version 1"),
      "\(truncatedRun.output)")

    // Damaged pages: SQLite's integrity check names them, and the run goes on (exit 1, not 2).
    let damaged = folder.appendingPathComponent("damaged.sqlite").path
    #expect(try await Self.run(["backup", "--to", damaged, "--database", database]).status == 0)
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: damaged))
    try handle.seek(toOffset: 4096 * 8)
    try handle.write(contentsOf: Data(repeating: 0xA5, count: 4096 * 12))
    try handle.close()
    let damagedRun = try await Self.run(["verify", "--database", damaged])
    #expect(damagedRun.status == 1, "\(damagedRun.output)\(damagedRun.error)")
    #expect(damagedRun.output.contains("PROBLEM integrity: "), "\(damagedRun.output)")
    #expect(damagedRun.output.contains("integrity_check: FAILED"), "\(damagedRun.output)")

    // A file the tools cannot check at all: exit 2, with the flag to change.
    let missing = try await Self.run(["verify", "--database", folder.appendingPathComponent("none.sqlite").path])
    #expect(missing.status == 2)
    #expect(missing.error.contains("--database"), "\(missing.error)")
    let notDatabase = folder.appendingPathComponent("text.sqlite").path
    try Data(String(repeating: "not a database\n", count: 100).utf8).write(to: URL(fileURLWithPath: notDatabase))
    let garbage = try await Self.run(["verify", "--database", notDatabase])
    #expect(garbage.status == 2, "\(garbage.output)\(garbage.error)")
  }

  @Test("verify reports a newer schema instead of guessing, and never migrates an older one", .timeLimit(.minutes(2)))
  func verifySchemaVersions() async throws {
    let (world, database, _) = try await Self.makeDatabase()
    defer { try? FileManager.default.removeItem(at: world.server.directory) }
    let folder = world.server.directory

    let newer = folder.appendingPathComponent("newer.sqlite").path
    #expect(try await Self.run(["backup", "--to", newer, "--database", database]).status == 0)
    try await Self.tamper(newer, "PRAGMA user_version = 999")
    let newerRun = try await Self.run(["verify", "--database", newer])
    #expect(newerRun.status == 1)
    #expect(newerRun.output.contains("schema version 999, newer than this build's"), "\(newerRun.output)")
    #expect(newerRun.output.contains("journal chains: not checked (see the problems above)"))

    let older = folder.appendingPathComponent("older.sqlite").path
    let store = try await SQLiteFieldReportStore(path: older, configuration: StoreConfiguration(), schemaVersion: 8)
    await store.close()
    let olderRun = try await Self.run(["verify", "--database", older])
    #expect(olderRun.status == 0, "\(olderRun.output)")
    #expect(olderRun.output.contains("older schema"), "\(olderRun.output)")
    let reopened = try await SQLiteFieldReportStore(path: older, configuration: StoreConfiguration(), schemaVersion: 8)
    #expect(try await reopened.schemaVersion() == 8)
    await reopened.close()
  }
}
