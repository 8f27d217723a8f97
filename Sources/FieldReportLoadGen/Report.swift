import Histogram

/// A JSON value, rendered by hand (keys keep their order).
indirect enum JSON: Sendable {
  case null
  case bool(Bool)
  case int(Int)
  case double(Double)
  case string(String)
  case array([JSON])
  case object([(String, JSON)])

  /// The value as JSON text (one line; objects and arrays of numbers stay compact).
  var text: String {
    switch self {
    case .null: return "null"
    case .bool(let value): return value ? "true" : "false"
    case .int(let value): return String(value)
    case .double(let value):
      guard value.isFinite else { return "null" }
      return value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(format2: value)
    case .string(let value): return Self.quoted(value)
    case .array(let values): return "[" + values.map(\.text).joined(separator: ", ") + "]"
    case .object(let pairs): return "{" + pairs.map { "\(Self.quoted($0.0)): \($0.1.text)" }.joined(separator: ", ") + "}"
    }
  }

  static func quoted(_ value: String) -> String {
    var out = "\""
    for scalar in value.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      default:
        if scalar.value < 0x20 {
          let hex = String(scalar.value, radix: 16)
          out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        } else {
          out.unicodeScalars.append(scalar)
        }
      }
    }
    return out + "\""
  }
}

/// The `--json` report.
enum Report {
  /// One operation's (or every operation's) figures: calls, calls/s, percentiles in µs of the
  /// successful calls (null when none succeeded), failures by status.
  static func figures(calls: Int, seconds: Double, histogram: Histogram<UInt32>?, errors: [String: Int]) -> JSON {
    func value(_ percentile: Double) -> JSON {
      guard let histogram, histogram.totalCount > 0 else { return .null }
      return .int(Int(histogram.valueAtPercentile(percentile)))
    }
    let maximum: JSON = histogram.map { $0.totalCount > 0 ? .int(Int($0.max)) : .null } ?? .null
    let mean: JSON = histogram.map { $0.totalCount > 0 ? .double($0.mean) : .null } ?? .null
    return .object([
      ("calls", .int(calls)),
      ("calls_per_s", .double(seconds > 0 ? Double(calls) / seconds : 0)),
      ("p50_us", value(50)), ("p90_us", value(90)), ("p99_us", value(99)), ("p999_us", value(99.9)),
      ("max_us", maximum), ("mean_us", mean),
      ("errors", .object(errors.sorted { $0.key < $1.key }.map { ($0.key, .int($0.value)) })),
    ])
  }

  /// The whole report: the required keys first (scenario, connections, workers, duration_s,
  /// operations, all, server_rss_kb), then `extra`.
  static func document(
    scenario: String, connections: Int, workers: Int, seconds: Double, statistics: LoadStatistics, serverRSS: Int?,
    extra: [(String, JSON)]
  ) -> JSON {
    var operations: [(String, JSON)] = []
    for operation in statistics.operations {
      operations.append((
        operation.rawValue,
        Self.figures(
          calls: statistics.calls(operation), seconds: seconds, histogram: statistics.latencies[operation],
          errors: statistics.errors[operation] ?? [:])
      ))
    }
    var timeline: [(String, JSON)] = [("all", .array(statistics.totalTimeline.map { .int($0) }))]
    for operation in statistics.operations {
      timeline.append((operation.rawValue, .array((statistics.timeline[operation] ?? []).map { .int($0) })))
    }
    return .object(
      [
        ("scenario", .string(scenario)),
        ("connections", .int(connections)),
        ("workers", .int(workers)),
        ("duration_s", .double(seconds)),
        ("operations", .object(operations)),
        ("all", Self.figures(calls: statistics.totalCalls, seconds: seconds, histogram: statistics.allLatencies, errors: statistics.allErrors)),
        ("server_rss_kb", serverRSS.map { .int($0) } ?? .null),
      ] + extra + [("calls_per_second_timeline", .object(timeline))])
  }
}
