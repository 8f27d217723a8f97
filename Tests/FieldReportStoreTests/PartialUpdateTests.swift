import Foundation
import Testing

@_spi(Testing) @testable import FieldReportStore
import FieldReportWorkflow
import StoreTestSupport

/// A case update names only the indexed columns whose values changed
/// (``CaseRows/IndexedColumns``), and a kept link row is updated in place: after any sequence
/// of actions, the rows must hold exactly what writing every column would have written.
@Suite("Case updates that write only what changed")
struct PartialUpdateTests {
  @Test("the UPDATE names an indexed column only when its bit is set, and every row column otherwise")
  func updateTexts() {
    let indexed = ["state", "current_unit_id", "category_id", "step_started", "listed_due"]
    #expect(CaseRows.updateSQL.count == 32)
    for (mask, sql) in CaseRows.updateSQL.enumerated() {
      for (bit, column) in indexed.enumerated() {
        #expect(sql.contains(" \(column) = ?") == (mask & (1 << bit) != 0), "\(mask): \(sql)")
      }
      for column in ["version", "updated_at", "body", "journal_head", "search_text", "title", "holder_user_id"] {
        #expect(sql.contains(" \(column) = ?"), "\(mask): \(sql)")
      }
      // One placeholder per value the update binds: ten row columns, the changed ones, id, version.
      #expect(sql.filter { $0 == "?" }.count == 12 + mask.nonzeroBitCount, "\(mask): \(sql)")
    }
  }

  @Test("which indexed columns differ")
  func changes() {
    let base = CaseRows.IndexedColumns(
      state: "at_unit", currentUnitID: "U1", categoryID: "C1", stepStarted: 10, listedDue: nil)
    #expect(base.changes(from: base) == 0)
    var other = base
    other.state = "in_progress"
    #expect(other.changes(from: base) == 1)
    other = base
    other.currentUnitID = "U2"
    #expect(other.changes(from: base) == 2)
    other = base
    other.categoryID = "C2"
    #expect(other.changes(from: base) == 4)
    other = base
    other.stepStarted = 11
    #expect(other.changes(from: base) == 8)
    other = base
    other.listedDue = 5
    #expect(other.changes(from: base) == 16)
    #expect(base.changes(from: other) == 16)
  }

  /// With the decoded cache the writer takes the case's links and unchanged tasks from the case
  /// before the action (``CaseRows/PreparedCase``); without it, it reads the links and upserts
  /// every task.
  @Test("after random actions every case row, link row and task row holds what a full write would", arguments: [true, false])
  func rowsMatchFullWrites(decodedCache: Bool) async throws {
    var configuration = StoreConfiguration()
    if !decodedCache { configuration.decodedCaseCacheSize = 0 }
    let fixture = try await StoreFixture.make(configuration: configuration)
    let store = fixture.sqlite
    let policy = WorkflowPolicy.standard  // the fixture opens every store with the default configuration
    var g = SeededGenerator(state: 21)
    var ids: [CaseID] = []
    for index in 0..<12 {
      ids.append(
        try await fixture.submit(
          "Phản ánh \(index)", at: StoreFixture.at(1 + index % 5, hour: 8 + index % 7),
          category: index.isMultiple(of: 2) ? StoreFixture.environment : StoreFixture.publicOrder,
          isPublic: true
        ).id)
    }
    var applied = 0
    var minute = 0
    for _ in 0..<1_000 {
      minute += Int.random(in: 1...90, using: &g)
      let id = ids.randomElement(using: &g)!
      let current = try #require(try await store.findCase(id: id))
      let action = StorePropertyTests.randomAction(&g)
      let now = StoreFixture.at(10).adding(milliseconds: Int64(minute) * 60_000)
      for actor in StorePropertyTests.actors.shuffled(using: &g) {
        if let transition = try? StoreFixture.decide(actor, action, on: current, at: now) {
          _ = try await store.apply(transition, expectedVersion: current.version, idempotencyKey: nil)
          applied += 1
          break
        }
      }
    }
    #expect(applied > 40, "the random walk should apply many actions")

    func quoted(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "''") + "'" }
    func matches(_ value: Int64?) -> String { value.map { "= \($0)" } ?? "IS NULL" }
    for id in ids {
      let c = try #require(try await store.findCase(id: id))
      let expected = CaseRows.IndexedColumns(of: c, policy: policy)
      let rows = try await store.scalarForTesting(
        """
        SELECT count(*) FROM cases WHERE id = \(quoted(id.rawValue)) AND version = \(c.version)
          AND state = \(quoted(expected.state)) AND current_unit_id = \(quoted(expected.currentUnitID))
          AND category_id = \(quoted(expected.categoryID)) AND step_started \(matches(expected.stepStarted))
          AND listed_due \(matches(expected.listedDue)) AND updated_at = \(c.updatedAt.millisecondsSince1970)
        """)
      #expect(rows == 1, "case \(id) at version \(c.version): \(expected)")
      // Its links: exactly the case's, each of a stepped kind with the case's step start, the
      // others with 0 (schema version 15).
      let links = CaseIndexing.links(of: c)
      let stored = try await store.scalarForTesting(
        "SELECT count(*) FROM case_links WHERE case_id = \(quoted(id.rawValue))")
      #expect(stored == Int64(links.count), "case \(id): links")
      for link in links {
        let found = try await store.scalarForTesting(
          """
          SELECT count(*) FROM case_links WHERE case_id = \(quoted(id.rawValue)) AND kind = \(quoted(link.kind))
            AND subject = \(quoted(link.subject)) AND received_at = \(c.receivedAt.millisecondsSince1970)
            AND step_started = \(CaseIndexing.isStepped(link.kind) ? c.stepReceivedAt.millisecondsSince1970 : 0)
          """)
        #expect(found == 1, "case \(id): link \(link)")
      }
      // Its tasks: exactly the case's, each row as `upsertTasks` writes it.
      func text(_ value: String?) -> String { value.map { "= \(quoted($0))" } ?? "IS NULL" }
      #expect(
        try await store.scalarForTesting("SELECT count(*) FROM unit_tasks WHERE case_id = \(quoted(id.rawValue))")
          == Int64(c.tasks.count), "case \(id): tasks")
      for task in c.tasks {
        let found = try await store.scalarForTesting(
          """
          SELECT count(*) FROM unit_tasks WHERE id = \(quoted(task.id.rawValue)) AND case_id = \(quoted(id.rawValue))
            AND unit_id = \(quoted(task.unitID.rawValue)) AND due = \(task.due.millisecondsSince1970)
            AND completed_at \(matches(task.completedAt?.millisecondsSince1970))
            AND timeliness \(text(CaseRows.timeliness(of: task, policy: policy)))
            AND held_ms = \(Deadlines.closedHeldMilliseconds(of: task))
            AND held_since \(matches(task.openHold?.heldAt.millisecondsSince1970))
            AND outcome \(text(task.outcome?.rawValue))
            AND return_confirmed = \(task.returnOutsideCompetence == true ? 1 : 0)
          """)
        #expect(found == 1, "case \(id): task \(task.id)")
      }
    }
    // The indexes agree with their tables (an index entry left behind would show here), and
    // the case writes, which run without foreign-key enforcement, left no dangling reference.
    let problems = try await store.scalarForTesting(
      "SELECT count(*) FROM pragma_integrity_check WHERE integrity_check <> 'ok'")
    #expect(problems == 0)
    #expect(try await store.scalarForTesting("SELECT count(*) FROM pragma_foreign_key_check") == 0)
    await fixture.finish()
  }

  @Test("case writes run without foreign-key enforcement; every other write, before and after, with it")
  func foreignKeysOutsideCaseWrites() async throws {
    let fixture = try await StoreFixture.make()
    let store = fixture.sqlite
    let orphan = "INSERT INTO case_drafts(case_id, author, saved_at, body) VALUES ('no-such-case', 'u', 0, x'00')"
    await #expect(throws: (any Error).self) { try await store.executeRawSQLForTesting(orphan) }
    // A case write (its batch turns enforcement off), then another write: enforced again.
    _ = try await fixture.submit("Khóa ngoại")
    await #expect(throws: (any Error).self) { try await store.executeRawSQLForTesting(orphan) }
    #expect(try await store.scalarForTesting("SELECT count(*) FROM case_drafts WHERE case_id = 'no-such-case'") == 0)
    #expect(try await store.scalarForTesting("SELECT count(*) FROM pragma_foreign_key_check") == 0)
    await fixture.finish()
  }
}
