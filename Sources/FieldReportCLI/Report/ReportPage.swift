import FieldReportClient

/// The leadership report of `fieldreport report`: one self-contained HTML page (UTF-8, inline
/// CSS, charts as inline SVG drawn here; no script, font, image or link to anything outside).
///
/// Every text from the server passes through ``HTML/escape(_:)``; numbers are formatted here.
/// Rows and figures carry `data-*` attributes (unit id, field name) so a test or a script can
/// read the page back without scraping the layout.
struct ReportPage {
  /// The fair statistics per unit (GetUnitStatistics, grouped by unit).
  var statistics: Fieldreport_V1_GetUnitStatisticsResponse
  /// Reports by category and week (GetCaseVolume).
  var volume: Fieldreport_V1_GetCaseVolumeResponse
  /// Cases whose current step is overdue now (ListCases, overdue only).
  var overdue: [Fieldreport_V1_CaseSummary]
  /// Whether the overdue list was cut at ``ReportCommand/overdueLimit``.
  var overdueTruncated: Bool
  /// When the page was made (Unix ms).
  var generatedAtMs: Int64

  /// The units' rows, ranked ones by rank, then unranked ones by name.
  var rankedRows: [Fieldreport_V1_UnitStatistics] {
    statistics.rows.sorted { a, b in
      let ra = a.rank > 0 ? Int(a.rank) : Int.max
      let rb = b.rank > 0 ? Int(b.rank) : Int.max
      if ra != rb { return ra < rb }
      return (a.unit?.unitName ?? "") < (b.unit?.unitName ?? "")
    }
  }

  /// The whole page.
  func render() -> String {
    let period = "\(Self.date(statistics.periodStartMs)) – \(Self.date(statistics.periodEndMs - 1))"
    var html = """
      <!DOCTYPE html>
      <html lang="vi">
      <head>
      <meta charset="utf-8">
      <meta name="viewport" content="width=device-width, initial-scale=1">
      <title>\(HTML.escape("Báo cáo xử lý phản ánh hiện trường \(period)"))</title>
      <style>\(Self.css)</style>
      </head>
      <body>
      <header>
      <h1>Báo cáo xử lý phản ánh hiện trường</h1>
      <p class="period" data-period-start="\(statistics.periodStartMs)" data-period-end="\(statistics.periodEndMs)">Kỳ báo cáo: <strong>\(HTML.escape(period))</strong> · Lập lúc \(HTML.escape(LocalTime.format(generatedAtMs))) (giờ Hà Nội)</p>
      </header>

      """
    html += summaryCards()
    html += unitTable()
    html += section("Tiến độ xử lý theo đơn vị", id: "timeliness", note: "Số công việc hoàn thành trong kỳ: trước hạn, đúng hạn, trễ hạn.") {
      timelinessChart()
    }
    html += section("Số phản ánh theo lĩnh vực", id: "volume-category", note: "Phản ánh tiếp nhận trong kỳ.") {
      categoryChart()
    }
    html += section("Số phản ánh theo tuần", id: "volume-week", note: "Tuần bắt đầu thứ Hai (giờ Hà Nội).") {
      weekChart()
    }
    html += overdueTable()
    html += """
      <footer>
      <p><strong>Cách xếp hạng.</strong> Tỷ lệ đúng hạn = (trước hạn + đúng hạn) / (trước hạn + đúng hạn + trễ hạn), kèm khoảng tin cậy 95 % Wilson. Điểm xếp hạng là cận dưới khoảng Wilson 95 % của tỷ lệ (trước hạn + đúng hạn) / (trước hạn + đúng hạn + trễ hạn + số lần trả về IOC chưa được IOC xác nhận là ngoài thẩm quyền): trả về chưa xác nhận tính là không đạt, trả về đã xác nhận không tính; đơn vị có ít số liệu không được lợi nhờ mẫu nhỏ. Thời gian xử lý: từ khi giao cho đơn vị đến khi lãnh đạo đơn vị phê duyệt kết quả.</p>
      <p>Ranking: Wilson 95 % lower bound of on-time completions over completions plus returns to the IOC not confirmed as outside the unit's competence (docs/API.md, "Unit statistics").</p>
      </footer>
      </body>
      </html>

      """
    return html
  }

  // MARK: Sections

  private func section(_ title: String, id: String, note: String, _ body: () -> String) -> String {
    """
    <section id="\(id)">
    <h2>\(HTML.escape(title))</h2>
    <p class="note">\(HTML.escape(note))</p>
    \(body())
    </section>

    """
  }

  private func summaryCards() -> String {
    let rows = statistics.rows
    let completed = rows.map(\.completedCount).reduce(0, +)
    let good = rows.map { $0.earlyCount + $0.onTimeCount }.reduce(0, +)
    let classified = rows.map { $0.earlyCount + $0.onTimeCount + $0.lateCount }.reduce(0, +)
    let onTime = classified > 0 ? Render.percent(Double(good) / Double(classified)) : "–"
    let cards: [(String, String, String)] = [
      ("total", "Phản ánh tiếp nhận", "\(volume.totalCount)"),
      ("completed", "Công việc hoàn thành", "\(completed)"),
      ("on-time", "Tỷ lệ đúng hạn", onTime),
      ("overdue", "Đang trễ hạn", overdueTruncated ? "\(overdue.count)+" : "\(overdue.count)"),
    ]
    var html = "<section class=\"cards\">\n"
    for (key, label, value) in cards {
      html += "<div class=\"card\" data-card=\"\(key)\"><div class=\"value\">\(HTML.escape(value))</div><div class=\"label\">\(HTML.escape(label))</div></div>\n"
    }
    return html + "</section>\n"
  }

  private func unitTable() -> String {
    var html = """
      <section id="units">
      <h2>Xếp hạng đơn vị</h2>
      <table class="units">
      <thead><tr><th>Hạng</th><th>Đơn vị</th><th>Số lượng</th><th>Trước hạn</th><th>Đúng hạn</th><th>Trễ hạn</th><th>Tỷ lệ đúng hạn [KTC 95 %]</th><th>Trả về IOC (đã xác nhận)</th><th>Tỷ lệ trả về</th><th>Thời gian xử lý: trung vị</th><th>P90</th><th>Đang trễ</th><th>Điểm xếp hạng</th></tr></thead>
      <tbody>

      """
    for row in rankedRows {
      let unitID = row.unit?.unitId ?? ""
      let interval = row.onTime.map { $0.trials > 0 ? "\(Render.percentNumber($0.lower))–\(Render.percentNumber($0.upper))" : "" } ?? ""
      let onTimeText = Render.rate(row.onTime)
      let cells: [(String, String, String)] = [
        ("rank", row.rank > 0 ? "\(row.rank)" : "–", "num"),
        ("unit", row.unit?.unitName ?? unitID, "name"),
        ("volume", "\(row.volume)", "num"),
        ("early", "\(row.earlyCount)", "num"),
        ("on_time", "\(row.onTimeCount)", "num"),
        ("late", "\(row.lateCount)", "num"),
        ("on_time_rate", onTimeText, "num"),
        ("returned", "\(row.returnedToIocCount) (\(row.returnsConfirmedCount))", "num"),
        ("return_share", row.completedCount > 0 ? Render.percent(row.returnShare) : "–", "num"),
        ("median_handling", Render.duration(row.medianHandlingMs), "num"),
        ("p90_handling", Render.duration(row.p90HandlingMs), "num"),
        ("overdue", "\(row.overdueCount)", "num"),
        ("ranking_lower", row.ranking.map { $0.trials > 0 ? Render.percent($0.lower) : "–" } ?? "–", "num"),
      ]
      html += "<tr data-unit=\"\(HTML.escape(unitID))\" data-interval=\"\(interval)\">"
      for (field, text, kind) in cells {
        html += "<td class=\"\(kind)\" data-field=\"\(field)\">\(HTML.escape(text))</td>"
      }
      html += "</tr>\n"
    }
    if statistics.rows.isEmpty {
      html += "<tr><td colspan=\"13\">Không có đơn vị nào trong phạm vi của bạn.</td></tr>\n"
    }
    return html + "</tbody>\n</table>\n</section>\n"
  }

  private func overdueTable() -> String {
    var html = """
      <section id="overdue">
      <h2>Phản ánh đang trễ hạn</h2>
      <table class="overdue">
      <thead><tr><th>Mã phản ánh</th><th>Tiêu đề</th><th>Đơn vị</th><th>Hạn</th><th>Số ngày trễ</th></tr></thead>
      <tbody>

      """
    let sorted = overdue.sorted { ($0.stepDueAtMs ?? 0, $0.reportCode) < ($1.stepDueAtMs ?? 0, $1.reportCode) }
    for summary in sorted {
      let due = summary.stepDueAtMs ?? 0
      let daysLate = max(0, generatedAtMs - due) / 86_400_000
      html += "<tr data-code=\"\(HTML.escape(summary.reportCode))\">"
      html += "<td data-field=\"code\">\(HTML.escape(summary.reportCode))</td>"
      html += "<td data-field=\"title\">\(HTML.escape(summary.title))</td>"
      html += "<td data-field=\"unit\">\(HTML.escape(summary.currentUnit?.unitName ?? ""))</td>"
      html += "<td data-field=\"due\">\(HTML.escape(LocalTime.format(due)))</td>"
      html += "<td class=\"num\" data-field=\"days_late\">\(daysLate)</td></tr>\n"
    }
    if overdue.isEmpty {
      html += "<tr><td colspan=\"5\">Không có phản ánh nào trễ hạn.</td></tr>\n"
    }
    html += "</tbody>\n</table>\n"
    if overdueTruncated {
      html += "<p class=\"note\">Chỉ hiển thị \(overdue.count) phản ánh trễ hạn lâu nhất.</p>\n"
    }
    return html + "</section>\n"
  }

  // MARK: Charts (inline SVG)

  static let early = "#2e7d32"
  static let onTime = "#1e88e5"
  static let late = "#e53935"

  /// Stacked horizontal bars: early, on time, late per unit.
  private func timelinessChart() -> String {
    let rows = rankedRows
    let label = 260.0
    let width = 1000.0
    let barArea = width - label - 70
    let rowHeight = 30.0
    let top = 34.0
    let height = top + Double(max(rows.count, 1)) * rowHeight + 10
    let maximum = max(1, rows.map { $0.earlyCount + $0.onTimeCount + $0.lateCount }.max() ?? 1)
    var svg = SVG(width: width, height: height, label: "Tiến độ xử lý theo đơn vị")
    svg.legend([("Trước hạn", Self.early), ("Đúng hạn", Self.onTime), ("Trễ hạn", Self.late)], x: label, y: 14)
    for (index, row) in rows.enumerated() {
      let y = top + Double(index) * rowHeight
      svg.text(row.unit?.unitName ?? "", x: label - 8, y: y + 19, anchor: "end")
      var x = label
      for (count, colour, kind) in [
        (row.earlyCount, Self.early, "early"), (row.onTimeCount, Self.onTime, "on_time"), (row.lateCount, Self.late, "late"),
      ] where count > 0 {
        let w = barArea * Double(count) / Double(maximum)
        svg.rect(x: x, y: y + 4, width: w, height: rowHeight - 8, fill: colour, data: "data-unit=\"\(HTML.escape(row.unit?.unitId ?? ""))\" data-kind=\"\(kind)\" data-count=\"\(count)\"", title: "\(row.unit?.unitName ?? ""): \(count)")
        if w >= 22 { svg.text("\(count)", x: x + w / 2, y: y + 19, anchor: "middle", fill: "#fff") }
        x += w
      }
      let total = row.earlyCount + row.onTimeCount + row.lateCount
      svg.text("\(total)", x: x + 6, y: y + 19, anchor: "start", fill: "#555")
    }
    return svg.render()
  }

  /// Horizontal bars: reports per category.
  private func categoryChart() -> String {
    let rows = volume.byCategory
    let label = 260.0
    let width = 1000.0
    let barArea = width - label - 70
    let rowHeight = 28.0
    let height = 10 + Double(max(rows.count, 1)) * rowHeight
    let maximum = max(1, rows.map(\.caseCount).max() ?? 1)
    var svg = SVG(width: width, height: height, label: "Số phản ánh theo lĩnh vực")
    if rows.isEmpty { svg.text("Không có phản ánh trong kỳ.", x: label, y: 24, anchor: "start", fill: "#555") }
    for (index, row) in rows.enumerated() {
      let y = 5 + Double(index) * rowHeight
      let name = row.category?.categoryName ?? row.category?.categoryId ?? ""
      svg.text(name, x: label - 8, y: y + 18, anchor: "end")
      let w = max(2, barArea * Double(row.caseCount) / Double(maximum))
      svg.rect(x: label, y: y + 4, width: w, height: rowHeight - 8, fill: "#5e35b1", data: "data-category=\"\(HTML.escape(row.category?.categoryId ?? ""))\" data-count=\"\(row.caseCount)\"", title: "\(name): \(row.caseCount)")
      svg.text("\(row.caseCount)", x: label + w + 6, y: y + 18, anchor: "start", fill: "#555")
    }
    return svg.render()
  }

  /// Vertical bars: reports per week.
  private func weekChart() -> String {
    let weeks = volume.byWeek
    let width = 1000.0
    let left = 50.0
    let bottom = 40.0
    let plot = 220.0
    let height = plot + bottom + 20
    let maximum = max(1, weeks.map(\.caseCount).max() ?? 1)
    let slot = (width - left - 10) / Double(max(weeks.count, 1))
    var svg = SVG(width: width, height: height, label: "Số phản ánh theo tuần")
    // Axis and a gridline at the maximum.
    svg.line(x1: left, y1: 20 + plot, x2: width - 10, y2: 20 + plot, stroke: "#999")
    svg.line(x1: left, y1: 20, x2: width - 10, y2: 20, stroke: "#eee")
    svg.text("\(maximum)", x: left - 6, y: 24, anchor: "end", fill: "#555")
    svg.text("0", x: left - 6, y: 24 + plot, anchor: "end", fill: "#555")
    let labelEvery = max(1, weeks.count / 14 + (weeks.count % 14 == 0 ? 0 : 1))
    for (index, week) in weeks.enumerated() {
      let h = plot * Double(week.caseCount) / Double(maximum)
      let x = left + Double(index) * slot
      let w = min(48, max(2, slot * 0.7))
      if week.caseCount > 0 {
        svg.rect(x: x + (slot - w) / 2, y: 20 + plot - h, width: w, height: h, fill: "#00897b", data: "data-week=\"\(week.weekStartMs)\" data-count=\"\(week.caseCount)\"", title: "\(Self.date(week.weekStartMs)): \(week.caseCount)")
        svg.text("\(week.caseCount)", x: x + slot / 2, y: 20 + plot - h - 4, anchor: "middle", fill: "#555")
      }
      if index % labelEvery == 0 {
        svg.text(Self.shortDate(week.weekStartMs), x: x + slot / 2, y: 20 + plot + 18, anchor: "middle", fill: "#555")
      }
    }
    return svg.render()
  }

  // MARK: Formatting

  /// `dd/MM/yyyy` in Asia/Ho_Chi_Minh.
  static func date(_ ms: Int64) -> String { String(LocalTime.format(ms).prefix(10)) }

  /// `dd/MM` in Asia/Ho_Chi_Minh.
  static func shortDate(_ ms: Int64) -> String { String(LocalTime.format(ms).prefix(5)) }

  static let css = """
    body{font-family:"Noto Sans","DejaVu Sans","Segoe UI",Arial,sans-serif;margin:24px auto;max-width:1100px;color:#222;background:#fafafa}
    h1{font-size:26px;margin:0 0 4px}h2{font-size:19px;margin:28px 0 6px;border-bottom:2px solid #1e88e5;padding-bottom:4px}
    .period{color:#444;margin:0}.note{color:#666;font-size:13px;margin:2px 0 8px}
    .cards{display:flex;gap:14px;margin-top:18px}.card{flex:1;background:#fff;border:1px solid #ddd;border-radius:8px;padding:12px 16px}
    .card .value{font-size:28px;font-weight:700;color:#1565c0}.card .label{color:#555;font-size:13px}
    table{border-collapse:collapse;width:100%;background:#fff;font-size:13px}th,td{border:1px solid #ddd;padding:5px 7px;text-align:left;vertical-align:top}
    th{background:#e3f2fd}td.num{text-align:right;white-space:nowrap}tbody tr:nth-child(even){background:#f5f9ff}
    svg{display:block;width:100%;height:auto;background:#fff;border:1px solid #ddd;border-radius:8px;margin:4px 0}svg text{font-size:13px;fill:#222}
    footer{margin-top:28px;color:#555;font-size:12px}
    """
}

/// HTML text escaping.
enum HTML {
  /// Escapes `&`, `<`, `>`, `"` and `'`: safe in element content and in quoted attributes
  /// (HTML and inline SVG alike).
  static func escape(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for scalar in text.unicodeScalars {
      switch scalar {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      case "'": out += "&#39;"
      // Control characters other than tab and newline are not allowed in HTML text.
      case "\u{0}"..."\u{8}", "\u{B}", "\u{C}", "\u{E}"..."\u{1F}", "\u{7F}": out += "\u{FFFD}"
      default: out.unicodeScalars.append(scalar)
      }
    }
    return out
  }
}

/// A small SVG builder: every text escaped, numbers with at most one decimal.
struct SVG {
  private var body = ""
  private let width: Double
  private let height: Double
  private let label: String

  init(width: Double, height: Double, label: String) {
    self.width = width
    self.height = height
    self.label = label
  }

  static func number(_ value: Double) -> String {
    let tenths = Int((value * 10).rounded())
    return tenths % 10 == 0 ? "\(tenths / 10)" : "\(Double(tenths) / 10)"
  }

  mutating func rect(x: Double, y: Double, width: Double, height: Double, fill: String, data: String = "", title: String? = nil) {
    body += "<rect x=\"\(Self.number(x))\" y=\"\(Self.number(y))\" width=\"\(Self.number(width))\" height=\"\(Self.number(height))\" fill=\"\(fill)\" \(data)>"
    if let title { body += "<title>\(HTML.escape(title))</title>" }
    body += "</rect>"
  }

  mutating func text(_ text: String, x: Double, y: Double, anchor: String, fill: String? = nil) {
    let colour = fill.map { " style=\"fill:\($0)\"" } ?? ""
    body += "<text x=\"\(Self.number(x))\" y=\"\(Self.number(y))\" text-anchor=\"\(anchor)\"\(colour)>\(HTML.escape(text))</text>"
  }

  mutating func line(x1: Double, y1: Double, x2: Double, y2: Double, stroke: String) {
    body += "<line x1=\"\(Self.number(x1))\" y1=\"\(Self.number(y1))\" x2=\"\(Self.number(x2))\" y2=\"\(Self.number(y2))\" stroke=\"\(stroke)\"/>"
  }

  mutating func legend(_ items: [(String, String)], x: Double, y: Double) {
    var left = x
    for (name, colour) in items {
      rect(x: left, y: y - 10, width: 12, height: 12, fill: colour)
      text(name, x: left + 16, y: y, anchor: "start")
      left += 110
    }
  }

  func render() -> String {
    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Self.number(width))\" height=\"\(Self.number(height))\" viewBox=\"0 0 \(Self.number(width)) \(Self.number(height))\" role=\"img\" aria-label=\"\(HTML.escape(label))\">\(body)</svg>\n"
  }
}
