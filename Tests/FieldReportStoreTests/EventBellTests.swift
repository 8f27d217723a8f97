import FieldReportStore
import Testing

/// The bell WatchEvents streams wait on: no ring is lost between a stream's read and its wait,
/// and a wait ends by a ring, its time-out or cancellation.
@Suite("EventBell", .timeLimit(.minutes(1)))
struct EventBellTests {
  @Test("a ring after the count was taken ends the wait at once, even if it came before the wait began")
  func ringBeforeWait() async {
    let bell = EventBell()
    let seen = bell.rings
    bell.ring()
    // Were the ring lost, this would wait ten minutes and the time limit would fail the test.
    await bell.wait(after: seen, upTo: .seconds(600))
    #expect(bell.rings == seen + 1)
  }

  @Test("a ring wakes every waiter")
  func ringWakesWaiters() async {
    let bell = EventBell()
    let seen = bell.rings
    await withTaskGroup(of: Void.self) { group in
      for _ in 0..<8 { group.addTask { await bell.wait(after: seen, upTo: .seconds(600)) } }
      // The waiters may or may not have started waiting: either way the ring ends their wait.
      bell.ring()
      await group.waitForAll()
    }
    #expect(bell.rings == seen + 1)
  }

  @Test("without a ring the wait ends after its time-out; a cancelled wait ends at once")
  func timeoutAndCancellation() async {
    let bell = EventBell()
    let seen = bell.rings
    await bell.wait(after: seen, upTo: .milliseconds(20))
    #expect(bell.rings == seen)
    let waiting = Task { await bell.wait(after: seen, upTo: .seconds(600)) }
    waiting.cancel()
    await waiting.value
    // Rings after cancelled waits still reach later waiters.
    bell.ring()
    await bell.wait(after: seen, upTo: .seconds(600))
  }
}
