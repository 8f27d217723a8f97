import Synchronization

/// Rung when journal events may have been committed: what WatchEvents streams wait on between
/// reads of the journal (``FieldReportStore/events(after:limit:)``), instead of polling it.
///
/// The bell carries no events and no cursor: a stream always reads the journal after its own
/// cursor (the event sequence), so a spurious ring costs one empty read and a missed one is
/// caught by the stream's slow fallback read. The SQLite store rings it after each of its own
/// commits that append to the journal; the PostgreSQL store also rings it for every
/// `NOTIFY fieldreport_events` (a commit through any replica), and once each time its
/// listening connection is (re)established, since notifications sent while it was away are
/// lost.
///
/// Use: take ``rings`` *before* reading the journal, then ``wait(after:upTo:)`` with it: a ring
/// between the read and the wait is not lost.
///
/// # Thread safety
/// Safe from any thread or task; a `Mutex` guards the count and the waiters.
public final class EventBell: Sendable {
  private enum Waiter {
    /// Allocated; its continuation is not registered yet.
    case pending
    case waiting(CheckedContinuation<Void, Never>)
    /// Cancelled before its continuation was registered.
    case cancelled
  }

  private struct State {
    var rings: UInt64 = 0
    var nextWaiter = 0
    var waiters: [Int: Waiter] = [:]
  }

  private let state = Mutex(State())

  /// A bell that has not rung.
  public init() {}

  /// How many times it has rung.
  public var rings: UInt64 { state.withLock { $0.rings } }

  /// Rings: every waiter returns.
  public func ring() {
    let woken = state.withLock { state -> [CheckedContinuation<Void, Never>] in
      state.rings &+= 1
      var woken: [CheckedContinuation<Void, Never>] = []
      for (id, waiter) in state.waiters {
        if case .waiting(let continuation) = waiter {
          woken.append(continuation)
          state.waiters[id] = nil
        }
      }
      return woken
    }
    for continuation in woken { continuation.resume() }
  }

  /// Returns once the bell has rung since ``rings`` was `seen` (at once if it already has),
  /// after `timeout`, or when the task is cancelled, whichever comes first.
  public func wait(after seen: UInt64, upTo timeout: Duration) async {
    await withTaskGroup(of: Void.self) { group in
      group.addTask { try? await Task.sleep(for: timeout) }
      group.addTask { await self.ringing(after: seen) }
      await group.next()
      group.cancelAll()
    }
  }

  /// Returns once the bell has rung since `seen`, or when the task is cancelled.
  private func ringing(after seen: UInt64) async {
    let id = state.withLock { state in
      state.nextWaiter &+= 1
      state.waiters[state.nextWaiter] = .pending
      return state.nextWaiter
    }
    await withTaskCancellationHandler {
      await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
        let resumeNow = state.withLock { state -> Bool in
          if case .cancelled = state.waiters[id] {
            state.waiters[id] = nil
            return true
          }
          if state.rings != seen {
            state.waiters[id] = nil
            return true
          }
          state.waiters[id] = .waiting(continuation)
          return false
        }
        if resumeNow { continuation.resume() }
      }
    } onCancel: {
      let waiting = state.withLock { state -> CheckedContinuation<Void, Never>? in
        switch state.waiters[id] {
        case .waiting(let continuation)?:
          state.waiters[id] = nil
          return continuation
        case .pending?:
          state.waiters[id] = .cancelled
          return nil
        case .cancelled?, nil:
          // Already woken (or already marked): nothing to do.
          return nil
        }
      }
      waiting?.resume()
    }
  }
}
