import Testing

@_spi(Testing) import FieldReportStore
import FieldReportWorkflow

/// The in-memory filter of recorded idempotency keys (``IdempotencyKeyFilter``): it never says
/// no to a recorded key, before or after a restart, and says no to nearly every fresh one.
@Suite("Idempotency key filter")
struct IdempotencyKeyFilterTests {
  @Test("no false negatives, and few false positives within its size")
  func noFalseNegatives() {
    let filter = IdempotencyKeyFilter()
    let stored = (0..<5_000).map { IdempotencyKey(scope: "platform", key: "stored-\($0)") }
    filter.load(Array(stored.prefix(2_500)))
    for key in stored.suffix(2_500) { filter.insert(key) }
    #expect(stored.allSatisfy(filter.mayContain))
    // Same key text in another scope is another key.
    let fresh = (0..<20_000).map { IdempotencyKey(scope: "other", key: "stored-\($0)") }
    let falsePositives = fresh.filter(filter.mayContain).count
    #expect(falsePositives < 20, "\(falsePositives) of 20,000 fresh keys")
    // Loading replaces the contents.
    filter.load([])
    #expect(!filter.mayContain(stored[0]))
  }

  @Test("a key recorded before a restart is replayed after it; an action's fresh key needs no read")
  func replaysAcrossARestart() async throws {
    let fixture = try await StoreFixture.make()
    let submitKey = IdempotencyKey(scope: "platform", key: "submit-1")
    let first = try await fixture.submit("Một", key: submitKey)
    let actKey = IdempotencyKey(scope: StoreFixture.iocOperator.rawValue, key: "dispatch-1")
    let dispatched = try await fixture.act(
      StoreFixture.iocOperator, .dispatch(DispatchOrder(unit: StoreFixture.dongLoc)), on: first.id,
      at: StoreFixture.at(6, hour: 10), key: actKey)
    #expect(try await fixture.store.idempotentResult(for: submitKey)?.storedCase.id == first.id)
    #expect(try await fixture.store.idempotentResult(for: IdempotencyKey(scope: "platform", key: "never")) == nil)
    // From memory: a fresh key and the latest version decoded.
    let start = try await fixture.store.actionStart(caseID: first.id, idempotencyKey: IdempotencyKey(scope: "x", key: "fresh"))
    guard case .current(let current?) = start else {
      Issue.record("not the current case: \(start)")
      return
    }
    #expect(current == dispatched.storedCase)
    await fixture.store.close()

    // After a restart the filter is loaded from the file: both keys replay.
    let reopened = try await fixture.reopen()
    #expect(try await reopened.idempotentResult(for: submitKey)?.storedCase.id == first.id)
    guard case .replay(let replay) = try await reopened.actionStart(caseID: first.id, idempotencyKey: actKey) else {
      Issue.record("the action's key was not replayed after the restart")
      return
    }
    #expect(replay.storedCase.version == dispatched.storedCase.version)
    let again = try await reopened.createCase(
      receivedAt: StoreFixture.at(6), idempotencyKey: submitKey,
      build: StoreFixture.submission(StoreFixture.report("Một"), at: StoreFixture.at(6)))
    #expect(again.isReplay && again.storedCase.id == first.id)
    await reopened.close()
    fixture.removeStorage()
  }
}
