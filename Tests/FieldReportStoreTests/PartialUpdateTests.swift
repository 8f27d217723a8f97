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
      for column in ["version", "updated_at", "body", "journal_head", "title", "holder_user_id"] {
        #expect(sql.contains(" \(column) = ?"), "\(mask): \(sql)")
      }
      // The search text is kept when the update binds NULL (its searched fields unchanged).
      #expect(sql.contains(" search_text = COALESCE(?, search_text)"), "\(mask): \(sql)")
      // One placeholder per value the update binds: ten row columns, the changed ones, id, version.
      #expect(sql.filter { $0 == "?" }.count == 12 + mask.nonzeroBitCount, "\(mask): \(sql)")
      // The same update on the condition that the row holds the expected head and indexed
      // columns: six more values.
      let expecting = CaseRows.expectingUpdateSQL[mask]
      #expect(expecting.hasPrefix(sql + " AND "), "\(mask): \(expecting)")
      for column in ["journal_head = ?", "state = ?", "current_unit_id = ?", "category_id = ?", "step_started IS ?", "listed_due IS ?"] {
        #expect(expecting.dropFirst(sql.count).contains(column), "\(mask): \(expecting)")
      }
      #expect(expecting.filter { $0 == "?" }.count == 18 + mask.nonzeroBitCount, "\(mask): \(expecting)")
    }
  }

  @Test("the search text is folded unless the case before the action searches the same")
  func searchTextOnlyWhenItsFieldsChange() async throws {
    let fixture = try await StoreFixture.make()
    let before = try await fixture.submit("Rác thải ven đường Trần Phú")
    // No case before (a new case, or an update without the cached one): folded.
    #expect(try CaseRows.PreparedCase(before).searchText == CaseIndexing.searchText(of: before))
    // A step that leaves the code, title, content and address alone: kept (NULL, COALESCE).
    var stepped = before
    stepped.version += 1
    stepped.updatedAt = stepped.updatedAt.adding(milliseconds: 60_000)
    #expect(try CaseRows.PreparedCase(stepped, before: before).searchText == nil)
    // Any of the four changed: folded again, from the new values.
    for change in 0..<4 {
      var edited = stepped
      switch change {
      case 0: edited.title += " (sửa)"
      case 1: edited.description += " Đã bổ sung."
      case 2: edited.location.address = "Số 2 Trần Phú"
      default: edited.reportCode = try #require(ReportCode(rawValue: "010126999"))
      }
      let prepared = try CaseRows.PreparedCase(edited, before: before)
      #expect(prepared.searchText == CaseIndexing.searchText(of: edited), "change \(change)")
      #expect(prepared.searchText != CaseIndexing.searchText(of: before), "change \(change)")
    }
    // Another case as `before` is no evidence: folded.
    var other = stepped
    other.id = CaseID("another-case")
    #expect(try CaseRows.PreparedCase(other, before: before).searchText != nil)
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
    // With the cache every update relied on the row it expected (``CaseRows/ExpectedRow``) and
    // found it; without, none could.
    let hints = store.caseRowHintsForTesting
    if decodedCache {
      #expect(hints.taken == applied && hints.missed == 0, "\(hints)")
    } else {
      #expect(hints.taken == 0 && hints.missed == 0, "\(hints)")
    }

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
          AND search_text = \(quoted(CaseIndexing.searchText(of: c)))
        """)
      #expect(rows == 1, "case \(id) at version \(c.version): \(expected)")
      // Its journal: chained entry by entry up to the row's head (entries chained by the
      // caller, from the cached head, and by the writer alike).
      let verification = try await store.verifyJournal(caseID: id)
      #expect(verification.isIntact, "case \(id): \(verification)")
      if case .intact(let entries, _) = verification { #expect(entries == Int(c.version)) }
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

  /// An update relies on the row it expects only when the row holds exactly that: a row that
  /// differs from the case before the action (here a listed due time written under other
  /// rules, as a task dispatched before its return time was recorded has under another return
  /// window), or a row at another version, is read and written as without the hint
  /// (``CaseRows/ExpectedRow``).
  @Test("an update whose case row is not the one it expected reads the row: another listed due time, another version")
  func expectedRowMisses() async throws {
    // The fixture's store keeps nothing decoded, so it always reads what the other one wrote.
    var uncached = StoreConfiguration()
    uncached.decodedCaseCacheSize = 0
    let fixture = try await StoreFixture.make(configuration: uncached)
    let first = fixture.sqlite
    let created = try await fixture.submit("Cống tràn")
    _ = try await fixture.act(
      StoreFixture.iocOperator, .dispatch(DispatchOrder(unit: StoreFixture.dongLoc)), on: created.id,
      at: StoreFixture.at(6, hour: 10))
    // A second store on the file reads the dispatched case (its body and journal are then
    // decoded in its cache); then the row's listed due time changes behind it.
    let second = try await SQLiteFieldReportStore(
      path: fixture.path, configuration: StoreConfiguration(), schemaVersion: Migrator.latestVersion, locksFile: false)
    let dispatched = try #require(try await second.caseView(.id(created.id), draftAuthor: nil)).case
    try await first.executeRawSQLForTesting(
      "UPDATE cases SET listed_due = listed_due + 60000 WHERE id = '\(created.id.rawValue)'")
    let assign = try StoreFixture.decide(
      StoreFixture.duong, .assign(AssignmentOrder(mainHandler: StoreFixture.toan, coordinators: [StoreFixture.thang])),
      on: dispatched,
      at: StoreFixture.at(6, hour: 11))
    let assigned = try await second.apply(assign, expectedVersion: dispatched.version, idempotencyKey: nil).storedCase
    #expect(second.caseRowHintsForTesting == (taken: 0, missed: 1))
    // The row holds what a full write gives (the listed due time too), and the chain is whole.
    let due = try await second.scalarForTesting("SELECT listed_due FROM cases WHERE id = '\(created.id.rawValue)'")
    #expect(due == CaseRows.IndexedColumns(of: assigned, policy: .standard).listedDue)
    #expect(try await second.verifyJournal(caseID: created.id).isIntact)

    // Another version: the first store moves the case on while the second holds version 3.
    let held = try #require(try await second.caseView(.id(created.id), draftAuthor: nil)).case
    #expect(held.version == 3)
    _ = try await fixture.act(
      StoreFixture.thang, .addContribution, on: created.id, content: "Đã kiểm tra", at: StoreFixture.at(6, hour: 12))
    let late = try StoreFixture.decide(
      StoreFixture.thang, .addContribution, on: held, content: "Muộn", at: StoreFixture.at(6, hour: 13))
    await #expect(throws: StoreError.staleVersion(expected: 3, actual: 4)) {
      _ = try await second.apply(late, expectedVersion: held.version, idempotencyKey: nil)
    }
    #expect(second.caseRowHintsForTesting == (taken: 0, missed: 2))
    #expect(try await first.verifyJournal(caseID: created.id).isIntact)
    await second.close()
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
