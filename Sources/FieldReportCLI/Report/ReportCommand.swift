import ArgumentParser
import FieldReportClient

/// `fieldreport report --from DATE --to DATE --html FILE`: the leadership report as one
/// self-contained HTML page (``ReportPage``).
///
/// Three kinds of call, each aggregated on the server: GetUnitStatistics (the fair statistics
/// per unit), GetCaseVolume (reports by category and week), and ListCases with
/// `overdue_only` (the cases overdue now, at most ``overdueLimit``): no case is paged through
/// to count it.
struct ReportCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "report",
    abstract: "Write the leadership report for a period as one self-contained HTML page (per-unit table with ranking, charts, overdue list).",
    discussion: """
      The page has no external script, font or image: its charts are inline SVG. IOC operators and system admins get every unit; leaders and unit admins their own units.
      """)

  /// The most overdue cases listed.
  static let overdueLimit = 1_000

  @OptionGroup var global: GlobalOptions
  @Option(help: "Period start (date or time, Asia/Ho_Chi_Minh; default: 30 days before --to).") var from: String?
  @Option(help: "Period end, exclusive (default: now).") var to: String?
  @Option(help: ArgumentHelp("The HTML file to write (UTF-8).", valueName: "file")) var html: String
  @Option(name: .customLong("unit"), help: "A unit (id, code or name), repeatable; default: every unit you may see.") var units: [String] = []

  mutating func run() async throws {
    let command = self
    try await CLISession.run(global) { session in
      let end = try command.to.map { try TimeOption.parse($0, option: "--to") } ?? LocalTime.nowMs()
      let start = try command.from.map { try TimeOption.parse($0, option: "--from") } ?? end - 30 * 86_400_000
      guard end > start else { throw CLIError.usage("--to must be after --from") }
      var unitIDs: [String] = []
      for unit in command.units { unitIDs.append(try await session.unitID(for: unit)) }

      var statisticsRequest = Fieldreport_V1_GetUnitStatisticsRequest()
      statisticsRequest.unitIds = unitIDs
      statisticsRequest.periodStartMs = start
      statisticsRequest.periodEndMs = end
      statisticsRequest.grouping = .unit
      let statistics = try await session.client.cases.getUnitStatistics(statisticsRequest)

      var volumeRequest = Fieldreport_V1_GetCaseVolumeRequest()
      volumeRequest.unitIds = unitIDs
      volumeRequest.periodStartMs = start
      volumeRequest.periodEndMs = end
      let volume = try await session.client.cases.getCaseVolume(volumeRequest)

      let (overdue, truncated) = try await Self.overdueCases(units: unitIDs, session: session)
      let page = ReportPage(
        statistics: statistics, volume: volume, overdue: overdue, overdueTruncated: truncated,
        generatedAtMs: LocalTime.nowMs())
      try FileOutput.write(Array(page.render().utf8), to: command.html)
      session.print(
        "report for \(ReportPage.date(start)) – \(ReportPage.date(end - 1)): \(statistics.rows.count) units, "
          + "\(volume.totalCount) reports, \(overdue.count) overdue; written to \(command.html)")
    }
  }

  /// Every case (CASE_SCOPE_ALL) for the IOC and system admins; the caller's units otherwise.
  static func overdueScope(session: CLISession) async throws -> Fieldreport_V1_CaseScope {
    var probe = Fieldreport_V1_ListCasesRequest()
    probe.scope = .all
    probe.overdueOnly = true
    probe.pageSize = 1
    do {
      _ = try await session.client.cases.listCases(probe)
      return .all
    } catch {
      guard error.code == .permissionDenied else { throw error }
      return .myUnits
    }
  }

  /// The cases overdue now: every case for the IOC (scope ALL), else those of the caller's
  /// units; only the named units' when `units` is given. Pages of 200, at most ``overdueLimit``.
  static func overdueCases(units: [String], session: CLISession) async throws -> ([Fieldreport_V1_CaseSummary], Bool) {
    var found: [Fieldreport_V1_CaseSummary] = []
    let scope = try await overdueScope(session: session)
    for unit in units.isEmpty ? [""] : units {
      var request = Fieldreport_V1_ListCasesRequest()
      request.overdueOnly = true
      request.order = .stepDueAsc
      request.pageSize = 200
      request.unitId = unit
      request.scope = scope
      while true {
        let page = try await session.client.cases.listCases(request)
        found += page.cases
        if found.count >= overdueLimit { return (Array(found.prefix(overdueLimit)), true) }
        if page.nextPageToken.isEmpty { break }
        request.pageToken = page.nextPageToken
      }
    }
    // A case may pass through several named units.
    var seen: Set<String> = []
    return (found.filter { seen.insert($0.caseId).inserted }, false)
  }
}
