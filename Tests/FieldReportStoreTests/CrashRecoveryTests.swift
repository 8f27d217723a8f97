import Foundation
import TestSupport
import Testing

@_spi(Testing) import FieldReportStore
import FieldReportWorkflow

@Suite("Crash in the middle of a transaction")
struct CrashRecoveryTests {
  /// The helper executable, built next to the test bundle by `swift build` / `swift test`.
  static func helperURL() -> URL? {
    var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for _ in 0..<4 {
      let candidate = directory.appendingPathComponent("fieldreport-store-crashhelper")
      if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
      directory = directory.deletingLastPathComponent()
    }
    return nil
  }

  /// Runs the helper with `arguments` on the closed store's file and checks that it died of
  /// its own SIGKILL.
  static func runHelperUntilKilled(_ arguments: [String]) throws {
    let helper = try #require(helperURL(), "build fieldreport-store-crashhelper first (swift build)")
    let process = Process()
    process.executableURL = helper
    process.arguments = arguments
    try process.runSerialized()
    process.waitUntilExit()
    #expect(process.terminationReason == .uncaughtSignal)
    #expect(process.terminationStatus == SIGKILL)
  }

  @Test("a process killed before COMMIT leaves no partial write")
  func killedWriterLeavesNothing() async throws {
    let fixture = try await StoreFixture.make()
    // 9:00 on 6 March 2026, the same day the helper uses.
    let committed = try await fixture.submit("Đã lưu", at: Timestamp(millisecondsSince1970: 1_772_762_400_000))
    await fixture.store.close()
    // Enough rows (≈ 2 MB of pages) that SQLite spills uncommitted pages into the WAL file
    // before the kill: the recovery must ignore frames without a commit record.
    try Self.runHelperUntilKilled([fixture.path, "1500"])

    let reopened = try await SQLiteFieldReportStore(path: fixture.path)
    #expect(try await reopened.scalarForTesting("SELECT COUNT(*) FROM cases") == 1)
    #expect(try await reopened.scalarForTesting("SELECT COUNT(*) FROM journal") == 1)
    #expect(try await reopened.scalarForTesting("SELECT COUNT(*) FROM case_links WHERE kind = 'holder'") == 0)
    #expect(try await reopened.scalarForTesting("SELECT last_value FROM report_sequences") == 1)
    #expect(try await reopened.verifyJournal(caseID: committed.id).isIntact)
    // The file is consistent and writable: the next code continues the committed sequence.
    let next = try await reopened.createCase(
      receivedAt: Timestamp(millisecondsSince1970: 1_772_762_400_000), idempotencyKey: nil,
      build: StoreFixture.submission(StoreFixture.report("Sau sự cố"), at: Timestamp(millisecondsSince1970: 1_772_762_400_000)))
    #expect(next.storedCase.reportCode.rawValue == "060326002")
    await reopened.close()
    try? FileManager.default.removeItem(at: fixture.directory)
  }

  /// The writer's WAL goes through the write-coalescing VFS (CSQLiteVFS), which holds frames
  /// in memory until the commit frame: a process killed right after its commits returned, with
  /// nothing closed, must still leave every committed case in the file.
  @Test("a process killed right after its commits keeps every committed case")
  func killedAfterCommitsKeepsThem() async throws {
    let fixture = try await StoreFixture.make()
    let first = try await fixture.submit("Trước sự cố", at: Timestamp(millisecondsSince1970: 1_772_762_400_000))
    await fixture.store.close()
    // 120 cases committed (each its own write, batched), then one transaction killed.
    try Self.runHelperUntilKilled([fixture.path, "300", "120"])

    let reopened = try await SQLiteFieldReportStore(path: fixture.path)
    #expect(try await reopened.scalarForTesting("SELECT COUNT(*) FROM cases") == 121)
    #expect(try await reopened.scalarForTesting("SELECT COUNT(*) FROM cases WHERE title LIKE 'Đã lưu %'") == 120)
    #expect(try await reopened.scalarForTesting("SELECT COUNT(*) FROM journal") == 121)
    #expect(try await reopened.scalarForTesting("SELECT last_value FROM report_sequences") == 121)
    #expect(try await reopened.verifyJournal(caseID: first.id).isIntact)
    await reopened.close()
    // Every page, index and journal chain (the operators' `verify`).
    let report = try StoreVerifier.verify(database: fixture.path)
    #expect(report.isClean, "\(report)")
    try? FileManager.default.removeItem(at: fixture.directory)
  }
}
