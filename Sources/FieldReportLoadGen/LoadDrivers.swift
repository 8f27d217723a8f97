import FieldReportClient
import RPCNIO
import Synchronization

extension FieldReportClient {
  /// The event loop of the client's connection as a task executor: callers that run on it
  /// start and finish their calls without a thread hop (nil for other transports).
  var taskExecutor: (any TaskExecutor)? {
    (self.transport.base as? RPCClient)?.executor
  }
}

/// What a run does per call (or per case): operations picked by weight, or whole cases.
enum Workload: Sendable {
  /// Operations chosen at random with these weights (scenarios `mix` and `dashboard`).
  case mix(LoadMix)
  /// Each unit of work is one case walked from submission to publication.
  case lifecycle
}

/// Closed loop: `workers` tasks per connection, each calling again as soon as its call ends,
/// until the budget is spent. Latency is from each call's actual start.
enum ClosedLoop {
  static func run(actions: LoadActions, clients: [FieldReportClient], workers: Int, budget: LoadBudget, workload: Workload) async {
    await withDiscardingTaskGroup { group in
      for (index, client) in clients.enumerated() {
        for worker in 0..<workers {
          let id = index * workers + worker
          group.addTask(executorPreference: client.taskExecutor) {
            var generator = FastRandom(stream: id)
            var sequence = 0
            switch workload {
            case .mix(let mix):
              while budget.take() {
                sequence += 1
                await actions.perform(mix.pick(using: &generator), client: client, shard: id, tag: "\(id)-\(sequence)", start: .now)
              }
            case .lifecycle:
              var exhausted = false
              while !exhausted {
                sequence += 1
                let unit = DemoPeople.units[(id + sequence) % DemoPeople.units.count]
                await actions.walkCase(
                  to: .published, unit: unit, client: client, shard: id, tag: "\(id)-\(sequence)", start: .now,
                  take: {
                    if budget.take() { return true }
                    exhausted = true
                    return false
                  })
              }
            }
          }
        }
      }
    }
  }
}

/// Open loop: calls (or, for the lifecycle, new cases) are scheduled at a fixed rate whatever
/// the server does, and each call's latency is measured from its scheduled start, so that a
/// slow server shows as latency rather than as fewer calls (no coordinated omission). At most
/// `maxInFlight` calls run at once; a call that finds no free slot waits for one (its wait
/// counts in its latency), and the scheduled calls that could not start before the end are
/// counted as not started.
enum OpenLoop {
  /// What the scheduler did.
  struct Outcome: Sendable {
    /// Calls (or cases) scheduled in the window.
    var scheduled: Int
    /// Of those, the ones that never started (no free slot before the end).
    var notStarted: Int
    /// Calls that started later than scheduled by more than 1 ms (waiting for a slot, or the
    /// generator itself was late).
    var startedLate: Int
  }

  static func run(
    actions: LoadActions, clients: [FieldReportClient], rate: Double, maxInFlight: Int, count: Int?, budget: LoadBudget,
    workload: Workload
  ) async -> Outcome {
    let window = budget.deadline - budget.start
    let windowSeconds = Double(window.components.seconds) + Double(window.components.attoseconds) / 1e18
    let scheduled = min(count ?? Int.max, Int((windowSeconds * rate).rounded(.down)))
    let inFlight = Counter()
    let nanosecondsPerCall = 1e9 / rate
    var started = 0
    var late = 0
    var generator = FastRandom()
    await withDiscardingTaskGroup { group in
      scheduling: while started < scheduled {
        let intended = budget.start + .nanoseconds(Int64((Double(started) * nanosecondsPerCall).rounded()))
        if intended > .now {
          try? await Task.sleep(until: intended, tolerance: .microseconds(20))
        }
        while inFlight.current >= maxInFlight {
          if budget.expired { break scheduling }
          try? await Task.sleep(for: .microseconds(100))
        }
        if ContinuousClock.now - intended > .milliseconds(1) { late += 1 }
        inFlight.add()
        let sequence = started
        let client = clients[sequence % clients.count]
        // Chosen here, by the one scheduling task: the calls' tasks need no generator.
        var operation: LoadOperation? = nil
        if case .mix(let mix) = workload { operation = mix.pick(using: &generator) }
        group.addTask(executorPreference: client.taskExecutor) { [operation] in
          switch workload {
          case .mix:
            await actions.perform(operation ?? .get, client: client, shard: sequence, tag: "o\(sequence)", start: intended)
          case .lifecycle:
            let unit = DemoPeople.units[sequence % DemoPeople.units.count]
            await actions.walkCase(to: .published, unit: unit, client: client, shard: sequence, tag: "o\(sequence)", start: intended)
          }
          inFlight.subtract()
        }
        started += 1
      }
    }
    return Outcome(scheduled: scheduled, notStarted: scheduled - started, startedLate: late)
  }
}

/// The live line on stderr: elapsed time, calls/s over the last second, errors and the p99 of
/// the run so far, refreshed every second; only when stderr is a terminal.
final class LiveProgress: Sendable {
  private let task: Mutex<Task<Void, Never>?> = Mutex(nil)

  /// Starts refreshing the line (nothing happens when stderr is not a terminal).
  init(recorder: Recorder, label: String) {
    guard Terminal.stderrIsTerminal else { return }
    let task = Task {
      var previous = 0
      var previousTime = ContinuousClock.now
      while !Task.isCancelled {
        try? await Task.sleep(for: .seconds(1))
        if Task.isCancelled { break }
        let now = ContinuousClock.now
        let (calls, errors, p99) = recorder.progress()
        let interval = Terminal.seconds(now - previousTime)
        let rate = interval > 0 ? Double(calls - previous) / interval : 0
        previous = calls
        previousTime = now
        let elapsed = Terminal.seconds(now - recorder.origin)
        Terminal.writeError(
          "\r\u{1B}[K\(label) \(String(format1: elapsed)) s  \(Int(rate.rounded())) calls/s  \(calls) calls  \(errors) errors  p99 \(LoadStatistics.milliseconds(p99)) ms"
        )
      }
    }
    self.task.withLock { $0 = task }
  }

  /// Stops refreshing and clears the line.
  func stop() async {
    guard let task = self.task.withLock({ $0 }) else { return }
    task.cancel()
    await task.value
    Terminal.writeError("\r\u{1B}[K")
  }
}
