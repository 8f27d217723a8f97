#if canImport(Glibc)
  import Glibc
#endif
import Histogram

/// The `--plot` SVG, drawn here: latency by percentile per operation (HDR style: x is the
/// percentile on a log scale of 1/(1-p), y the latency on a log scale), and calls completed
/// per second over the run.
enum Plot {
  static let palette = [
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f", "#393b79",
    "#637939",
  ]

  private static func f(_ value: Double) -> String { String(format1: value) }

  private static func escape(_ text: String) -> String {
    text.replacingAll("&", "&amp;").replacingAll("<", "&lt;").replacingAll(">", "&gt;")
  }

  /// The latency 10^decade milliseconds as an axis label.
  private static func latencyLabel(decade: Int) -> String {
    switch decade {
    case ...(-4): return "\(Int(pow(10, Double(decade + 6)).rounded())) ns"
    case -3 ... -1: return "\(Int(pow(10, Double(decade + 3)).rounded())) µs"
    case 0...2: return "\(Int(pow(10, Double(decade)).rounded())) ms"
    default: return "\(Int(pow(10, Double(decade - 3)).rounded())) s"
    }
  }

  private static let percentileLabels = ["0%", "90%", "99%", "99.9%", "99.99%", "99.999%", "99.9999%"]

  /// A round number at or above `value` (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 × 10ⁿ).
  static func niceCeiling(_ value: Double) -> Double {
    guard value > 0 else { return 1 }
    let decade = pow(10, floor(log10(value)))
    for step in [1.0, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10] where step * decade >= value { return step * decade }
    return 10 * decade
  }

  /// The SVG document.
  static func svg(title: String, subtitle: String, statistics: LoadStatistics, seconds: Double, openLoop: Bool) -> String {
    let width = 1100.0
    let left = 90.0
    let right = 880.0
    let legendX = 905.0
    var out: [String] = []
    out.append(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"860\" viewBox=\"0 0 \(Int(width)) 860\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" font-size=\"12\">"
    )
    out.append("<rect x=\"0\" y=\"0\" width=\"\(Int(width))\" height=\"860\" fill=\"white\"/>")
    out.append("<text x=\"\(f(left))\" y=\"24\" font-size=\"16\" font-weight=\"bold\">\(escape(title))</text>")
    out.append("<text x=\"\(f(left))\" y=\"42\" fill=\"#444\">\(escape(subtitle))</text>")

    let operations = statistics.operations
    // The most distinct colours first, in the order of the operations drawn.
    func color(_ operation: LoadOperation) -> String {
      self.palette[(operations.firstIndex(of: operation) ?? 0) % self.palette.count]
    }

    // Panel 1: latency by percentile.
    let top1 = 80.0
    let bottom1 = 400.0
    let withLatencies = operations.filter { (statistics.latencies[$0]?.totalCount ?? 0) > 0 }
    let largestCount = withLatencies.map { Double(statistics.latencies[$0]!.totalCount) }.max() ?? 1
    let xMax = Double(min(6, max(2, Int(ceil(log10(max(largestCount, 10)))))))
    var lowest = Double.infinity
    var highest = 0.0
    for operation in withLatencies {
      let histogram = statistics.latencies[operation]!
      lowest = min(lowest, Double(max(histogram.min, 1)) / 1000)
      highest = max(highest, Double(max(histogram.max, 1)) / 1000)
    }
    if withLatencies.isEmpty {
      lowest = 0.1
      highest = 10
    }
    let yLow = Int(floor(log10(lowest)))
    var yHigh = Int(ceil(log10(highest)))
    if yHigh <= yLow { yHigh = yLow + 1 }
    func x1(_ value: Double) -> Double { left + (right - left) * value / xMax }
    func y1(_ ms: Double) -> Double {
      let position = (log10(max(ms, 1e-6)) - Double(yLow)) / Double(yHigh - yLow)
      return bottom1 - (bottom1 - top1) * position
    }
    out.append("<text x=\"\(f(left))\" y=\"\(f(top1 - 10))\" font-size=\"14\" font-weight=\"bold\">Latency by percentile (log scales\(openLoop ? "; from each call's scheduled start" : "")), successful calls</text>")
    out.append("<rect x=\"\(f(left))\" y=\"\(f(top1))\" width=\"\(f(right - left))\" height=\"\(f(bottom1 - top1))\" fill=\"none\" stroke=\"#333\"/>")
    for decade in yLow...yHigh {
      let y = y1(pow(10, Double(decade)))
      out.append("<line x1=\"\(f(left))\" y1=\"\(f(y))\" x2=\"\(f(right))\" y2=\"\(f(y))\" stroke=\"#ccc\"/>")
      out.append("<text x=\"\(f(left - 6))\" y=\"\(f(y + 4))\" text-anchor=\"end\">\(latencyLabel(decade: decade))</text>")
      if decade < yHigh {
        for minor in [2.0, 5.0] {
          let ym = y1(minor * pow(10, Double(decade)))
          out.append("<line x1=\"\(f(left))\" y1=\"\(f(ym))\" x2=\"\(f(right))\" y2=\"\(f(ym))\" stroke=\"#eee\"/>")
        }
      }
    }
    for tick in 0...Int(xMax) {
      let x = x1(Double(tick))
      out.append("<line x1=\"\(f(x))\" y1=\"\(f(top1))\" x2=\"\(f(x))\" y2=\"\(f(bottom1))\" stroke=\"#ccc\"/>")
      out.append("<text x=\"\(f(x))\" y=\"\(f(bottom1 + 16))\" text-anchor=\"middle\">\(self.percentileLabels[tick])</text>")
    }
    out.append("<text x=\"\(f((left + right) / 2))\" y=\"\(f(bottom1 + 34))\" text-anchor=\"middle\">percentile</text>")
    out.append("<text transform=\"translate(22 \(f((top1 + bottom1) / 2))) rotate(-90)\" text-anchor=\"middle\">latency</text>")
    for operation in withLatencies {
      let histogram = statistics.latencies[operation]!
      let limit = min(xMax, log10(Double(histogram.totalCount)))
      var points: [String] = []
      var x = 0.0
      while x <= limit + 1e-9 {
        let percentile = 100 * (1 - pow(10, -x))
        let ms = Double(max(histogram.valueAtPercentile(percentile), 1)) / 1000
        points.append("\(f(x1(x))),\(f(y1(ms)))")
        x += 0.025
      }
      points.append("\(f(x1(limit))),\(f(y1(Double(max(histogram.max, 1)) / 1000)))")
      out.append("<polyline fill=\"none\" stroke=\"\(color(operation))\" stroke-width=\"2\" points=\"\(points.joined(separator: " "))\"/>")
    }

    // Panel 2: throughput over time.
    let top2 = 480.0
    let bottom2 = 800.0
    // Whole seconds, and the last partial one scaled to a rate when it lasted half a second or more.
    let whole = Int(seconds.rounded(.down))
    let fraction = seconds - Double(whole)
    let span = max(1, fraction >= 0.5 ? whole + 1 : whole)
    func rates(_ counts: [Int]) -> [Double] {
      (0..<span).map { second in
        let count = Double(second < counts.count ? counts[second] : 0)
        return second == whole && fraction > 0 ? count / fraction : count
      }
    }
    let total = statistics.totalTimeline
    let series = rates(total)
    let yMax2 = niceCeiling((series.max() ?? 1) * 1.05)
    func x2(_ second: Double) -> Double { left + (right - left) * second / Double(span) }
    func y2(_ rate: Double) -> Double { bottom2 - (bottom2 - top2) * rate / yMax2 }
    out.append("<text x=\"\(f(left))\" y=\"\(f(top2 - 10))\" font-size=\"14\" font-weight=\"bold\">Calls completed per second</text>")
    out.append("<rect x=\"\(f(left))\" y=\"\(f(top2))\" width=\"\(f(right - left))\" height=\"\(f(bottom2 - top2))\" fill=\"none\" stroke=\"#333\"/>")
    for step in 0...5 {
      let rate = yMax2 * Double(step) / 5
      let y = y2(rate)
      out.append("<line x1=\"\(f(left))\" y1=\"\(f(y))\" x2=\"\(f(right))\" y2=\"\(f(y))\" stroke=\"#ccc\"/>")
      out.append("<text x=\"\(f(left - 6))\" y=\"\(f(y + 4))\" text-anchor=\"end\">\(Int(rate.rounded()))</text>")
    }
    let xStep = max(1, Int(niceCeiling(Double(span) / 10)))
    for second in stride(from: 0, through: span, by: xStep) {
      let x = x2(Double(second))
      out.append("<line x1=\"\(f(x))\" y1=\"\(f(top2))\" x2=\"\(f(x))\" y2=\"\(f(bottom2))\" stroke=\"#eee\"/>")
      out.append("<text x=\"\(f(x))\" y=\"\(f(bottom2 + 16))\" text-anchor=\"middle\">\(second)</text>")
    }
    out.append("<text x=\"\(f((left + right) / 2))\" y=\"\(f(bottom2 + 34))\" text-anchor=\"middle\">seconds since the start</text>")
    out.append("<text transform=\"translate(22 \(f((top2 + bottom2) / 2))) rotate(-90)\" text-anchor=\"middle\">calls/s</text>")
    func line(_ counts: [Int], stroke: String, width: Double, dash: Bool = false) {
      guard !counts.isEmpty else { return }
      var points: [String] = []
      for (second, value) in rates(counts).enumerated() {
        let y = y2(value)
        points.append("\(f(x2(Double(second)))),\(f(y)) \(f(x2(Double(second + 1)))),\(f(y))")
      }
      out.append(
        "<polyline fill=\"none\" stroke=\"\(stroke)\" stroke-width=\"\(f(width))\"\(dash ? " stroke-dasharray=\"6 4\"" : "") points=\"\(points.joined(separator: " "))\"/>"
      )
    }
    if operations.count > 1 {
      for operation in operations { line(statistics.timeline[operation] ?? [], stroke: color(operation), width: 1.5) }
    }
    line(total, stroke: "#000", width: 2.5)
    if statistics.completedCases > 0 { line(statistics.casesTimeline, stroke: "#000", width: 1.5, dash: true) }

    // Legend.
    var y = top1 + 6
    out.append("<text x=\"\(f(legendX))\" y=\"\(f(y))\" font-weight=\"bold\">operation: p50 / p99</text>")
    for operation in operations {
      y += 20
      let histogram = statistics.latencies[operation]
      let figures =
        (histogram?.totalCount ?? 0) > 0
        ? "\(LoadStatistics.milliseconds(histogram!.valueAtPercentile(50))) / \(LoadStatistics.milliseconds(histogram!.valueAtPercentile(99))) ms"
        : "no success"
      out.append("<line x1=\"\(f(legendX))\" y1=\"\(f(y - 4))\" x2=\"\(f(legendX + 22))\" y2=\"\(f(y - 4))\" stroke=\"\(color(operation))\" stroke-width=\"3\"/>")
      out.append("<text x=\"\(f(legendX + 28))\" y=\"\(f(y))\">\(escape(operation.rawValue))</text>")
      out.append("<text x=\"\(f(legendX + 28))\" y=\"\(f(y + 13))\" fill=\"#555\" font-size=\"10\">\(figures)</text>")
      y += 10
    }
    var y3 = top2 + 6
    out.append("<line x1=\"\(f(legendX))\" y1=\"\(f(y3 - 4))\" x2=\"\(f(legendX + 22))\" y2=\"\(f(y3 - 4))\" stroke=\"#000\" stroke-width=\"3\"/>")
    out.append("<text x=\"\(f(legendX + 28))\" y=\"\(f(y3))\">all calls</text>")
    if statistics.completedCases > 0 {
      y3 += 20
      out.append(
        "<line x1=\"\(f(legendX))\" y1=\"\(f(y3 - 4))\" x2=\"\(f(legendX + 22))\" y2=\"\(f(y3 - 4))\" stroke=\"#000\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/>"
      )
      out.append("<text x=\"\(f(legendX + 28))\" y=\"\(f(y3))\">completed cases</text>")
    }
    if operations.count > 1 {
      y3 += 20
      out.append("<text x=\"\(f(legendX))\" y=\"\(f(y3))\" fill=\"#555\" font-size=\"10\">coloured: per operation</text>")
    }
    out.append("</svg>")
    return out.joined(separator: "\n") + "\n"
  }
}

extension String {
  /// Every occurrence of `target` replaced (Foundation-free).
  func replacingAll(_ target: Character, _ replacement: String) -> String {
    var out = ""
    for character in self { if character == target { out += replacement } else { out.append(character) } }
    return out
  }
}
