import FieldReportAPI
import FieldReportStore
import FieldReportWorkflow
import RPCCore
import WireBridge

/// Method rights: which methods a service account may call (an allow-list on top of its roles).
extension IdentityService {
  /// Every method path of the contract's four services.
  func contractMethodPaths() -> Set<String> {
    var router = RPCRouter()
    for service in ServiceRouter.allServices(env: self.env) { router.register(service) }
    return Set(router.descriptors.map(\.path))
  }

  static func wire(_ methods: [String]?) -> Fieldreport_V1_MethodRights {
    var rights = Fieldreport_V1_MethodRights()
    rights.restricted = methods != nil
    rights.methodPaths = (methods ?? []).sorted()
    return rights
  }

  public func setMethodRights(_ request: Fieldreport_V1_SetMethodRightsRequest, context: ServerContext) async throws
    -> Fieldreport_V1_SetMethodRightsResponse
  {
    let principal = try context.principal()
    guard principal.isSystemAdmin else { throw permissionDenied("Setting method rights needs the system admin role.") }
    try RequestValidation.id(request.userId, "user_id")
    let known = self.contractMethodPaths()
    var methods: [String] = []
    for given in request.methodPaths {
      // "CaseService/GetCase" stands for "/fieldreport.v1.CaseService/GetCase".
      let path = given.hasPrefix("/") ? given : "/fieldreport.v1." + given
      guard known.contains(path) else {
        throw invalidArgument("method_paths", "'\(given)' is not a method of the contract (e.g. /fieldreport.v1.CaseService/GetCase)")
      }
      methods.append(path)
    }
    guard let account = try await self.store.findUser(id: UserID(request.userId)) else { throw notFound("user \(request.userId)") }
    guard account.user.kind == .serviceAccount else {
      throw failedPrecondition("NOT_A_SERVICE_ACCOUNT", subject: request.userId, "Method rights are for service accounts.")
    }
    let rights: [String]? = request.restricted ? methods : nil
    try await self.store.setMethodRights(userID: account.user.id, methods: rights, at: self.env.now())
    self.env.logger(for: context).notice(
      "method rights set",
      metadata: ["target_user_id": "\(account.user.id)", "restricted": "\(request.restricted)", "methods": "\(methods.count)"])
    var response = Fieldreport_V1_SetMethodRightsResponse()
    response.rights = Self.wire(rights.map { Array(Set($0)) })
    return response
  }

  public func getMethodRights(_ request: Fieldreport_V1_GetMethodRightsRequest, context: ServerContext) async throws
    -> Fieldreport_V1_GetMethodRightsResponse
  {
    let principal = try context.principal()
    guard principal.isSystemAdmin else { throw permissionDenied("Reading method rights needs the system admin role.") }
    try RequestValidation.id(request.userId, "user_id")
    guard try await self.store.findUser(id: UserID(request.userId)) != nil else { throw notFound("user \(request.userId)") }
    var response = Fieldreport_V1_GetMethodRightsResponse()
    response.rights = Self.wire(try await self.store.methodRights(userID: UserID(request.userId)))
    return response
  }
}
