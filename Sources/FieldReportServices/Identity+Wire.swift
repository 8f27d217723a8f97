public import FieldReportStore
public import FieldReportWorkflow
public import WireBridge
import Synchronization

// Domain ↔ wire conversions for identity types. The domain model is smaller than the
// contract in a few places; the mappings below say how each gap is bridged.

/// Whether a commune-level unit's name says it is a ward ("Phường …"), remembered per unit:
/// folding the name showed in every rendered case's profile, and units are few.
///
/// The memo is keyed by the unit's id and checked against its name (a renamed unit is judged
/// again): hashing the name itself normalizes its Vietnamese letters (NFC) on every lookup,
/// which was 7 % of an officer's inbox answered from memory (two unit references per summary;
/// docs/PERFORMANCE.md, twenty-second session). Units come from the reference cache, so the
/// name compared is usually the very same string, compared without reading it.
enum WardNames {
  private static let known = Mutex<[UnitID: (name: String, ward: Bool)]>([:])

  /// The rule itself: a word of the name is "phường" (any case; composed or decomposed). A name
  /// written without diacritics at all ("Phuong 3") can only say "phuong". Folding every name
  /// (as before) also took communes named after "Phương" for wards: "Xã Phương Điền", a commune
  /// of Hà Tĩnh, was listed as a ward.
  static func isWardName(_ name: String) -> Bool {
    let words = name.lowercased().split { !$0.isLetter && !$0.isNumber }
    if name.utf8.allSatisfy({ $0 < 0x80 }) { return words.contains("phuong") }
    return words.contains { $0 == "phường" }
  }

  static func isWard(_ unit: FieldReportWorkflow.Unit) -> Bool {
    if let hit = known.withLock({ $0[unit.id] }), hit.name == unit.name { return hit.ward }
    let ward = isWardName(unit.name)
    known.withLock { memo in
      if memo.count >= 10_000 { memo.removeAll() }
      memo[unit.id] = (unit.name, ward)
    }
    return ward
  }
}

extension Fieldreport_V1_UnitKind {
  /// The wire kind of a domain unit. The domain has one kind for communes and wards; the
  /// name tells them apart ("Phường …" is a ward), as it does in Vietnamese administration.
  public init(_ unit: FieldReportWorkflow.Unit) {
    switch unit.kind {
    case .ioc: self = .ioc
    case .department: self = .department
    case .communeWard:
      self = WardNames.isWard(unit) ? .ward : .commune
    }
  }

  /// The domain kind, or nil for unspecified and unknown values. `UNIT_KIND_OTHER` units are
  /// handling units like departments.
  public var domainKind: FieldReportWorkflow.Unit.Kind? {
    switch self {
    case .ioc: .ioc
    case .department, .other: .department
    case .commune, .ward: .communeWard
    case .unspecified, .unrecognized: nil
    }
  }
}

extension Fieldreport_V1_UserKind {
  /// The wire kind of a domain account kind.
  public init(_ kind: User.Kind) {
    switch kind {
    case .citizen: self = .citizen
    case .staff: self = .staff
    case .serviceAccount: self = .serviceAccount
    }
  }

  /// The domain kind, or nil for unspecified and unknown values.
  public var domainKind: User.Kind? {
    switch self {
    case .citizen: .citizen
    case .staff: .staff
    case .serviceAccount: .serviceAccount
    case .unspecified, .unrecognized: nil
    }
  }
}

extension Fieldreport_V1_RoleKind {
  /// The wire kind of a domain role.
  public init(_ role: RoleGrant.Role) {
    switch role {
    case .leader: self = .leader
    case .officer: self = .officer
    case .unitAdmin: self = .unitAdmin
    case .iocOperator: self = .iocOperator
    case .systemAdmin: self = .systemAdmin
    }
  }

  /// The domain role, or nil for unspecified, unknown and `ROLE_KIND_PLATFORM` (which the
  /// domain expresses as the service-account kind, not as a grant).
  public var domainRole: RoleGrant.Role? {
    switch self {
    case .leader: .leader
    case .officer: .officer
    case .unitAdmin: .unitAdmin
    case .iocOperator: .iocOperator
    case .systemAdmin: .systemAdmin
    case .platform, .unspecified, .unrecognized: nil
    }
  }
}

extension Fieldreport_V1_RoleStatus {
  /// The wire status of a domain grant status.
  public init(_ status: RoleGrant.Status) {
    switch status {
    case .pending: self = .pending
    case .approved: self = .approved
    case .rejected: self = .rejected
    case .revoked: self = .revoked
    }
  }

  /// The domain status, or nil for unspecified and unknown values.
  public var domainStatus: RoleGrant.Status? {
    switch self {
    case .pending: .pending
    case .approved: .approved
    case .rejected: .rejected
    case .revoked: .revoked
    case .unspecified, .unrecognized: nil
    }
  }
}

extension Fieldreport_V1_UnitRef {
  /// A reference to a unit.
  public init(_ unit: FieldReportWorkflow.Unit) {
    self.init()
    self.unitId = unit.id.rawValue
    self.unitName = unit.name
    self.unitKind = Fieldreport_V1_UnitKind(unit)
  }
}

extension Fieldreport_V1_Unit {
  /// A unit as the contract shows it. The unit's id is its code (CreateUnit uses the
  /// admin's code as the server-assigned id); `created_at_ms` is 0 only for units stored
  /// before creation times were kept.
  public init(_ unit: FieldReportWorkflow.Unit) {
    self.init()
    self.unitId = unit.id.rawValue
    self.unitCode = unit.id.rawValue
    self.unitName = unit.name
    self.unitKind = Fieldreport_V1_UnitKind(unit)
    self.parentUnitId = unit.parentID?.rawValue ?? ""
    self.createdAtMs = unit.createdAt?.millisecondsSince1970 ?? 0
  }
}

extension Fieldreport_V1_UserRef {
  /// A reference to a user.
  public init(_ user: User) {
    self.init()
    self.userId = user.id.rawValue
    self.fullName = user.fullName
  }

  /// A reference to a user known only by id (a deleted or unknown account).
  public init(id: UserID) {
    self.init()
    self.userId = id.rawValue
  }
}

extension Fieldreport_V1_UserSummary {
  /// A user as pickers and searches show them.
  /// - Parameters:
  ///   - account: The account (its username is shown).
  ///   - grants: The user's grants, newest first (as the store returns them); the newest
  ///     approved one gives the display unit and position.
  ///   - units: Units by id, to name the display unit.
  public init(
    _ account: UserAccount, grants: [RoleGrant], units: [UnitID: FieldReportWorkflow.Unit]
  ) {
    self.init(account.user, username: account.username ?? "", grants: grants, units: units)
  }

  /// A user as pickers and searches show them (see ``init(_:grants:units:)``).
  public init(
    _ user: User, username: String, grants: [RoleGrant], units: [UnitID: FieldReportWorkflow.Unit]
  ) {
    self.init()
    self.userId = user.id.rawValue
    self.username = username
    self.fullName = user.fullName
    self.userKind = Fieldreport_V1_UserKind(user.kind)
    self.disabled = !user.isActive
    self.phone = user.phone ?? ""
    let display = grants
      .filter { $0.status == .approved && $0.userID == user.id }
      .max { ($0.decidedAt ?? $0.requestedAt) < ($1.decidedAt ?? $1.requestedAt) }
    if let display {
      self.displayUnit = units[display.unitID].map(Fieldreport_V1_UnitRef.init)
      self.positionTitle = display.position
    } else if let home = user.homeUnitID, let unit = units[home] {
      self.displayUnit = Fieldreport_V1_UnitRef(unit)
    }
  }
}

extension Fieldreport_V1_RoleGrant {
  /// A grant as the contract shows it. Registration is always by a civil servant (the only
  /// subject kind the contract lets hold a role); a revoked grant reports its revocation in
  /// `revoked_*` (the domain keeps only the latest decision).
  /// - Parameters:
  ///   - grant: The grant.
  ///   - users: Users by id, to name the holder and the decider (missing: id only).
  ///   - units: Units by id, to name the unit (missing: id only).
  public init(
    _ grant: RoleGrant, users: [UserID: User], units: [UnitID: FieldReportWorkflow.Unit]
  ) {
    func ref(_ id: UserID) -> Fieldreport_V1_UserRef {
      users[id].map(Fieldreport_V1_UserRef.init) ?? Fieldreport_V1_UserRef(id: id)
    }
    self.init()
    self.grantId = grant.id.rawValue
    self.user = ref(grant.userID)
    if let unit = units[grant.unitID] {
      self.unit = Fieldreport_V1_UnitRef(unit)
    } else {
      var unit = Fieldreport_V1_UnitRef()
      unit.unitId = grant.unitID.rawValue
      self.unit = unit
    }
    self.roleKind = Fieldreport_V1_RoleKind(grant.role)
    self.subjectKind = .civilServant
    self.positionTitle = grant.position
    self.status = Fieldreport_V1_RoleStatus(grant.status)
    self.requestedAtMs = grant.requestedAt.millisecondsSince1970
    switch grant.status {
    case .pending:
      break
    case .approved, .rejected:
      self.decidedAtMs = grant.decidedAt?.millisecondsSince1970
      self.decidedBy = grant.decidedBy.map(ref)
      self.decisionNote = grant.decisionNote
    case .revoked:
      self.revokedAtMs = grant.decidedAt?.millisecondsSince1970
      self.revokedBy = grant.decidedBy.map(ref)
      self.decisionNote = grant.decisionNote
    }
    self.requestNote = grant.requestNote ?? ""
  }
}

extension Fieldreport_V1_TransferGroup {
  /// A transfer group as the contract shows it (times are 0 only for groups stored before
  /// they were kept).
  public init(
    _ group: TransferGroup, users: [UserID: User], units: [UnitID: FieldReportWorkflow.Unit]
  ) {
    self.init()
    self.groupId = group.id.rawValue
    if let unit = units[group.unitID] {
      self.unit = Fieldreport_V1_UnitRef(unit)
    } else {
      var unit = Fieldreport_V1_UnitRef()
      unit.unitId = group.unitID.rawValue
      self.unit = unit
    }
    self.groupName = group.name
    self.members = group.memberIDs.map { id in
      users[id].map(Fieldreport_V1_UserRef.init) ?? Fieldreport_V1_UserRef(id: id)
    }
    self.createdAtMs = group.createdAt?.millisecondsSince1970 ?? 0
    self.updatedAtMs = group.updatedAt?.millisecondsSince1970 ?? 0
  }
}

extension Fieldreport_V1_Category {
  /// A category as the contract shows it; its id doubles as its code.
  public init(_ category: FieldReportWorkflow.Category) {
    self.init()
    self.categoryId = category.id.rawValue
    self.categoryCode = category.id.rawValue
    self.categoryName = category.name
    self.active = category.isActive
    self.defaultProcessingMs = category.defaultProcessingMilliseconds ?? 0
  }
}
