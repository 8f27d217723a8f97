import FieldReportAPI
import FieldReportStore
import FieldReportWorkflow
public import RPCCore
public import WireBridge

extension CaseService {
  // MARK: Reporting (issue 14)

  /// GetCaseVolume: reports received in a period by category and by week, counted by one
  /// grouped store query (no case is read whole).
  public func getCaseVolume(
    _ request: Fieldreport_V1_GetCaseVolumeRequest, context: ServerContext
  ) async throws -> Fieldreport_V1_GetCaseVolumeResponse {
    let principal = try context.principal()
    let start = request.periodStartMs
    let end = request.periodEndMs
    try checkStatisticsPeriod(start: start, end: end)
    let units = try await env.store.units()
    let chosen = try statisticsUnits(request.unitIds, principal: principal, units: units)
    // Every case for the IOC and admins when no unit is named; otherwise the named (or the
    // caller's own) units' cases.
    let filter: [UnitID]? = request.unitIds.isEmpty && seesAllStatistics(principal) ? nil : chosen
    if filter?.isEmpty == true, !seesAllStatistics(principal) {
      throw RPCError(code: .permissionDenied, message: "Statistics are for IOC operators, unit leaders and unit admins.")
    }
    let from = Timestamp(millisecondsSince1970: start)
    let to = Timestamp(millisecondsSince1970: end)
    let counts = try await env.store.caseVolume(units: filter, from: from, to: to)
    let categories = try await env.store.categoriesByID()

    var byCategory: [CategoryID: Int] = [:]
    var byWeek: [Int64: Int] = [:]
    for count in counts {
      byCategory[count.categoryID, default: 0] += count.count
      byWeek[count.weekStart.millisecondsSince1970, default: 0] += count.count
    }
    var response = Fieldreport_V1_GetCaseVolumeResponse()
    response.byCategory = byCategory.map { id, count in
      var row = Fieldreport_V1_CategoryVolume()
      row.category = categories[id].map(Fieldreport_V1_Category.init) ?? {
        var unknown = Fieldreport_V1_Category()
        unknown.categoryId = id.rawValue
        return unknown
      }()
      row.caseCount = Int64(count)
      return row
    }.sorted {
      ($0.caseCount, $1.category?.categoryName ?? "") > ($1.caseCount, $0.category?.categoryName ?? "")
    }
    // Every week overlapping the period, empty ones too (a chart's x axis).
    var week = CaseVolumeSQL.weekStart(of: from).millisecondsSince1970
    while week < end {
      var row = Fieldreport_V1_WeekVolume()
      row.weekStartMs = week
      row.caseCount = Int64(byWeek[week] ?? 0)
      response.byWeek.append(row)
      week += CaseVolumeSQL.weekMilliseconds
    }
    response.totalCount = Int64(counts.map(\.count).reduce(0, +))
    response.periodStartMs = start
    response.periodEndMs = end
    response.computedAtMs = env.now().millisecondsSince1970
    return response
  }
}
