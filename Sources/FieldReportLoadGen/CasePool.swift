import Synchronization

/// The cases this run knows (seeded, prefilled or submitted), shared by every worker: the ones
/// still waiting for dispatch (with the version to expect) and a ring of ids for reads.
///
/// # Thread safety
/// A `Mutex` guards the state; every method is short and never suspends.
final class CasePool: Sendable {
  /// A received case the IOC may dispatch.
  struct Received: Sendable {
    let caseID: String
    let version: Int64
  }

  private struct State {
    var received: [Received] = []
    var recent: [String] = []
    var next = 0
    var random = FastRandom()
  }

  private let state = Mutex(State())
  private let capacity: Int

  /// - Parameter capacity: How many ids `randomCaseID` chooses from (the newest ones).
  init(capacity: Int = 200_000) {
    self.capacity = capacity
  }

  /// Records a case: `received` when the IOC may still dispatch it at `version`.
  func add(caseID: String, version: Int64, received: Bool = true) {
    self.state.withLock { state in
      if received { state.received.append(Received(caseID: caseID, version: version)) }
      if state.recent.count < self.capacity {
        state.recent.append(caseID)
      } else {
        state.recent[state.next] = caseID
        state.next = (state.next + 1) % self.capacity
      }
    }
  }

  /// Takes a received case for dispatch (each one is dispatched at most once), newest first.
  func takeReceived() -> Received? {
    self.state.withLock { $0.received.popLast() }
  }

  /// A random known case id, or nil before the first one.
  func randomCaseID() -> String? {
    self.state.withLock { state in state.recent.randomElement(using: &state.random) }
  }

  /// How many cases wait for dispatch, and how many ids reads choose from.
  var counts: (received: Int, known: Int) {
    self.state.withLock { ($0.received.count, $0.recent.count) }
  }
}
