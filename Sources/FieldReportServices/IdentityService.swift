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
/// its code; units, groups and grants keep no creation/update times beyond what the domain
/// has (reported as 0 or from the grant's request and decision times); phone, e-mail and a
/// role request's note are validated but not stored; API keys do not expire.
public struct IdentityService: Fieldreport_V1_IdentityServiceHandler {
  let env: ServiceEnvironment

  /// Creates the service.
  public init(env: ServiceEnvironment) {
    self.env = env
  }

  var store: any FieldReportStore { self.env.store }
}
