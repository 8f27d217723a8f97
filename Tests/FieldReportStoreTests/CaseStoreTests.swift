import Foundation
import Testing

@_spi(Testing) import FieldReportStore
import FieldReportWorkflow
import StoreTestSupport

@Suite("Cases: creation, transitions, concurrency, idempotency")
struct CaseStoreTests {
  @Test("report codes follow the local day's sequence, and restart on the next day", arguments: StoreEngine.all)
  func reportCodes(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture.make(engine: engine)
    let first = try await fixture.submit("Một", at: StoreFixture.at(6))
    let second = try await fixture.submit("Hai", at: StoreFixture.at(6, hour: 23, minute: 59))
    // 17:30 UTC on 6 March is 00:30 on 7 March in Hà Nội: a new local day.
    let third = try await fixture.submit("Ba", at: StoreFixture.at(7, hour: 0, minute: 30))
    #expect(first.reportCode.rawValue == "060326001")
    #expect(second.reportCode.rawValue == "060326002")
    #expect(third.reportCode.rawValue == "070326001")
    #expect(first.version == 1)
    let notifications = try await fixture.store.notifications(
      for: StoreFixture.iocOperator, after: 0, unreadOnly: true, limit: 10)
    #expect(notifications.count == 3)
    await fixture.finish()
  }

  @Test("a refused build writes nothing, not even a sequence number", arguments: StoreEngine.all)
  func refusedBuildWritesNothing(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture.make(engine: engine)
    struct Refused: Error {}
    await #expect(throws: Refused.self) {
      _ = try await fixture.store.createCase(receivedAt: StoreFixture.at(6), idempotencyKey: nil) { _, _ in
        throw Refused()
      }
    }
    #expect(try await fixture.store.scalarForTesting("SELECT COUNT(*) FROM cases") == 0)
    let created = try await fixture.submit("Sau khi bị từ chối")
    #expect(created.reportCode.rawValue == "060326001")
    await fixture.finish()
  }

  @Test(
    "numbering goes on after a restart, and a replayed key or a refusal leaves no gap",
    arguments: StoreEngine.all)
  func numberingAcrossRestartAndReplay(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture.make(engine: engine)
    let key = IdempotencyKey(scope: "platform", key: "k-1")
    let first = try await fixture.submit("Một", key: key)
    // The replay is answered from the record; the number it took is given back.
    let replayed = try await fixture.submit("Một", key: key)
    #expect(replayed.id == first.id)
    let second = try await fixture.submit("Hai")
    #expect([first, second].map(\.reportCode.rawValue) == ["060326001", "060326002"])
    await fixture.store.close()
    // A restart continues from the stored counter (SQLite keeps the counter in memory).
    let reopened = try await fixture.reopen()
    let third = try await reopened.createCase(
      receivedAt: StoreFixture.at(6), idempotencyKey: nil,
      build: StoreFixture.submission(StoreFixture.report("Ba"), at: StoreFixture.at(6))
    ).storedCase
    #expect(third.reportCode.rawValue == "060326003")
    #expect(try await reopened.scalarForTesting("SELECT last_value FROM report_sequences") == 3)
    await reopened.close()
    fixture.removeStorage()
  }

  @Test("concurrent submissions get distinct consecutive numbers", arguments: StoreEngine.all)
  func concurrentNumbers(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture.make(engine: engine)
    let codes = try await withThrowingTaskGroup(of: String.self) { group in
      for index in 0..<40 { group.addTask { try await fixture.submit("Phản ánh \(index)").reportCode.rawValue } }
      return try await group.reduce(into: []) { $0.append($1) }
    }
    #expect(codes.sorted() == (1...40).map { "060326" + String(format: "%03d", $0) })
    #expect(try await fixture.store.scalarForTesting("SELECT last_value FROM report_sequences") == 40)
    await fixture.finish()
  }

  @Test("a transition stores case, journal entry and notifications together", arguments: StoreEngine.all)
  func applyStoresEverything(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture.make(engine: engine)
    let created = try await fixture.submit("Gây mất trật tự Công cộng", category: StoreFixture.publicOrder)
    let result = try await fixture.act(
      StoreFixture.iocOperator, .dispatch(DispatchOrder(unit: StoreFixture.dongLoc, leader: StoreFixture.duong)),
      on: created.id, at: StoreFixture.at(6, hour: 10))
    #expect(result.storedCase.version == 2)
    #expect(result.entry.entry.sequence == 2)
    #expect(!result.isReplay)
    let stored = try #require(try await fixture.store.findCase(id: created.id))
    #expect(stored == result.storedCase)
    let journal = try await fixture.store.journal(caseID: created.id)
    #expect(journal.map(\.entry.action) == [.submit, .dispatch])
    #expect(journal[1].previousHashHex == journal[0].hashHex)
    let forLeader = try await fixture.store.notifications(for: StoreFixture.duong, after: 0, unreadOnly: false, limit: 10)
    #expect(forLeader.map(\.notification.kind) == [.caseDispatched])
    #expect(try await fixture.store.markNotificationsRead(for: StoreFixture.duong, ids: forLeader.map(\.id), at: StoreFixture.at(6, hour: 11)) == 1)
    #expect(try await fixture.store.notifications(for: StoreFixture.duong, after: 0, unreadOnly: true, limit: 10).isEmpty)
    // Another user cannot mark someone else's notification.
    #expect(try await fixture.store.markNotificationsRead(for: StoreFixture.thang, ids: forLeader.map(\.id), at: StoreFixture.at(6)) == 0)
    await fixture.finish()
  }

  @Test("concurrent writers on one case: exactly one wins, the others get a stale version", arguments: StoreEngine.all)
  func concurrentWriters(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture.make(engine: engine)
    let created = try await fixture.submit("Tranh chấp")
    // Every writer decides from the same version 1 (as concurrent RPCs would).
    let transitions = try (0..<8).map { index in
      try StoreFixture.decide(
        StoreFixture.iocOperator,
        .dispatch(DispatchOrder(unit: index.isMultiple(of: 2) ? StoreFixture.dongLoc : StoreFixture.tranPhu)),
        on: created, content: "Lần \(index)", at: StoreFixture.at(6, hour: 10))
    }
    let store = fixture.store
    let outcomes = await withTaskGroup(of: Result<CaseChangeResult, any Error>.self) { group in
      for transition in transitions {
        group.addTask {
          do { return .success(try await store.apply(transition, expectedVersion: 1, idempotencyKey: nil)) } catch {
            return .failure(error)
          }
        }
      }
      var all: [Result<CaseChangeResult, any Error>] = []
      for await outcome in group { all.append(outcome) }
      return all
    }
    let winners = outcomes.compactMap { try? $0.get() }
    #expect(winners.count == 1)
    for outcome in outcomes {
      if case .failure(let error) = outcome {
        #expect(error as? StoreError == .staleVersion(expected: 1, actual: 2))
      }
    }
    #expect(try await fixture.store.journal(caseID: created.id).count == 2)
    #expect(try await fixture.store.findCase(id: created.id)?.version == 2)
    #expect(try await fixture.store.verifyJournal(caseID: created.id).isIntact)
    await fixture.finish()
  }

  @Test("a stale version writes nothing", arguments: StoreEngine.all)
  func staleVersionWritesNothing(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture.make(engine: engine)
    let created = try await fixture.submit("Cũ")
    let dispatch = try StoreFixture.decide(
      StoreFixture.iocOperator, .dispatch(DispatchOrder(unit: StoreFixture.dongLoc)), on: created,
      at: StoreFixture.at(6, hour: 10))
    _ = try await fixture.store.apply(dispatch, expectedVersion: 1, idempotencyKey: nil)
    let eventsBefore = try await fixture.store.latestEventSequence()
    await #expect(throws: StoreError.staleVersion(expected: 1, actual: 2)) {
      _ = try await fixture.store.apply(dispatch, expectedVersion: 1, idempotencyKey: nil)
    }
    #expect(try await fixture.store.latestEventSequence() == eventsBefore)
    await fixture.finish()
  }

  @Test("a retried idempotency key returns the first result and writes nothing new", arguments: StoreEngine.all)
  func idempotentRetry(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture.make(engine: engine)
    let key = IdempotencyKey(scope: StoreFixture.platform.rawValue, key: "submit-1")
    let first = try await fixture.store.createCase(
      receivedAt: StoreFixture.at(6), idempotencyKey: key,
      build: StoreFixture.submission(StoreFixture.report("Lặp lại"), at: StoreFixture.at(6)))
    let retry = try await fixture.store.createCase(
      receivedAt: StoreFixture.at(6, hour: 9, minute: 1), idempotencyKey: key,
      build: StoreFixture.submission(StoreFixture.report("Lặp lại"), at: StoreFixture.at(6, hour: 9, minute: 1)))
    #expect(retry.isReplay)
    #expect(retry.storedCase == first.storedCase)
    #expect(retry.entry == first.entry)
    #expect(try await fixture.store.scalarForTesting("SELECT COUNT(*) FROM cases") == 1)
    #expect(try await fixture.store.scalarForTesting("SELECT last_value FROM report_sequences") == 1)

    // The same for an action, including through the pre-check services make.
    let actionKey = IdempotencyKey(scope: StoreFixture.iocOperator.rawValue, key: "dispatch-1")
    let dispatched = try await fixture.act(
      StoreFixture.iocOperator, .dispatch(DispatchOrder(unit: StoreFixture.dongLoc)), on: first.storedCase.id,
      at: StoreFixture.at(6, hour: 10), key: actionKey)
    let transition = try StoreFixture.decide(
      StoreFixture.iocOperator, .dispatch(DispatchOrder(unit: StoreFixture.dongLoc)), on: first.storedCase,
      at: StoreFixture.at(6, hour: 10, minute: 5))
    let replayed = try await fixture.store.apply(transition, expectedVersion: 1, idempotencyKey: actionKey)
    #expect(replayed.isReplay)
    #expect(replayed.storedCase == dispatched.storedCase)
    #expect(try await fixture.store.idempotentResult(for: actionKey)?.storedCase == dispatched.storedCase)
    #expect(try await fixture.store.journal(caseID: first.storedCase.id).count == 2)
    // The submission's record still answers with the case as it was then (rebuilt from the
    // journal since schema version 9), not as it is now.
    let resubmitted = try await fixture.store.idempotentResult(for: key)
    #expect(resubmitted?.storedCase == first.storedCase)
    #expect(resubmitted?.entry == first.entry)
    if engine == .sqlite {
      #expect(try await fixture.store.scalarForTesting("SELECT MAX(length(response)) FROM idempotency") == 0)
    }
    #expect(try await fixture.store.notifications(for: StoreFixture.duong, after: 0, unreadOnly: false, limit: 10).count == 1)

    // A key reused for a different action is a conflict.
    let reject = try StoreFixture.decide(
      StoreFixture.duong, .returnToIoc, on: dispatched.storedCase, content: "Không đúng chức năng nhiệm vụ",
      at: StoreFixture.at(6, hour: 11))
    await #expect(throws: StoreError.idempotencyConflict(key: "dispatch-1")) {
      _ = try await fixture.store.apply(reject, expectedVersion: 2, idempotencyKey: actionKey)
    }
    await fixture.finish()
  }

  @Test("concurrent idempotent retries create exactly one case", arguments: StoreEngine.all)
  func concurrentIdempotentCreates(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture.make(engine: engine)
    let key = IdempotencyKey(scope: "platform", key: "burst")
    let store = fixture.store
    let ids = try await withThrowingTaskGroup(of: CaseID.self) { group in
      for _ in 0..<10 {
        group.addTask {
          try await store.createCase(
            receivedAt: StoreFixture.at(6), idempotencyKey: key,
            build: StoreFixture.submission(StoreFixture.report("Dồn dập"), at: StoreFixture.at(6))
          ).storedCase.id
        }
      }
      var all: Set<CaseID> = []
      for try await id in group { all.insert(id) }
      return all
    }
    #expect(ids.count == 1)
    #expect(try await fixture.store.scalarForTesting("SELECT COUNT(*) FROM cases") == 1)
    await fixture.finish()
  }

  @Test("events are globally ordered and resumable from a cursor", arguments: StoreEngine.all)
  func eventsResume(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture.make(engine: engine)
    let a = try await fixture.submit("A")
    let b = try await fixture.submit("B")
    _ = try await fixture.act(StoreFixture.iocOperator, .dispatch(DispatchOrder(unit: StoreFixture.dongLoc)), on: a.id, at: StoreFixture.at(6, hour: 10))
    let all = try await fixture.store.events(after: 0, limit: 100)
    #expect(all.count == 3)
    #expect(all.map(\.eventSequence) == all.map(\.eventSequence).sorted())
    let resumed = try await fixture.store.events(after: all[0].eventSequence, limit: 100)
    #expect(resumed == Array(all.dropFirst()))
    #expect(resumed.map(\.entry.caseID) == [b.id, a.id])
    #expect(try await fixture.store.latestEventSequence() == all.last?.eventSequence)
    await fixture.finish()
  }

  @Test("unit statistics count early, on time and late completions", arguments: StoreEngine.all)
  func statistics(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture.make(engine: engine)
    func resolve(_ title: String, due: Timestamp, approvedAt: Timestamp) async throws {
      let c = try await fixture.submit(title)
      _ = try await fixture.act(StoreFixture.iocOperator, .dispatch(DispatchOrder(unit: StoreFixture.dongLoc, due: due)), on: c.id, at: StoreFixture.at(6, hour: 10))
      _ = try await fixture.act(StoreFixture.duong, .assign(AssignmentOrder(mainHandler: StoreFixture.thang)), on: c.id, at: StoreFixture.at(6, hour: 11))
      _ = try await fixture.act(StoreFixture.thang, .submitResult(nextHandler: StoreFixture.duong, outputProduct: nil), on: c.id, content: "Kết quả", at: approvedAt.adding(milliseconds: -60_000))
      _ = try await fixture.act(StoreFixture.duong, .approve, on: c.id, at: approvedAt)
    }
    try await resolve("Sớm", due: StoreFixture.at(10), approvedAt: StoreFixture.at(7))
    try await resolve("Đúng hạn", due: StoreFixture.at(8), approvedAt: StoreFixture.at(8, hour: 8))
    try await resolve("Trễ", due: StoreFixture.at(7), approvedAt: StoreFixture.at(9))
    let open = try await fixture.submit("Đang mở")
    _ = try await fixture.act(StoreFixture.iocOperator, .dispatch(DispatchOrder(unit: StoreFixture.dongLoc, due: StoreFixture.at(7))), on: open.id, at: StoreFixture.at(6, hour: 10))
    let stats = try await fixture.store.unitStatistics(
      unitID: StoreFixture.dongLoc, from: StoreFixture.at(1), to: StoreFixture.at(20), now: StoreFixture.at(12))
    var expected = UnitStatistics(unitID: StoreFixture.dongLoc, early: 1, onTime: 1, late: 1, pending: 1, pendingOverdue: 1)
    // Four tasks received in the period; the three approved ones' handling times (from the
    // dispatch to the approval) ascending, from the stored columns.
    expected.volume = 4
    let dispatched = StoreFixture.at(6, hour: 10)
    expected.handlingMilliseconds = [StoreFixture.at(7), StoreFixture.at(8, hour: 8), StoreFixture.at(9)]
      .map { $0.millisecondsSince1970 - dispatched.millisecondsSince1970 }.sorted()
    #expect(stats == [expected])
    let none = try await fixture.store.unitStatistics(unitID: nil, from: StoreFixture.at(20), to: StoreFixture.at(21), now: StoreFixture.at(6))
    #expect(none.allSatisfy { $0.early + $0.onTime + $0.late == 0 })
    await fixture.finish()
  }
}
