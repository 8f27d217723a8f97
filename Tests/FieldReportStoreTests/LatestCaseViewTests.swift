import Foundation
import Testing

@_spi(Testing) import FieldReportStore
import FieldReportWorkflow

/// A case's view from memory (``LatestCaseIndex`` with the decoded cache) answers exactly what
/// the query answers, and steps aside whenever it cannot know: a re-report, a draft to show, a
/// write other than a case's own.
@Suite("The latest-case index")
struct LatestCaseViewTests {
  /// Every way to ask for the view of `c`: by id and code, as nobody, its handler and a leader.
  static func keys(_ c: Case) -> [(CaseKey, UserID?)] {
    [CaseKey.id(c.id), .code(c.reportCode)].flatMap { key in
      [nil, StoreFixture.toan, StoreFixture.duong, StoreFixture.iocOperator].map { (key, $0) }
    }
  }

  /// The view `caseView` gives equals the query's, for every key and viewer of every case.
  static func expectSameAsQuery(_ store: SQLiteFieldReportStore, _ cases: [Case]) async throws {
    for c in cases {
      for (key, author) in keys(c) {
        let answered = try await store.caseView(key, draftAuthor: author)
        let queried = try await store.queriedCaseView(key, draftAuthor: author)
        #expect(answered == queried, "case \(c.reportCode) by \(key) for \(author?.rawValue ?? "nobody")")
      }
    }
  }

  @Test("a written case is answered from memory at its new version; a re-report, a draft and a raw write send it back to the query")
  func answersFromMemoryOnlyWhenItKnows() async throws {
    let fixture = try await StoreFixture.make()
    defer { fixture.removeStorage() }
    let store = fixture.sqlite
    let created = try await fixture.submit("Rác thải tại chợ Đồng Lộc")
    // A new case: held by the writer's recording, answered without a query.
    let fresh = try #require(store.latestCaseView(.id(created.id), draftAuthor: nil))
    #expect(fresh.case == created)
    #expect(fresh.journal.count == 1)
    #expect(store.latestCaseView(.code(created.reportCode), draftAuthor: nil)?.case == created)

    // Actions move it on: the next view is the new version, still from memory.
    _ = try await fixture.act(
      StoreFixture.iocOperator, .dispatch(DispatchOrder(unit: StoreFixture.dongLoc)), on: created.id,
      at: StoreFixture.at(6, hour: 10))
    let assigned = try await fixture.act(
      StoreFixture.duong, .assign(AssignmentOrder(mainHandler: StoreFixture.toan)), on: created.id,
      at: StoreFixture.at(6, hour: 11)
    ).storedCase
    let moved = try #require(store.latestCaseView(.id(created.id), draftAuthor: StoreFixture.duong))
    #expect(moved.case == assigned)
    #expect(moved.journal.map(\.entry.sequence) == [1, 2, 3])

    // The main handler's draft is not in memory: their view goes to the query and shows it.
    let draft = try DraftStoreTests.draft(of: assigned, content: "Bản nháp", at: StoreFixture.at(6, hour: 12))
    try await store.saveDraft(draft, expectedVersion: assigned.version)
    #expect(store.latestCaseView(.id(created.id), draftAuthor: StoreFixture.toan) == nil)
    #expect(try await store.caseView(.id(created.id), draftAuthor: StoreFixture.toan)?.draft == draft)
    #expect(try await store.caseView(.id(created.id), draftAuthor: StoreFixture.duong)?.draft == nil)

    // A later report re-reporting it: the index forgets it, and the view lists the re-report.
    var again = StoreFixture.report("Rác thải tại chợ Đồng Lộc, lần hai")
    again.linkedCaseID = created.id
    let rereport = try await store.createCase(
      receivedAt: StoreFixture.at(7), idempotencyKey: nil, build: StoreFixture.submission(again, at: StoreFixture.at(7))
    ).storedCase
    #expect(store.latestCaseView(.id(created.id), draftAuthor: nil) == nil)
    #expect(try await store.caseView(.id(created.id), draftAuthor: nil)?.rereports.map(\.id) == [rereport.id])
    // …and a read finding the re-report does not put it back.
    #expect(store.latestCaseView(.id(created.id), draftAuthor: nil) == nil)
    #expect(store.latestCaseView(.id(rereport.id), draftAuthor: nil)?.case == rereport)

    // A write other than a case's own (here raw SQL, as a tool could) empties the index.
    try await store.executeRawSQLForTesting("UPDATE cases SET state = state WHERE id = '\(rereport.id.rawValue)'")
    #expect(store.latestCaseView(.id(rereport.id), draftAuthor: nil) == nil)
    // A quiet read puts a case without re-reports back.
    _ = try await store.caseView(.id(rereport.id), draftAuthor: nil)
    #expect(store.latestCaseView(.id(rereport.id), draftAuthor: nil)?.case == rereport)

    try await Self.expectSameAsQuery(store, [assigned, rereport])
    await store.close()
  }

  @Test("a case marked as another's duplicate, and a verdict on a published case, send that case back to the query")
  func duplicatesAndVerdictsLeaveTheIndex() async throws {
    let fixture = try await StoreFixture.make()
    defer { fixture.removeStorage() }
    let store = fixture.sqlite
    let original = try await fixture.submit("Rác thải ùn ứ tại chợ")
    let steps: [(UserID, CaseAction, Int)] = [
      (StoreFixture.iocOperator, .dispatch(DispatchOrder(unit: StoreFixture.dongLoc)), 10),
      (StoreFixture.duong, .assign(AssignmentOrder(mainHandler: StoreFixture.toan)), 11),
      (StoreFixture.toan, .submitResult(nextHandler: nil, outputProduct: nil), 12),
      (StoreFixture.duong, .approve, 13),
      (StoreFixture.iocOperator, .publish(publicly: true), 14),
    ]
    for (user, action, hour) in steps {
      _ = try await fixture.act(user, action, on: original.id, at: StoreFixture.at(6, hour: hour))
    }
    #expect(store.latestCaseView(.id(original.id), draftAuthor: nil) != nil)

    // Another report closed as its duplicate: the original's view now lists it, from the query.
    let duplicate = try await fixture.submit("Rác thải ùn ứ tại chợ, lần nữa", at: StoreFixture.at(7))
    _ = try await fixture.act(
      StoreFixture.iocOperator, .reject(.duplicate, duplicateOf: original.id), on: duplicate.id,
      at: StoreFixture.at(7, hour: 10))
    #expect(store.latestCaseView(.id(original.id), draftAuthor: nil) == nil)
    #expect(try await store.caseView(.id(original.id), draftAuthor: nil)?.duplicates == [duplicate.id])
    #expect(store.latestCaseView(.id(original.id), draftAuthor: nil) == nil, "a read finding a duplicate does not put it back")
    try await Self.expectSameAsQuery(store, [original])

    // A verdict on another published case (held: no links): the index forgets it, and the view
    // shows the verdict.
    let other = try await fixture.submit("Đèn đường hỏng", at: StoreFixture.at(8))
    for (user, action, hour) in steps {
      _ = try await fixture.act(user, action, on: other.id, at: StoreFixture.at(8, hour: hour))
    }
    #expect(store.latestCaseView(.id(other.id), draftAuthor: nil) != nil)
    let verdict = CaseVerdict(
      caseID: other.id, unitID: StoreFixture.dongLoc, rating: 4, comment: "Đã sửa", notResolved: false,
      recordedBy: StoreFixture.platform, recordedAt: StoreFixture.at(9))
    _ = try await store.recordVerdict(verdict, idempotencyKey: nil, reopen: nil)
    #expect(store.latestCaseView(.id(other.id), draftAuthor: nil) == nil)
    #expect(try await store.caseView(.id(other.id), draftAuthor: nil)?.verdict == verdict)
    #expect(store.latestCaseView(.id(other.id), draftAuthor: nil) == nil)
    try await Self.expectSameAsQuery(store, [original, other])
    await store.close()
  }

  @Test("a reader's finding is kept only when nothing was recorded of that case since its read began")
  func readersCannotPutBackAStaleVersion() throws {
    let index = LatestCaseIndex(capacity: 16)
    let directory = StoreFixture.directory
    let actor = try #require(directory.actor(StoreFixture.platform))
    let make = { (id: CaseID, sequence: Int) throws -> Case in
      try CaseWorkflow.submit(
        StoreFixture.report("Case \(id.rawValue)"), caseID: id,
        reportCode: ReportCode.make(dayOf: StoreFixture.at(6), sequence: sequence), by: actor,
        now: StoreFixture.at(6), directory: directory
      ).get().newCase
    }
    let a = try make("case-a", 1)
    let b = try make("case-b", 2)
    // A read began (epoch taken), then the writer recorded another case: the finding is kept
    // (under a steady stream of writes, reads must still be able to fill the index).
    let before = index.epoch
    index.recordCommitted(b, isNew: true)
    index.observe(a, rereported: false, since: before)
    #expect(index.latest(.id(a.id))?.version == a.version)
    #expect(index.latest(.code(a.reportCode))?.id == a.id)
    // A read began, then the writer recorded that very case (not held, so stamp-only): the
    // finding may be older than the commit, and is dropped; a read begun after it is kept.
    index.removeAll()
    var later = a
    later.version = a.version + 1
    let beforeWrite = index.epoch
    index.recordCommitted(later, isNew: false)
    #expect(index.latest(.id(a.id)) == nil)
    index.observe(a, rereported: false, since: beforeWrite)
    #expect(index.latest(.id(a.id)) == nil)
    index.observe(later, rereported: false, since: index.epoch)
    #expect(index.latest(.id(a.id))?.version == later.version)
    // Emptying the index refuses every read begun before it. A re-reported case never is kept.
    let beforeClear = index.epoch
    index.removeAll()
    index.observe(a, rereported: false, since: beforeClear)
    #expect(index.latest(.id(a.id)) == nil)
    index.observe(a, rereported: true, since: index.epoch)
    #expect(index.latest(.id(a.id)) == nil)

    // Versions only grow: a reader's older finding never lowers the writer's newer one.
    var newer = b
    newer.version = b.version + 3
    index.recordCommitted(newer, isNew: false)  // not held: an update does not add
    #expect(index.latest(.id(b.id)) == nil)
    index.recordCommitted(b, isNew: true)
    index.recordCommitted(newer, isNew: false)
    index.observe(b, rereported: false, since: index.epoch)
    #expect(index.latest(.id(b.id))?.version == newer.version)

    // A new case that re-reports another removes it, and a read begun before cannot put it
    // back (its snapshot may predate the link).
    let beforeLink = index.epoch
    var rereport = try make("case-c", 3)
    rereport.linkedCaseID = b.id
    index.recordCommitted(rereport, isNew: true)
    #expect(index.latest(.id(b.id)) == nil)
    #expect(index.latest(.id(rereport.id))?.version == rereport.version)
    index.observe(newer, rereported: false, since: beforeLink)
    #expect(index.latest(.id(b.id)) == nil)
    // A later update of the re-reported case does not make it answer again.
    var newest = newer
    newest.version += 1
    index.recordCommitted(newest, isNew: false)
    #expect(index.latest(.id(b.id)) == nil)
  }

  /// `count` new cases `case-1`… (the workflow's, not stored), numbered in order.
  static func newCases(_ count: Int) throws -> [Case] {
    let directory = StoreFixture.directory
    let actor = try #require(directory.actor(StoreFixture.platform))
    return try (1...count).map { n in
      try CaseWorkflow.submit(
        StoreFixture.report("Case \(n)"), caseID: CaseID("case-\(n)"),
        reportCode: ReportCode.make(dayOf: StoreFixture.at(6), sequence: n), by: actor,
        now: StoreFixture.at(6), directory: directory
      ).get().newCase
    }
  }

  @Test("dropping a generation refuses the findings of reads begun before it")
  func aDroppedGenerationRefusesOlderReads() throws {
    let index = LatestCaseIndex(capacity: 2)
    let cases = try Self.newCases(5)
    // Case 1 is written (not held: stamp-only) after a read of it began...
    let before = index.epoch
    var written = cases[0]
    written.version += 1
    index.recordCommitted(written, isNew: false)
    // ...and its stamp is pushed out with a dropped generation before the read offers it.
    for c in cases[1...4] { index.recordCommitted(c, isNew: true) }
    index.observe(cases[0], rereported: false, since: before)
    #expect(index.latest(.id(cases[0].id)) == nil)
    index.observe(written, rereported: false, since: index.epoch)
    #expect(index.latest(.id(cases[0].id))?.version == written.version)
  }

  @Test("bounded: past its capacity the oldest generation goes, and a lookup promotes")
  func bounded() throws {
    let index = LatestCaseIndex(capacity: 4)
    let cases = try Self.newCases(9)
    for c in cases.prefix(4) { index.recordCommitted(c, isNew: true) }
    for c in cases[4..<8] { index.recordCommitted(c, isNew: true) }
    // 1–4 are the previous generation now; looking 1 up promotes it, which turns the
    // generations (5–8 become the previous one, 2–4 go).
    #expect(index.latest(.id(cases[0].id)) != nil)
    index.recordCommitted(cases[8], isNew: true)
    #expect(index.latest(.id(cases[1].id)) == nil)
    #expect(index.latest(.code(cases[1].reportCode)) == nil)
    #expect(index.latest(.id(cases[8].id)) != nil)
  }

  @Test("random writes, re-reports, drafts and raw writes: every view equals the query's")
  func randomHistoriesAgreeWithTheQuery() async throws {
    let fixture = try await StoreFixture.make(configuration: StoreConfiguration(decodedCaseCacheSize: 3))
    defer { fixture.removeStorage() }
    let store = fixture.sqlite
    var generator = SystemRandomNumberGenerator()
    var cases: [Case] = []
    for step in 0..<40 {
      let hour = 8 + step / 4
      let choice = cases.isEmpty ? 0 : Int.random(in: 0..<5, using: &generator)
      switch choice {
      case 0:
        cases.append(try await fixture.submit("Phản ánh \(step)", at: StoreFixture.at(6, hour: hour)))
      case 1:
        var report = StoreFixture.report("Phản ánh lại \(step)")
        report.linkedCaseID = cases.randomElement(using: &generator)!.id
        cases.append(
          try await store.createCase(
            receivedAt: StoreFixture.at(6, hour: hour), idempotencyKey: nil,
            build: StoreFixture.submission(report, at: StoreFixture.at(6, hour: hour))
          ).storedCase)
      case 2:
        let target = cases.randomElement(using: &generator)!
        if let current = try await store.findCase(id: target.id), current.state == .received {
          _ = try await fixture.act(
            StoreFixture.iocOperator, .dispatch(DispatchOrder(unit: StoreFixture.dongLoc)), on: current.id,
            at: StoreFixture.at(6, hour: hour))
        } else if let current = try await store.findCase(id: target.id), current.state == .atUnit {
          let assigned = try await fixture.act(
            StoreFixture.duong, .assign(AssignmentOrder(mainHandler: StoreFixture.toan)), on: current.id,
            at: StoreFixture.at(6, hour: hour)
          ).storedCase
          if Bool.random(using: &generator) {
            let draft = try DraftStoreTests.draft(
              of: assigned, content: "Nháp \(step)", at: StoreFixture.at(6, hour: hour, minute: 30))
            try await store.saveDraft(draft, expectedVersion: assigned.version)
          }
        }
      case 3:
        try await store.executeRawSQLForTesting("UPDATE cases SET state = state WHERE rowid = 1")
      default:
        break
      }
      let current = try await cases.asyncMap { try #require(try await store.findCase(id: $0.id)) }
      try await Self.expectSameAsQuery(store, current)
    }
    await store.close()
  }

  /// Reads racing writes: readers fill the index while the writer records dispatches,
  /// assignments and re-reports of the same cases. Afterwards every view the index answers
  /// must be the query's (a reader that put back a version older than a commit, or a case
  /// that was re-reported meanwhile, would show here).
  @Test("readers racing writes never leave a stale view in the index")
  func readersRacingWritesLeaveNoStaleView() async throws {
    let fixture = try await StoreFixture.make()
    defer { fixture.removeStorage() }
    let store = fixture.sqlite
    var cases: [Case] = []
    for n in 0..<24 { cases.append(try await fixture.submit("Phản ánh \(n)", at: StoreFixture.at(6, hour: 8))) }
    // A raw write empties the index: every case must be found again by readers.
    try await store.executeRawSQLForTesting("UPDATE cases SET state = state WHERE rowid = 1")
    let ids = cases.map(\.id)
    try await withThrowingTaskGroup(of: Void.self) { group in
      group.addTask {
        for (n, id) in ids.enumerated() {
          _ = try await fixture.act(
            StoreFixture.iocOperator, .dispatch(DispatchOrder(unit: StoreFixture.dongLoc)), on: id,
            at: StoreFixture.at(6, hour: 10))
          if n % 3 == 0 {
            var report = StoreFixture.report("Phản ánh lại \(n)")
            report.linkedCaseID = id
            _ = try await store.createCase(
              receivedAt: StoreFixture.at(6, hour: 11), idempotencyKey: nil,
              build: StoreFixture.submission(report, at: StoreFixture.at(6, hour: 11)))
          }
          if n % 2 == 0 {
            _ = try await fixture.act(
              StoreFixture.duong, .assign(AssignmentOrder(mainHandler: StoreFixture.toan)), on: id,
              at: StoreFixture.at(6, hour: 12))
          }
        }
      }
      for reader in 0..<3 {
        group.addTask {
          for round in 0..<40 {
            for (n, id) in ids.enumerated() where (n + round + reader) % 3 == 0 {
              _ = try await store.caseView(.id(id), draftAuthor: nil)
            }
          }
        }
      }
      try await group.waitForAll()
    }
    var answered = 0
    for id in ids {
      for (key, author) in Self.keys(try #require(try await store.findCase(id: id))) {
        guard let fromMemory = store.latestCaseView(key, draftAuthor: author) else { continue }
        answered += 1
        #expect(fromMemory == (try await store.queriedCaseView(key, draftAuthor: author)), "case \(id) by \(key)")
      }
    }
    // Readers did fill the index while the writer was busy (the finding of a read is kept
    // unless that very case was written meanwhile).
    #expect(answered > 0)
    await store.close()
  }
}

extension Array {
  fileprivate func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
    var result: [T] = []
    for element in self { result.append(try await transform(element)) }
    return result
  }
}
