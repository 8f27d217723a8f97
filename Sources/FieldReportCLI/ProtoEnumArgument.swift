import ArgumentParser
import FieldReportClient
import Foundation

/// A generated proto enum usable as a command-line value: `received`, `RECEIVED`,
/// `CASE_STATE_RECEIVED`, `at-unit` and `at_unit` all name the same value; a number names
/// the wire value (so values newer than this CLI stay reachable).
protocol ProtoEnumArgument: ExpressibleByArgument, CaseIterable, Hashable {
  /// The value's name in the .proto file; `nil` for unrecognized values.
  var protoName: String? { get }
  /// The common prefix of the enum's value names, e.g. `CASE_STATE_`.
  static var protoPrefix: String { get }
  /// Creates the value for a wire number.
  init(rawValue: Int32)
}

extension ProtoEnumArgument {
  public init?(argument: String) {
    if let number = Int32(argument) {
      self.init(rawValue: number)
      return
    }
    let normalized = argument.uppercased().replacingOccurrences(of: "-", with: "_")
    let found = Self.allCases.first { value in
      guard let name = value.protoName else { return false }
      return name == normalized || name == Self.protoPrefix + normalized
    }
    guard let found else { return nil }
    self = found
  }

  /// The short, lower-case name used on the command line and in tables (`at-unit`).
  var shortName: String {
    guard let name = self.protoName else { return "?" }
    let stripped = name.hasPrefix(Self.protoPrefix) ? String(name.dropFirst(Self.protoPrefix.count)) : name
    return stripped.lowercased().replacingOccurrences(of: "_", with: "-")
  }

  public static var allValueStrings: [String] {
    Self.allCases.map(\.shortName).filter { $0 != "unspecified" }
  }
}

extension Fieldreport_V1_CaseState: ExpressibleByArgument, ProtoEnumArgument {
  static var protoPrefix: String { "CASE_STATE_" }
}
extension Fieldreport_V1_CaseScope: ExpressibleByArgument, ProtoEnumArgument {
  static var protoPrefix: String { "CASE_SCOPE_" }
}
extension Fieldreport_V1_CaseOrder: ExpressibleByArgument, ProtoEnumArgument {
  static var protoPrefix: String { "CASE_ORDER_" }
}
extension Fieldreport_V1_UnitKind: ExpressibleByArgument, ProtoEnumArgument {
  static var protoPrefix: String { "UNIT_KIND_" }
}
extension Fieldreport_V1_UserKind: ExpressibleByArgument, ProtoEnumArgument {
  static var protoPrefix: String { "USER_KIND_" }
}
extension Fieldreport_V1_RoleKind: ExpressibleByArgument, ProtoEnumArgument {
  static var protoPrefix: String { "ROLE_KIND_" }
}
extension Fieldreport_V1_SubjectKind: ExpressibleByArgument, ProtoEnumArgument {
  static var protoPrefix: String { "SUBJECT_KIND_" }
}
extension Fieldreport_V1_RoleStatus: ExpressibleByArgument, ProtoEnumArgument {
  static var protoPrefix: String { "ROLE_STATUS_" }
}
extension Fieldreport_V1_RoleDecision: ExpressibleByArgument, ProtoEnumArgument {
  static var protoPrefix: String { "ROLE_DECISION_" }
}
extension Fieldreport_V1_TaskKind: ExpressibleByArgument, ProtoEnumArgument {
  static var protoPrefix: String { "TASK_KIND_" }
}
extension Fieldreport_V1_OutputProductKind: ExpressibleByArgument, ProtoEnumArgument {
  static var protoPrefix: String { "OUTPUT_PRODUCT_KIND_" }
}
extension Fieldreport_V1_RejectReason: ExpressibleByArgument, ProtoEnumArgument {
  static var protoPrefix: String { "REJECT_REASON_" }
}
extension Fieldreport_V1_CaseOutcome: ExpressibleByArgument, ProtoEnumArgument {
  static var protoPrefix: String { "CASE_OUTCOME_" }
}
extension Fieldreport_V1_PublishScope: ExpressibleByArgument, ProtoEnumArgument {
  static var protoPrefix: String { "PUBLISH_SCOPE_" }
}
extension Fieldreport_V1_StatisticsGrouping: ExpressibleByArgument, ProtoEnumArgument {
  static var protoPrefix: String { "STATISTICS_GROUPING_" }
}
extension Fieldreport_V1_JournalAction: ExpressibleByArgument, ProtoEnumArgument {
  static var protoPrefix: String { "JOURNAL_ACTION_" }
}
extension Fieldreport_V1_Timeliness: ProtoEnumArgument, ExpressibleByArgument {
  static var protoPrefix: String { "TIMELINESS_" }
}
extension Fieldreport_V1_AuthMethod: ProtoEnumArgument, ExpressibleByArgument {
  static var protoPrefix: String { "AUTH_METHOD_" }
}
