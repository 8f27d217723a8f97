import FieldReportClient
import Histogram

/// What one worker (or, merged, the whole run) measured: per operation, a latency
/// histogram of the successful calls in microseconds and the failures by status code.
struct LoadStatistics: Sendable {
  /// Latency of one operation's successful calls, in microseconds (up to 60 s).
  var latencies: [LoadOperation: Histogram<UInt64>] = [:]
  /// Failed calls: operation → status name → count.
  var errors: [LoadOperation: [String: Int]] = [:]
  /// Dispatches turned into submissions because no received case was left.
  var dispatchesWithoutCase = 0

  private static func emptyHistogram() -> Histogram<UInt64> {
    Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
  }

  /// Records one successful call.
  mutating func record(_ operation: LoadOperation, microseconds: UInt64) {
    _ = self.latencies[operation, default: Self.emptyHistogram()].record(min(microseconds, 60_000_000))
  }

  /// Records one failed call.
  mutating func recordError(_ operation: LoadOperation, code: StatusCode) {
    self.errors[operation, default: [:]][code.description, default: 0] += 1
  }

  /// Adds another worker's figures.
  mutating func merge(_ other: LoadStatistics) {
    for (operation, histogram) in other.latencies {
      self.latencies[operation, default: Self.emptyHistogram()].add(histogram)
    }
    for (operation, codes) in other.errors {
      for (code, count) in codes { self.errors[operation, default: [:]][code, default: 0] += count }
    }
    self.dispatchesWithoutCase += other.dispatchesWithoutCase
  }

  /// Calls made (successes and failures).
  var totalCalls: Int {
    self.latencies.values.reduce(0) { $0 + Int($1.totalCount) } + self.totalErrors
  }

  /// Failed calls.
  var totalErrors: Int {
    self.errors.values.reduce(0) { $0 + $1.values.reduce(0, +) }
  }

  /// The result table (Markdown), one row per operation and a total row.
  func table(seconds: Double) -> String {
    func ms(_ micros: UInt64) -> String {
      let value = Double(micros) / 1000
      return value < 10 ? String(format2: value) : String(Int(value.rounded()))
    }
    var lines = [
      "| operation | calls | calls/s | p50 ms | p99 ms | p99.9 ms | max ms | errors |",
      "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    var all = Self.emptyHistogram()
    for operation in LoadOperation.allCases {
      let histogram = self.latencies[operation] ?? Self.emptyHistogram()
      let errors = self.errors[operation]?.values.reduce(0, +) ?? 0
      let calls = Int(histogram.totalCount) + errors
      guard calls > 0 else { continue }
      all.add(histogram)
      lines.append(Self.row(operation.rawValue, calls: calls, errors: errors, histogram: histogram, seconds: seconds, ms: ms))
    }
    lines.append(Self.row("**all**", calls: self.totalCalls, errors: self.totalErrors, histogram: all, seconds: seconds, ms: ms))
    return lines.joined(separator: "\n")
  }

  private static func row(
    _ name: String, calls: Int, errors: Int, histogram: Histogram<UInt64>, seconds: Double, ms: (UInt64) -> String
  ) -> String {
    let rate = seconds > 0 ? Int((Double(calls) / seconds).rounded()) : 0
    guard histogram.totalCount > 0 else { return "| \(name) | \(calls) | \(rate) | – | – | – | – | \(errors) |" }
    return "| \(name) | \(calls) | \(rate) | \(ms(histogram.valueAtPercentile(50))) | \(ms(histogram.valueAtPercentile(99))) | \(ms(histogram.valueAtPercentile(99.9))) | \(ms(histogram.max)) | \(errors) |"
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

extension String {
  /// A number with two decimals (Foundation-free).
  init(format2 value: Double) {
    let hundredths = Int((value * 100).rounded())
    let fraction = hundredths % 100
    self = "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
  }
}
