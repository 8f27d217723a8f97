/// A user's role at a unit (Vai trò), from registration request to decision and revocation.
///
/// Only a grant whose ``status`` is ``Status/approved`` grants anything. See
/// ``RoleRegistration`` for the decision rules.
public struct RoleGrant: Hashable, Codable, Sendable, Identifiable {
  /// The role held at the unit.
  public enum Role: String, Hashable, Codable, Sendable, CaseIterable {
    /// Lãnh đạo: triages a unit's cases, assigns, approves, returns, transfers for monitoring.
    case leader
    /// Cán bộ / CCVC: handles cases assigned to them.
    case officer
    /// Cán bộ quản trị đơn vị: decides role registrations at the unit.
    case unitAdmin = "unit_admin"
    /// An operator of the IOC centre: dispatches, rejects, publishes (only at an IOC unit).
    case iocOperator = "ioc_operator"
    /// Administers the whole system: decides any registration, manages units and users.
    case systemAdmin = "system_admin"
  }

  /// Where a grant is in its life.
  public enum Status: String, Hashable, Codable, Sendable, CaseIterable {
    /// Requested, awaiting the unit admin's decision. Grants nothing.
    case pending
    /// Approved: the role is in force.
    case approved
    /// Refused by the unit admin. Terminal.
    case rejected
    /// Was approved, later withdrawn. Terminal.
    case revoked
  }

  /// Stable identifier.
  public var id: RoleGrantID
  /// Who holds (or asks for) the role.
  public var userID: UserID
  /// The unit the role is at.
  public var unitID: UnitID
  /// The role.
  public var role: Role
  /// Free-text position (chức vụ) chosen at registration, e.g. "Phó Chủ tịch".
  public var position: String
  /// Current status.
  public var status: Status
  /// When the request was made.
  public var requestedAt: Timestamp
  /// Who approved, rejected or revoked it, if anyone yet.
  public var decidedBy: UserID?
  /// When the last decision was taken.
  public var decidedAt: Timestamp?
  /// The decider's note (reason for a rejection or revocation).
  public var decisionNote: String
  /// The requester's note to the admin (nil for grants stored before notes were kept).
  public var requestNote: String?

  public init(
    id: RoleGrantID, userID: UserID, unitID: UnitID, role: Role, position: String = "",
    status: Status, requestedAt: Timestamp, decidedBy: UserID? = nil,
    decidedAt: Timestamp? = nil, decisionNote: String = "", requestNote: String? = nil
  ) {
    self.requestNote = requestNote
    self.id = id
    self.userID = userID
    self.unitID = unitID
    self.role = role
    self.position = position
    self.status = status
    self.requestedAt = requestedAt
    self.decidedBy = decidedBy
    self.decidedAt = decidedAt
    self.decisionNote = decisionNote
  }

  /// Whether this grant confers `role` at `unit` now.
  public func grants(_ role: Role, at unit: UnitID) -> Bool {
    Self.confers(status: status, role: self.role, unitID: unitID, role, at: unit)
  }

  /// The rule of ``grants(_:at:)`` over a grant's fields, for callers that read them in place
  /// (calling a method on a grant in an array copied the whole grant first: ``Actor/has(_:at:)``).
  @inlinable public static func confers(
    status: Status, role: Role, unitID: UnitID, _ wanted: Role, at unit: UnitID
  ) -> Bool {
    status == .approved && role == wanted && unitID == unit
  }
}
