import FieldReportClient
import Synchronization

/// Fills the database through the public RPCs before the measurement: cases spread over the
/// demo province's units, categories, report days (up to four weeks back) and stages of the
/// source process, created by many concurrent lanes over every connection.
enum Prefill {
  /// The stage each case is taken to, by its index: 20 % received (at the IOC), 20 % at the
  /// unit, 20 % in progress, 15 % awaiting approval, 10 % resolved, 15 % published.
  static let pattern: [LoadActions.Stage] =
    Array(repeating: .received, count: 4) + Array(repeating: .dispatched, count: 4) + Array(repeating: .assigned, count: 4)
    + Array(repeating: .resulted, count: 3) + Array(repeating: .approved, count: 2) + Array(repeating: .published, count: 3)

  /// What the prefill made.
  struct Outcome: Sendable {
    var created = 0
    var failed = 0
    var byStage: [LoadActions.Stage: Int] = [:]
    var seconds = 0.0
  }

  /// Creates `count` cases; adds every one to the pool (received ones as dispatchable).
  /// - Parameters:
  ///   - stages: Overrides the spread: every case goes to this stage (the seed submits only).
  ///   - tagPrefix: Distinguishes the idempotency keys of the prefill's and the seed's cases.
  ///   - label: The progress line's name; nil for no progress.
  static func run(
    count: Int, lanes: Int, actions: LoadActions, clients: [FieldReportClient], stages: LoadActions.Stage? = nil, tagPrefix: String = "p", label: String?
  ) async -> Outcome {
    let started = ContinuousClock.now
    let done = Counter()
    let failed = Counter()
    let progress: Task<Void, Never>? = label.map { label in
      Task {
        var lastPrinted = ContinuousClock.now
        while !Task.isCancelled {
          try? await Task.sleep(for: .seconds(1))
          if Task.isCancelled { break }
          let now = ContinuousClock.now
          // A line per 5 s when stderr is a file; the same line redrawn every second on a terminal.
          guard Terminal.stderrIsTerminal || now - lastPrinted >= .seconds(5) else { continue }
          lastPrinted = now
          let finished = done.current
          let elapsed = Terminal.seconds(now - started)
          let rate = elapsed > 0 ? Double(finished) / elapsed : 0
          let percent = count > 0 ? finished * 100 / count : 100
          let text = "\(label): \(finished)/\(count) cases (\(percent) %), \(Int(rate.rounded())) cases/s, \(failed.current) failed, \(String(format1: elapsed)) s"
          Terminal.writeError(Terminal.stderrIsTerminal ? "\r\u{1B}[K" + text : text + "\n")
        }
      }
    }
    let now = LoadScenario.nowMs()
    let laneCount = max(1, min(lanes, count))
    let reached = await withTaskGroup(of: [LoadActions.Stage: Int].self) { group in
      for lane in 0..<laneCount {
        let client = clients[lane % clients.count]
        group.addTask {
          var reached: [LoadActions.Stage: Int] = [:]
          var consecutiveFailures = 0
          for index in stride(from: lane, to: count, by: laneCount) {
            let unit = DemoPeople.units[index % DemoPeople.units.count]
            let target = stages ?? self.pattern[(index / DemoPeople.units.count) % self.pattern.count]
            // Reports of the last four weeks (the contract accepts up to 30 days back).
            let day = Int64((index &* 7919) % 28)
            let reportedAt = now - 120_000 - day * 86_400_000 - Int64(index % 720) * 60_000
            let category = stages == nil ? DemoPeople.categories[index % DemoPeople.categories.count] : nil
            let result = await actions.walkCase(
              to: target, unit: unit, client: client, shard: lane, tag: "\(tagPrefix)\(index)", start: .now, category: category,
              reportedAtMs: stages == nil ? reportedAt : nil)
            if let result {
              actions.pool.add(caseID: result.caseID, version: result.version, received: result.reached == .received)
              reached[result.reached, default: 0] += 1
              consecutiveFailures = 0
            } else {
              failed.add()
              consecutiveFailures += 1
              if consecutiveFailures >= 50 { break }  // the server refuses: stop this lane
            }
            done.add()
          }
          return reached
        }
      }
      var total: [LoadActions.Stage: Int] = [:]
      for await part in group { for (stage, count) in part { total[stage, default: 0] += count } }
      return total
    }
    progress?.cancel()
    if let progress { await progress.value }
    if label != nil && Terminal.stderrIsTerminal { Terminal.writeError("\r\u{1B}[K") }
    return Outcome(
      created: reached.values.reduce(0, +), failed: failed.current, byStage: reached,
      seconds: Terminal.seconds(ContinuousClock.now - started))
  }
}

extension Prefill {
  /// Learns up to `limit` existing case ids (ListCases scope ALL as the IOC operator, newest
  /// first), so that reads have cases in a database filled by an earlier run.
  /// - Returns: How many ids were added.
  static func discover(limit: Int, client: FieldReportClient, options: CallOptions, pool: CasePool) async -> Int {
    var request = Fieldreport_V1_ListCasesRequest()
    request.scope = .all
    request.pageSize = 200
    var found = 0
    while found < limit {
      guard let page = try? await client.cases.listCases(request, options: options) else { break }
      for summary in page.cases.prefix(limit - found) {
        pool.add(caseID: summary.caseId, version: summary.version, received: false)
        found += 1
      }
      if page.nextPageToken.isEmpty || page.cases.isEmpty { break }
      request.pageToken = page.nextPageToken
    }
    return found
  }
}
