import FieldReportClient
import Foundation
import TestSupport
import Testing
@testable import FieldReportCLI

/// `fieldreport report`: the CLI as a subprocess against a live `fieldreport-server --demo` with
/// real cases (the demo's worked examples, a hostile title, an overdue case); the page's numbers
/// against the statistics rpcs; and the page rendered by a real headless browser.
@Suite("fieldreport report", .serialized, .timeLimit(.minutes(3)))
struct ReportCommandTests {
  /// A title no page may execute or break on.
  static let hostileTitle = #"<script>alert("x&y")</script> Đèn 'hỏng' & "tắt" </td></table>"#

  /// What one live run produced.
  struct LiveReport {
    let html: String
    let path: String
    let statistics: Fieldreport_V1_GetUnitStatisticsResponse
    let volume: Fieldreport_V1_GetCaseVolumeResponse
    let hostileCode: String
    /// The page a unit leader (Đồng Lộc's) gets for the same period.
    let leaderHTML: String
  }

  /// Starts a demo server, makes real cases (the demo, a hostile title made overdue), writes
  /// the report with the CLI and reads the same statistics through the CLI's other commands.
  static func liveReport(in folder: String) async throws -> LiveReport {
    let server = try await DemoServer.start(in: folder)
    defer { server.stop() }
    let cli = try CLIRunner(folder: folder)
    let password = DemoServer.demoPassword + "\n"
    var result = try await cli.run(
      ["demo", "--server", server.address, "--platform-api-key", server.platformAPIKey],
      environment: ["FIELDREPORT_DEMO_PASSWORD": DemoServer.demoPassword])
    try #require(result.status == 0, "\(result)")
    result = try await cli.run(["login", "--server", server.address, "quan.tm", "--password-stdin"], stdin: password)
    try #require(result.status == 0, "\(result)")
    result = try await cli.run(["--profile", "duong", "login", "--server", server.address, "duong.lv", "--password-stdin"], stdin: password)
    try #require(result.status == 0, "\(result)")
    result = try await cli.run(["--profile", "platform", "login", "--server", server.address, "--api-key", server.platformAPIKey])
    try #require(result.status == 0, "\(result)")

    // A case with a hostile title, dispatched and assigned with deadlines seconds away: overdue
    // by the time the report is written.
    result = try await cli.run([
      "case", "submit", "--profile", "platform", "--title", hostileTitle, "--content", "Đèn đường không sáng",
      "--category", "Trật tự công cộng", "--reporter-name", "Nguyễn Văn An", "--reporter-phone", "0912345678", "--json",
    ])
    try #require(result.status == 0, "\(result)")
    let submitted = try JSONDecoder().decode(Fieldreport_V1_SubmitReportResponse.self, from: Data(result.stdout.utf8))
    let code = try #require(submitted.caseSummary?.reportCode)
    let now = LocalTime.nowMs()
    result = try await cli.run(["case", "dispatch", code, "--unit", "UBND Xã Đồng Lộc", "--content", "Xử lý", "--due", "\(now + 4_000)"])
    try #require(result.status == 0, "\(result)")
    result = try await cli.run([
      "--profile", "duong", "assign", code, "--main-handler", "thang", "--due", "\(now + 3_000)", "--content", "Phân công",
    ])
    try #require(result.status == 0, "\(result)")
    // A case Đồng Lộc returns, which the IOC confirms was outside its competence while
    // dispatching it onward (the flag refused on a case that was not returned).
    result = try await cli.run([
      "case", "submit", "--profile", "platform", "--title", "Cây đổ trên quốc lộ", "--content", "Cây đổ chắn đường",
      "--category", "Trật tự công cộng", "--reporter-name", "Nguyễn Văn An", "--reporter-phone", "0912345678", "--json",
    ])
    try #require(result.status == 0, "\(result)")
    let returnedCode = try #require(
      try JSONDecoder().decode(Fieldreport_V1_SubmitReportResponse.self, from: Data(result.stdout.utf8)).caseSummary?.reportCode)
    result = try await cli.run(["case", "dispatch", returnedCode, "--unit", "UBND Xã Đồng Lộc", "--return-outside-competence"])
    #expect(result.status == 13, "\(result)")
    #expect(result.stderr.contains("--return-outside-competence"), "\(result)")
    result = try await cli.run(["case", "dispatch", returnedCode, "--unit", "UBND Xã Đồng Lộc", "--content", "Xử lý"])
    try #require(result.status == 0, "\(result)")
    result = try await cli.run(["--profile", "duong", "assignment", "return-to-ioc", returnedCode, "--content", "Không đúng chức năng nhiệm vụ"])
    try #require(result.status == 0, "\(result)")
    result = try await cli.run([
      "case", "dispatch", returnedCode, "--unit", "UBND Phường Trần Phú", "--content", "Chuyển đúng thẩm quyền",
      "--return-outside-competence",
    ])
    try #require(result.status == 0, "\(result)")
    try await Task.sleep(for: .milliseconds(max(0, now + 4_500 - LocalTime.nowMs())))

    let from = "\(now - 86_400_000)"
    let to = "\(now + 86_400_000)"
    let path = folder + "/report.html"
    result = try await cli.run(["report", "--from", from, "--to", to, "--html", path])
    try #require(result.status == 0, "\(result)")
    #expect(result.stdout.contains("written to \(path)"))
    let html = try String(contentsOfFile: path, encoding: .utf8)

    // The same figures through the statistics command and `call` (server-side aggregates).
    result = try await cli.run(["case", "stats", "--from", from, "--to", to, "--json"])
    try #require(result.status == 0, "\(result)")
    let statistics = try JSONDecoder().decode(Fieldreport_V1_GetUnitStatisticsResponse.self, from: Data(result.stdout.utf8))
    result = try await cli.run([
      "call", "CaseService/GetCaseVolume", #"{"periodStartMs": "\#(from)", "periodEndMs": "\#(to)"}"#,
    ])
    try #require(result.status == 0, "\(result)")
    let volume = try JSONDecoder().decode(Fieldreport_V1_GetCaseVolumeResponse.self, from: Data(result.stdout.utf8))
    // A unit leader gets their own unit only (the server scopes every call).
    result = try await cli.run(["--profile", "duong", "report", "--from", from, "--to", to, "--html", folder + "/report-duong.html"])
    try #require(result.status == 0, "\(result)")
    let leaderHTML = try String(contentsOfFile: folder + "/report-duong.html", encoding: .utf8)
    return LiveReport(
      html: html, path: path, statistics: statistics, volume: volume, hostileCode: code, leaderHTML: leaderHTML)
  }

  /// The text of the first element carrying `attribute` inside `row`.
  static func cell(_ row: Substring, _ field: String) -> String? {
    guard let start = row.range(of: "data-field=\"\(field)\">") else { return nil }
    let rest = row[start.upperBound...]
    guard let end = rest.range(of: "</td>") else { return nil }
    return String(rest[..<end.lowerBound])
  }

  /// The `<tr …>…</tr>` of the units table whose `data-unit` is `id`.
  static func unitRow(_ html: String, _ id: String) -> Substring? {
    guard let start = html.range(of: "<tr data-unit=\"\(id)\"") else { return nil }
    let rest = html[start.lowerBound...]
    guard let end = rest.range(of: "</tr>") else { return nil }
    return rest[..<end.upperBound]
  }

  @Test("the page matches the statistics rpcs: every unit row, the ranking, volume by category and week, the overdue case; text escaped")
  func liveContent() async throws {
    try await withTemporaryDirectory { folder in
      let report = try await Self.liveReport(in: folder)
      let html = report.html
      #expect(html.hasPrefix("<!DOCTYPE html>"))
      #expect(html.contains("<meta charset=\"utf-8\">"))
      // Self-contained: no script, no external resource.
      #expect(!html.contains("<script"))
      for external in ["src=", "href=", "@import", "url("] { #expect(!html.contains(external), "found \(external)") }

      // Every unit row of the rpc, with its numbers.
      let rows = report.statistics.rows
      #expect(rows.count == 4)
      #expect(rows.contains { $0.rank > 0 })
      for row in rows {
        let id = try #require(row.unit?.unitId)
        let tr = try #require(Self.unitRow(html, id), "no row for \(id)")
        #expect(Self.cell(tr, "unit") == HTML.escape(row.unit?.unitName ?? ""))
        #expect(Self.cell(tr, "volume") == "\(row.volume)")
        #expect(Self.cell(tr, "early") == "\(row.earlyCount)")
        #expect(Self.cell(tr, "on_time") == "\(row.onTimeCount)")
        #expect(Self.cell(tr, "late") == "\(row.lateCount)")
        #expect(Self.cell(tr, "rank") == (row.rank > 0 ? "\(row.rank)" : "–"))
        #expect(Self.cell(tr, "returned") == "\(row.returnedToIocCount) (\(row.returnsConfirmedCount))")
        #expect(Self.cell(tr, "on_time_rate") == HTML.escape(Render.rate(row.onTime)))
        #expect(Self.cell(tr, "median_handling") == Render.duration(row.medianHandlingMs))
        #expect(Self.cell(tr, "ranking_lower") == (row.ranking.map { $0.trials > 0 ? Render.percent($0.lower) : "–" } ?? "–"))
        // The timeliness chart draws the unit's completed tasks.
        for (kind, count) in [("early", row.earlyCount), ("on_time", row.onTimeCount), ("late", row.lateCount)] where count > 0 {
          #expect(html.contains("data-unit=\"\(id)\" data-kind=\"\(kind)\" data-count=\"\(count)\""))
        }
      }
      // Đồng Lộc handled the demo's cases: its volume is at least the hostile case's task.
      let dongLoc = try #require(rows.first { $0.unit?.unitId == "UBND-DONGLOC" })
      #expect(dongLoc.volume >= 2)
      #expect(dongLoc.overdueCount >= 1)
      #expect(dongLoc.returnsConfirmedCount == 1)
      #expect(dongLoc.returnedToIocCount >= 2)

      // Volume: the total card, every category bar and every week bar.
      #expect(report.volume.totalCount >= 5)
      #expect(html.contains("data-card=\"total\"><div class=\"value\">\(report.volume.totalCount)</div>"))
      #expect(report.volume.byCategory.map(\.caseCount).reduce(0, +) == report.volume.totalCount)
      for category in report.volume.byCategory {
        #expect(html.contains("data-category=\"\(category.category?.categoryId ?? "")\" data-count=\"\(category.caseCount)\""))
      }
      for week in report.volume.byWeek where week.caseCount > 0 {
        #expect(html.contains("data-week=\"\(week.weekStartMs)\" data-count=\"\(week.caseCount)\""))
      }

      // The overdue list has the hostile case, its title escaped, its unit and days late.
      let overdueRow = try #require(
        html.range(of: "<tr data-code=\"\(report.hostileCode)\">").map { html[$0.lowerBound...].prefix(2_000) })
      #expect(Self.cell(overdueRow, "title") == HTML.escape(Self.hostileTitle))
      #expect(Self.cell(overdueRow, "unit") == "UBND Xã Đồng Lộc")
      #expect(Self.cell(overdueRow, "days_late") == "0")
      #expect(html.contains("&lt;script&gt;alert(&quot;x&amp;y&quot;)&lt;/script&gt; Đèn &#39;hỏng&#39; &amp; &quot;tắt&quot; &lt;/td&gt;&lt;/table&gt;"))
      #expect(!html.contains(Self.hostileTitle))
      // The leader's page: Đồng Lộc's row only, and its overdue case.
      #expect(report.leaderHTML.components(separatedBy: "<tr data-unit=").count == 2)
      #expect(Self.unitRow(report.leaderHTML, "UBND-DONGLOC") != nil)
      #expect(report.leaderHTML.contains("<tr data-code=\"\(report.hostileCode)\">"))
      // Vietnamese as UTF-8 text, not entities.
      #expect(html.contains("Báo cáo xử lý phản ánh hiện trường"))
      #expect(html.contains("Xếp hạng đơn vị"))
    }
  }

  @Test(
    "a real headless browser renders the page: the SVG charts are in its DOM, and its screenshot is a 1280×2400 PNG that is not one flat colour",
    .enabled(if: HeadlessBrowser.shouldRun, "headless chromium not found (apt-get install chromium-headless-shell)"))
  func browserRendersThePage() async throws {
    try await withTemporaryDirectory { folder in
      let report = try await Self.liveReport(in: folder)
      let browser = try #require(HeadlessBrowser.find(), "headless chromium not found; FIELDREPORT_REQUIRE_CHROMIUM is set")
      let url = URL(fileURLWithPath: report.path).absoluteString

      // The DOM as the browser parsed it: the inline SVG became elements.
      let dom = try await browser.run(["--dump-dom", url], folder: folder)
      #expect(dom.status == 0, "\(dom.stderr)")
      #expect(dom.stdout.contains("<svg"))
      #expect(dom.stdout.components(separatedBy: "<rect").count > 6)
      #expect(dom.stdout.contains("Xếp hạng đơn vị"))
      #expect(!dom.stdout.contains("<script"))

      let png = folder + "/report.png"
      let shot = try await browser.run(["--screenshot=\(png)", "--window-size=1280,2400", url], folder: folder)
      #expect(shot.status == 0, "\(shot.stderr)")
      let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: png)))
      if let artifacts = ProcessInfo.processInfo.environment["FIELDREPORT_ARTIFACTS"], !artifacts.isEmpty {
        try? FileManager.default.createDirectory(atPath: artifacts, withIntermediateDirectories: true)
        try? Data(bytes).write(to: URL(fileURLWithPath: artifacts + "/report.png"))
      }
      let image = try #require(PNGImage(bytes), "not a PNG")
      #expect(image.width == 1280 && image.height == 2400)
      // Not one flat colour: the compressed pixel data of a blank page is tiny; a page with
      // text, tables and coloured bars is not.
      #expect(image.compressedDataSize > 20_000, "\(image.compressedDataSize) bytes of image data")
    }
  }

  @Test("the page escapes every server text and draws the overdue list (in process)")
  func pageEscapes() throws {
    var statistics = Fieldreport_V1_GetUnitStatisticsResponse()
    statistics.periodStartMs = 1_764_522_000_000
    statistics.periodEndMs = 1_767_200_400_000
    var row = Fieldreport_V1_UnitStatistics()
    var unit = Fieldreport_V1_UnitRef()
    unit.unitId = "X\"><b>"
    unit.unitName = "<img onerror=1> Phường 'A' & B"
    row.unit = unit
    row.earlyCount = 8
    row.lateCount = 2
    row.volume = 12
    row.rank = 1
    var rate = Fieldreport_V1_RateInterval()
    rate.successes = 8
    rate.trials = 10
    rate.rate = 0.8
    rate.lower = 0.4901624715366418
    rate.upper = 0.9433178485456248
    row.onTime = rate
    statistics.rows = [row]
    var volume = Fieldreport_V1_GetCaseVolumeResponse()
    var category = Fieldreport_V1_CategoryVolume()
    var categoryRef = Fieldreport_V1_Category()
    categoryRef.categoryId = "C"
    categoryRef.categoryName = "Môi trường <&>"
    category.category = categoryRef
    category.caseCount = 12
    volume.byCategory = [category]
    volume.totalCount = 12
    var late = Fieldreport_V1_CaseSummary()
    late.reportCode = "011226001"
    late.title = Self.hostileTitle
    late.stepDueAtMs = 1_764_522_000_000
    let page = ReportPage(
      statistics: statistics, volume: volume, overdue: [late], overdueTruncated: false,
      generatedAtMs: 1_764_522_000_000 + 3 * 86_400_000 + 5_000).render()
    #expect(!page.contains("<img") && !page.contains("<script") && !page.contains("<b>"))
    #expect(page.contains("&lt;img onerror=1&gt; Phường &#39;A&#39; &amp; B"))
    #expect(page.contains("Môi trường &lt;&amp;&gt;"))
    #expect(page.contains("data-field=\"on_time_rate\">80.0 % [49.0–94.3]</td>"))
    #expect(page.contains("data-field=\"days_late\">3</td>"))
    #expect(HTML.escape("a\u{0}b") == "a\u{FFFD}b")
  }
}

/// Debian's headless chromium, found on PATH or given by `FIELDREPORT_CHROMIUM`.
struct HeadlessBrowser {
  /// The variable that turns a missing browser into a failure (scripts/test.sh sets it).
  static let requireVariable = "FIELDREPORT_REQUIRE_CHROMIUM"

  let binary: URL

  /// Whether the browser test runs: the browser is here, or it is required (then a missing
  /// one fails the test). Leaving it out says so on stderr, as the PostgreSQL tests do.
  static let shouldRun: Bool = {
    if find() != nil || ProcessInfo.processInfo.environment[requireVariable].map({ !$0.isEmpty && $0 != "0" }) == true {
      return true
    }
    FileHandle.standardError.write(
      Data("note: headless chromium not found: the report's browser test is left out (install chromium-headless-shell, or set FIELDREPORT_CHROMIUM)\n".utf8))
    return false
  }()

  static func find() -> HeadlessBrowser? {
    let environment = ProcessInfo.processInfo.environment
    var candidates: [String] = []
    if let given = environment["FIELDREPORT_CHROMIUM"], !given.isEmpty { candidates.append(given) }
    let path = (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map(String.init) + ["/usr/bin", "/usr/lib/chromium"]
    for name in ["chromium-headless-shell", "chromium", "chromium-browser", "headless_shell"] {
      candidates += path.map { $0 + "/" + name }
    }
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }.map { HeadlessBrowser(binary: URL(fileURLWithPath: $0)) }
  }

  /// Runs the browser headless, without a sandbox (tests run as root in CI), with its profile
  /// in `folder`.
  func run(_ arguments: [String], folder: String) async throws -> CLIResult {
    let runner = CLIRunner(folder: folder, binary: binary)
    var all = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--user-data-dir=\(folder)/chromium-profile"]
    if binary.lastPathComponent == "chromium" { all[0] = "--headless=new" }
    return try await runner.run(all + arguments, environment: ["HOME": folder])
  }
}

/// The header of a PNG file: its signature and IHDR chunk.
struct PNGImage {
  let width: Int
  let height: Int
  /// The bytes of every IDAT chunk (the compressed pixels).
  let compressedDataSize: Int

  init?(_ bytes: [UInt8]) {
    let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    guard bytes.count > 33, Array(bytes[0..<8]) == signature, Array(bytes[12..<16]) == Array("IHDR".utf8) else { return nil }
    func u32(_ at: Int) -> Int { bytes[at..<at + 4].reduce(0) { $0 << 8 | Int($1) } }
    width = u32(16)
    height = u32(20)
    var offset = 8
    var idat = 0
    while offset + 8 <= bytes.count {
      let length = u32(offset)
      if Array(bytes[offset + 4..<offset + 8]) == Array("IDAT".utf8) { idat += length }
      offset += 12 + length
    }
    compressedDataSize = idat
  }
}
