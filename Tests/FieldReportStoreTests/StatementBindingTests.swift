import Foundation
import Testing

@testable import FieldReportStore

@Suite("Statement bindings")
struct StatementBindingTests {
  @Test("text binds byte for byte: empty (not NULL), short inline, long and non-ASCII strings")
  func textBindings() throws {
    let path = FileManager.default.temporaryDirectory
      .appendingPathComponent("binding-\(UUID().uuidString).sqlite").path
    defer {
      for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }
    let database = try Database(path: path, role: .writer)
    try database.execute("CREATE TABLE t(n INTEGER PRIMARY KEY, v TEXT)")
    let long = String(repeating: "Phường Đồng Lộc, ", count: 40)
    let values: [String] = ["", "a", "ngắn", "fifteen bytes!!", "sixteen bytes!!!", long, "🗑️ \u{0} sau NUL"]
    for (index, value) in values.enumerated() {
      try database.run("INSERT INTO t(n, v) VALUES (?, ?)", [index, value])
    }
    try database.run("INSERT INTO t(n, v) VALUES (?, ?)", [values.count, SQLValue.null])
    let stored = try database.query("SELECT v, v IS NULL, length(CAST(v AS BLOB)) FROM t ORDER BY n", []) {
      ($0.text(0), $0.int64(1), $0.int64(2))
    }
    #expect(stored.count == values.count + 1)
    for (index, value) in values.enumerated() {
      #expect(stored[index].0 == value)
      #expect(stored[index].1 == 0, "\(value.debugDescription) must not bind as NULL")
      #expect(stored[index].2 == Int64(value.utf8.count))
    }
    #expect(stored[values.count].1 == 1)
  }
}
