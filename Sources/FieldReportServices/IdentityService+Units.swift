import FieldReportAPI
import FieldReportStore
import FieldReportWorkflow
import RPCCore
import WireBridge

extension IdentityService {
  public func createUnit(_ request: Fieldreport_V1_CreateUnitRequest, context: ServerContext) async throws
    -> Fieldreport_V1_CreateUnitResponse
  {
    let principal = try context.principal()
    guard principal.isSystemAdmin else { throw permissionDenied("Creating units needs the system admin role.") }
    try RequestValidation.unitCode(request.unitCode)
    try RequestValidation.text(request.unitName, "unit_name", min: 1, maxBytes: 200)
    guard let kind = request.unitKind.domainKind else {
      throw invalidArgument("unit_kind", "must be IOC, DEPARTMENT, COMMUNE, WARD or OTHER")
    }
    try RequestValidation.optionalID(request.parentUnitId, "parent_unit_id")
    let units = try await self.store.units()
    if units.contains(where: { $0.id.rawValue.lowercased() == request.unitCode.lowercased() }) {
      throw RPCError(code: .alreadyExists, message: "Unit code \(request.unitCode) is taken.")
    }
    if kind == .ioc, units.contains(where: { $0.kind == .ioc }) {
      throw invalidArgument("unit_kind", "there is already an IOC unit")
    }
    var parent: UnitID?
    if !request.parentUnitId.isEmpty {
      guard units.contains(where: { $0.id.rawValue == request.parentUnitId }) else {
        throw notFound("unit \(request.parentUnitId)")
      }
      parent = UnitID(request.parentUnitId)
    }
    // The code the admin chose is the unit's id: stable, readable in logs and URLs.
    let unit = FieldReportWorkflow.Unit(
      id: UnitID(request.unitCode), name: request.unitName, kind: kind, parentID: parent,
      createdAt: self.env.now())
    try await self.store.createUnit(unit)
    var response = Fieldreport_V1_CreateUnitResponse()
    response.unit = Fieldreport_V1_Unit(unit)
    return response
  }

  public func listUnits(_ request: Fieldreport_V1_ListUnitsRequest, context: ServerContext) async throws
    -> Fieldreport_V1_ListUnitsResponse
  {
    _ = try context.principal()
    try RequestValidation.text(request.nameQuery, "name_query", maxBytes: 100)
    try RequestValidation.optionalID(request.parentUnitId, "parent_unit_id")
    try RequestValidation.pageSize(request.pageSize)
    if case .unrecognized = request.unitKind { throw invalidArgument("unit_kind", "unknown kind") }
    let query = VietnameseFolding.fold(request.nameQuery)
    let units = try await self.store.units().filter { unit in
      (request.unitKind == .unspecified || Fieldreport_V1_UnitKind(unit) == request.unitKind)
        && (request.parentUnitId.isEmpty || unit.parentID?.rawValue == request.parentUnitId)
        && (query.isEmpty || VietnameseFolding.fold(unit.name).contains(query)
          || VietnameseFolding.fold(unit.id.rawValue).contains(query))
    }
    let paging = Paging(
      pageSize: self.env.limits.pageSize(request.pageSize),
      filters: "units|\(request.unitKind.rawValue)|\(request.parentUnitId)|\(query)")
    let (page, next) = try paging.page(units, token: request.pageToken)
    var response = Fieldreport_V1_ListUnitsResponse()
    response.units = page.map(Fieldreport_V1_Unit.init)
    response.nextPageToken = next
    return response
  }
}
