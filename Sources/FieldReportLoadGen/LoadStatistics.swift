import FieldReportClient
import Histogram
import Synchronization

/// What a run (or one shard of it) measured: per operation, a latency histogram of the
/// successful calls in microseconds, the failures by status code and the calls completed in
/// each second of the run.
struct LoadStatistics: Sendable {
  /// The longest latency recorded, in microseconds (longer ones are recorded as this).
  static let highestMicroseconds: UInt64 = 600_000_000

  /// Latency of one operation's successful calls, in microseconds.
  var latencies: [LoadOperation: Histogram<UInt32>] = [:]
  /// Failed calls: operation → status name → count.
  var errors: [LoadOperation: [String: Int]] = [:]
  /// Calls completed (successes and failures) per operation, by second since the start.
  var timeline: [LoadOperation: [Int]] = [:]
  /// Lifecycle cases that reached publication.
  var completedCases = 0
  /// Lifecycle cases completed, by second since the start.
  var casesTimeline: [Int] = []
  /// Dispatches turned into submissions because no received case was left.
  var dispatchesWithoutCase = 0
  /// Reads (get, journal, workflow) skipped because no case was known yet.
  var readsWithoutCase = 0

  static func emptyHistogram() -> Histogram<UInt32> {
    Histogram<UInt32>(highestTrackableValue: Self.highestMicroseconds, numberOfSignificantValueDigits: .three)
  }

  private static func bump(_ series: inout [Int], second: Int) {
    let index = max(0, second)
    if series.count <= index { series.append(contentsOf: repeatElement(0, count: index + 1 - series.count)) }
    series[index] += 1
  }

  /// Records one successful call that ended `second` seconds after the start.
  mutating func record(_ operation: LoadOperation, microseconds: UInt64, second: Int) {
    _ = self.latencies[operation, default: Self.emptyHistogram()].record(min(microseconds, Self.highestMicroseconds))
    Self.bump(&self.timeline[operation, default: []], second: second)
  }

  /// Records one failed call.
  mutating func recordError(_ operation: LoadOperation, code: String, second: Int) {
    self.errors[operation, default: [:]][code, default: 0] += 1
    Self.bump(&self.timeline[operation, default: []], second: second)
  }

  /// Records a lifecycle case that reached publication.
  mutating func recordCompletedCase(second: Int) {
    self.completedCases += 1
    Self.bump(&self.casesTimeline, second: second)
  }

  private static func add(_ series: [Int], to total: inout [Int]) {
    if total.count < series.count { total.append(contentsOf: repeatElement(0, count: series.count - total.count)) }
    for (index, value) in series.enumerated() { total[index] += value }
  }

  /// Adds another shard's figures.
  mutating func merge(_ other: LoadStatistics) {
    for (operation, histogram) in other.latencies {
      self.latencies[operation, default: Self.emptyHistogram()].add(histogram)
    }
    for (operation, codes) in other.errors {
      for (code, count) in codes { self.errors[operation, default: [:]][code, default: 0] += count }
    }
    for (operation, series) in other.timeline { Self.add(series, to: &self.timeline[operation, default: []]) }
    self.completedCases += other.completedCases
    Self.add(other.casesTimeline, to: &self.casesTimeline)
    self.dispatchesWithoutCase += other.dispatchesWithoutCase
    self.readsWithoutCase += other.readsWithoutCase
  }

  /// The operations with at least one call, in table order.
  var operations: [LoadOperation] {
    LoadOperation.allCases.filter { self.calls($0) > 0 }
  }

  /// Calls of one operation (successes and failures).
  func calls(_ operation: LoadOperation) -> Int {
    Int(self.latencies[operation]?.totalCount ?? 0) + (self.errors[operation]?.values.reduce(0, +) ?? 0)
  }

  /// Calls made (successes and failures).
  var totalCalls: Int {
    self.latencies.values.reduce(0) { $0 + Int($1.totalCount) } + self.totalErrors
  }

  /// Failed calls.
  var totalErrors: Int {
    self.errors.values.reduce(0) { $0 + $1.values.reduce(0, +) }
  }

  /// Every operation's successful latencies in one histogram.
  var allLatencies: Histogram<UInt32> {
    var all = Self.emptyHistogram()
    for histogram in self.latencies.values { all.add(histogram) }
    return all
  }

  /// Every failure by status.
  var allErrors: [String: Int] {
    var all: [String: Int] = [:]
    for codes in self.errors.values { for (code, count) in codes { all[code, default: 0] += count } }
    return all
  }

  /// Calls completed per second, every operation together.
  var totalTimeline: [Int] {
    var total: [Int] = []
    for series in self.timeline.values { Self.add(series, to: &total) }
    return total
  }

  /// The result table (Markdown), one row per operation and a total row.
  func table(seconds: Double) -> String {
    var lines = [
      "| operation | calls | calls/s | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | errors |",
      "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for operation in self.operations {
      let errors = self.errors[operation]?.values.reduce(0, +) ?? 0
      lines.append(
        Self.row(
          operation.rawValue, calls: self.calls(operation), errors: errors, histogram: self.latencies[operation] ?? Self.emptyHistogram(),
          seconds: seconds))
    }
    lines.append(Self.row("**all**", calls: self.totalCalls, errors: self.totalErrors, histogram: self.allLatencies, seconds: seconds))
    return lines.joined(separator: "\n")
  }

  /// Milliseconds with two decimals below 10, whole above.
  static func milliseconds(_ micros: UInt64) -> String {
    let value = Double(micros) / 1000
    return value < 10 ? String(format2: value) : String(Int(value.rounded()))
  }

  private static func row(_ name: String, calls: Int, errors: Int, histogram: Histogram<UInt32>, seconds: Double) -> String {
    let rate = seconds > 0 ? Int((Double(calls) / seconds).rounded()) : 0
    guard histogram.totalCount > 0 else { return "| \(name) | \(calls) | \(rate) | – | – | – | – | – | \(errors) |" }
    let ms = Self.milliseconds
    return
      "| \(name) | \(calls) | \(rate) | \(ms(histogram.valueAtPercentile(50))) | \(ms(histogram.valueAtPercentile(90))) | \(ms(histogram.valueAtPercentile(99))) | \(ms(histogram.valueAtPercentile(99.9))) | \(ms(histogram.max)) | \(errors) |"
  }

  /// The failures, one line per operation and status (empty when there were none).
  var errorLines: [String] {
    var lines: [String] = []
    for operation in LoadOperation.allCases {
      for (code, count) in (self.errors[operation] ?? [:]).sorted(by: { $0.key < $1.key }) {
        lines.append("  \(operation.rawValue): \(code) × \(count)")
      }
    }
    return lines
  }
}

/// Where every call of a run is recorded: a few shards (a worker always uses the same one), so
/// that workers on different threads rarely wait for each other, and the live progress line
/// can read the figures so far.
///
/// # Thread safety
/// Each shard is a `Mutex`; a record holds it for a histogram increment.
final class Recorder: Sendable {
  private final class Shard: Sendable {
    let statistics = Mutex(LoadStatistics())
  }

  private let shards: [Shard]
  /// The start of the measured window (seconds of the timelines count from here).
  let origin: ContinuousClock.Instant

  init(shards: Int = 8, origin: ContinuousClock.Instant) {
    self.shards = (0..<max(1, shards)).map { _ in Shard() }
    self.origin = origin
  }

  private func second(_ instant: ContinuousClock.Instant) -> Int {
    Int((instant - self.origin).components.seconds)
  }

  /// Records a successful call that was meant to start at `start` and ended now.
  func record(_ operation: LoadOperation, from start: ContinuousClock.Instant, shard: Int) {
    let now = ContinuousClock.now
    let micros = Self.microseconds(now - start)
    let second = self.second(now)
    self.shards[shard % self.shards.count].statistics.withLock { $0.record(operation, microseconds: micros, second: second) }
  }

  /// Records a failed call.
  func recordError(_ operation: LoadOperation, _ error: RPCError, shard: Int) {
    let second = self.second(.now)
    self.shards[shard % self.shards.count].statistics.withLock { $0.recordError(operation, code: error.code.description, second: second) }
  }

  /// Records a lifecycle case that reached publication.
  func recordCompletedCase(shard: Int) {
    let second = self.second(.now)
    self.shards[shard % self.shards.count].statistics.withLock { $0.recordCompletedCase(second: second) }
  }

  /// Counts a dispatch that found no case (and submitted instead) or a read without a case.
  func countMissingCase(dispatch: Bool, shard: Int) {
    self.shards[shard % self.shards.count].statistics.withLock {
      if dispatch { $0.dispatchesWithoutCase += 1 } else { $0.readsWithoutCase += 1 }
    }
  }

  /// Every shard merged.
  func snapshot() -> LoadStatistics {
    var total = LoadStatistics()
    for shard in self.shards {
      let part = shard.statistics.withLock { $0 }
      total.merge(part)
    }
    return total
  }

  /// Calls, errors and the p99 of successful calls so far (for the live line).
  func progress() -> (calls: Int, errors: Int, p99: UInt64) {
    var calls = 0
    var errors = 0
    var all = LoadStatistics.emptyHistogram()
    for shard in self.shards {
      shard.statistics.withLock { statistics in
        calls += statistics.totalCalls
        errors += statistics.totalErrors
        for histogram in statistics.latencies.values { all.add(histogram) }
      }
    }
    return (calls, errors, all.totalCount > 0 ? all.valueAtPercentile(99) : 0)
  }

  static func microseconds(_ duration: Duration) -> UInt64 {
    let (seconds, attoseconds) = duration.components
    return UInt64(max(0, seconds)) * 1_000_000 + UInt64(max(0, attoseconds / 1_000_000_000_000))
  }
}

extension String {
  /// A number with two decimals (Foundation-free).
  init(format2 value: Double) {
    let hundredths = Int((value * 100).rounded())
    let sign = hundredths < 0 ? "-" : ""
    let magnitude = abs(hundredths)
    let fraction = magnitude % 100
    self = "\(sign)\(magnitude / 100).\(fraction < 10 ? "0" : "")\(fraction)"
  }
}
