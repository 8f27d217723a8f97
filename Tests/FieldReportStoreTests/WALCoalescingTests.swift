import Foundation
import Testing

@testable import FieldReportStore

/// The writer's write-coalescing VFS (CSQLiteVFS): SQLite asks for two writes per WAL frame,
/// the VFS holds a transaction's frames and writes them in 64 KiB pieces before the commit
/// frame. What must hold: other connections see each commit as soon as it returns, and the
/// file is exactly what SQLite wrote, through cache spills, frames rewritten in place and
/// rollbacks.
@Suite("Write-coalescing VFS")
struct WALCoalescingTests {
  @Test("a batch of submissions reaches the file in far fewer writes than SQLite asked for")
  func fewerWrites() async throws {
    let fixture = try await StoreFixture.make()
    let store = try #require(fixture.store as? SQLiteFieldReportStore)
    let before = try #require(try await store.write { $0.coalescedWrites })
    try await withThrowingTaskGroup(of: Void.self) { group in
      for index in 0..<64 { group.addTask { _ = try await fixture.submit("Phản ánh \(index)") } }
      try await group.waitForAll()
    }
    let after = try #require(try await store.write { $0.coalescedWrites })
    let requested = after.requested - before.requested
    let performed = after.performed - before.performed
    #expect(requested >= 100)
    #expect(performed * 4 < requested, "requested \(requested), performed \(performed)")
    #expect(try await store.scalarForTesting("SELECT COUNT(*) FROM cases") == 64)
    // A reader's connection is SQLite's own VFS.
    #expect(try await store.scan { $0.coalescedWrites } == nil)
  }

  @Test("another connection sees every commit as soon as it returns")
  func commitsVisibleAtOnce() async throws {
    let fixture = try await StoreFixture.make()
    let inspector = try Database(path: fixture.path, role: .inspector)
    let start = try #require(try inspector.scalarInt64("SELECT COUNT(*) FROM journal"))
    for index in 1...60 {
      _ = try await fixture.submit("Phản ánh \(index)")
      // A fresh read transaction each time, through SQLite's default VFS.
      #expect(try inspector.scalarInt64("SELECT COUNT(*) FROM journal") == start + Int64(index))
    }
    #expect(try inspector.query("PRAGMA integrity_check") { $0.text(0) } == ["ok"])
  }

  @Test("spilled pages, frames rewritten in place and a rolled-back spill leave the file as SQLite wrote it")
  func spillsAndRewrites() throws {
    let (directory, path) = try Self.temporaryDatabase()
    defer { try? FileManager.default.removeItem(at: directory) }
    let writer = try Database(path: path, role: .writer)
    // A page cache of a few pages: a transaction's changes spill into the WAL before COMMIT,
    // and pages changed again are rewritten in the frames already written.
    try writer.execute("PRAGMA cache_size=8")
    try writer.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, value TEXT NOT NULL)")
    let filler = String(repeating: "x", count: 600)
    try writer.execute("BEGIN IMMEDIATE")
    for id in 1...3_000 { try writer.run("INSERT INTO t(id, value) VALUES (?, ?)", Int64(id), "\(id)-\(filler)") }
    try writer.execute("UPDATE t SET value = 'u' || value WHERE id % 3 = 0")
    try writer.execute("COMMIT")
    // A spilled transaction rolled back, then a small commit after it.
    try writer.execute("BEGIN IMMEDIATE")
    for id in 3_001...5_000 { try writer.run("INSERT INTO t(id, value) VALUES (?, ?)", Int64(id), filler) }
    try writer.execute("ROLLBACK")
    try writer.run("INSERT INTO t(id, value) VALUES (?, ?)", Int64(9_999), "last")

    let reader = try Database(path: path, role: .inspector)
    #expect(try reader.scalarInt64("SELECT COUNT(*) FROM t") == 3_001)
    #expect(try reader.scalarInt64("SELECT COUNT(*) FROM t WHERE value LIKE 'u%'") == 1_000)
    #expect(try reader.scalarInt64("SELECT MAX(id) FROM t") == 9_999)
    #expect(try reader.scalarInt64("SELECT SUM(length(value)) FROM t WHERE id <= 3000") == expectedLength(filler: filler))
    #expect(try reader.query("PRAGMA integrity_check") { $0.text(0) } == ["ok"])
  }

  @Test("a rolled-back spill is written before the write lock is released: it never lands on another connection's commit")
  func rolledBackSpillBeforeAnotherWriter() throws {
    let (directory, path) = try Self.temporaryDatabase()
    defer { try? FileManager.default.removeItem(at: directory) }
    var first: Database? = try Database(path: path, role: .writer)
    try first?.execute("PRAGMA cache_size=8")
    try first?.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, value TEXT NOT NULL)")
    // The first connection spills frames (some held) and rolls back: its frames are garbage
    // past the WAL's end, where the next writer's frames go.
    // (~45 pages, a few more frames than the cache holds). The WAL is emptied first: undoing
    // then reads nothing back from it (a read would write the held bytes, rule 3).
    _ = try first?.query("PRAGMA wal_checkpoint(TRUNCATE)") { $0.int64(0) }
    let filler = String(repeating: "g", count: 600)
    try first?.execute("BEGIN IMMEDIATE")
    for id in 1...300 { try first?.run("INSERT INTO t(id, value) VALUES (?, ?)", Int64(id), filler) }
    try first?.execute("ROLLBACK")
    // A second connection commits over those offsets (~170 pages: it covers all of them).
    let second = try Database(path: path, role: .writer)
    let padding = String(repeating: "k", count: 200)
    try second.execute("BEGIN IMMEDIATE")
    for id in 1...3_000 { try second.run("INSERT INTO t(id, value) VALUES (?, ?)", Int64(id), "kept \(id) \(padding)") }
    try second.execute("COMMIT")
    // Closing the first connection must not write anything left over onto them.
    first = nil

    let reader = try Database(path: path, role: .inspector)
    #expect(try reader.scalarInt64("SELECT COUNT(*) FROM t") == 3_000)
    #expect(try reader.scalarInt64("SELECT COUNT(*) FROM t WHERE value = 'kept ' || id || ' ' || ?", [padding]) == 3_000)
    #expect(try reader.query("PRAGMA integrity_check") { $0.text(0) } == ["ok"])
  }

  /// A new folder for a database file, and the file's path in it.
  private static func temporaryDatabase() throws -> (directory: URL, path: String) {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("coalescing-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return (directory, directory.appendingPathComponent("test.sqlite").path)
  }

  /// The total length of rows 1...3000 after the update: "<id>-<filler>", every third with "u".
  private func expectedLength(filler: String) -> Int64 {
    (1...3_000).reduce(Int64(0)) { total, id in
      total + Int64("\(id)-".count + filler.count + (id % 3 == 0 ? 1 : 0))
    }
  }
}
