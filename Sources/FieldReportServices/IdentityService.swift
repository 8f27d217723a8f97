import FieldReportAPI
import FieldReportStore
import FieldReportWorkflow
import RPCCore
import WireBridge

/// `fieldreport.v1.IdentityService`: login and sessions, units, accounts and API keys,
/// role registration, transfer groups. The handlers of each concern are in
/// `IdentityService+<Concern>.swift`.
///
/// Gaps between the contract and the storage model, and how they are bridged: a unit's id is
/// its code; a grant's times are its request and decision times; API keys do not expire.
/// Units and groups created before their times were kept report 0.
public struct IdentityService: Fieldreport_V1_IdentityServiceHandler {
  let env: ServiceEnvironment

  /// Creates the service.
  public init(env: ServiceEnvironment) {
    self.env = env
  }

  var store: any FieldReportStore { self.env.store }
}
