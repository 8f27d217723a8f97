import Foundation
import Synchronization
import Testing

@_spi(Testing) import FieldReportStore
import FieldReportWorkflow

@Suite("Store maintenance: online backup and offline verification")
struct StoreMaintenanceTests {
  /// Runs blocking `body` on its own thread (not the cooperative pool, which the store's
  /// callers need meanwhile).
  static func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
      Thread { continuation.resume(with: Result { try body() }) }.start()
    }
  }

  @Test("a backup taken one page a step while cases are written is whole and verifies", .timeLimit(.minutes(2)))
  func backupUnderWrites() async throws {
    let fixture = try await StoreFixture.make()
    // ~1,200 pages: long enough, at a page a step, for the writes below to restart the copy.
    for number in 0..<1500 { try await fixture.submit("Phản ánh số \(number)") }
    let before = try #require(try await fixture.store.scalarForTesting("SELECT COUNT(*) FROM cases"))

    let writing = Atomic<Bool>(true)
    let writer = Task {
      var written = 0
      while writing.load(ordering: .relaxed) {
        try await fixture.submit("Phản ánh trong lúc sao lưu \(written)")
        written += 1
      }
      return written
    }
    let target = fixture.directory.appendingPathComponent("backup.sqlite").path
    let source = fixture.path
    let summary = try await Self.onThread {
      try StoreBackup.copy(database: source, to: target, replacing: false, pagesPerStep: 1)
    }
    writing.store(false, ordering: .relaxed)
    let written = try await writer.value
    #expect(written > 0)
    #expect(summary.pages > 1)
    // Each write restarts a copy this slow; after three the rest is copied in one step.
    #expect(summary.restarts <= 3)
    #expect(summary.schemaVersion == StoreLifecycleTests.latest)

    let report = try await Self.onThread { try StoreVerifier.verify(database: target) }
    #expect(report.isClean, "\(report.problems)")
    #expect(report.casesChecked >= Int(before))
    #expect(report.casesChecked <= Int(before) + written)

    // The live file verifies while its store is open and writing is over.
    let live = try await Self.onThread { try StoreVerifier.verify(database: source) }
    #expect(live.isClean, "\(live.problems)")
    #expect(live.casesChecked == Int(before) + written)
    await fixture.finish()
  }

  @Test("a backup is refused onto the database itself, onto an existing file, into a missing folder")
  func backupRefusals() async throws {
    let fixture = try await StoreFixture.make(seed: false)
    let existing = fixture.directory.appendingPathComponent("existing.sqlite").path
    try Data("keep me".utf8).write(to: URL(fileURLWithPath: existing))
    #expect(throws: MaintenanceError.targetIsDatabase(path: fixture.path)) {
      try StoreBackup.copy(database: fixture.path, to: fixture.path, replacing: true)
    }
    #expect(throws: MaintenanceError.targetIsDatabase(path: fixture.path + "-wal")) {
      try StoreBackup.copy(database: fixture.path, to: fixture.path + "-wal", replacing: true)
    }
    #expect(throws: MaintenanceError.targetExists(path: existing)) {
      try StoreBackup.copy(database: fixture.path, to: existing, replacing: false)
    }
    #expect(try String(contentsOfFile: existing, encoding: .utf8) == "keep me")
    let missing = fixture.directory.appendingPathComponent("missing").path
    #expect(throws: MaintenanceError.targetFolderMissing(path: missing)) {
      try StoreBackup.copy(database: fixture.path, to: missing + "/b.sqlite", replacing: false)
    }
    #expect(throws: MaintenanceError.databaseMissing(path: fixture.path + ".none")) {
      try StoreBackup.copy(database: fixture.path + ".none", to: existing + ".2", replacing: false)
    }
    // Nothing was left behind: no partial file.
    #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.directory.path).filter { $0.contains("partial") } == [])
    await fixture.finish()
  }
}
