/// A person or system that calls the service. Credentials are not the workflow's concern.
public struct User: Hashable, Codable, Sendable, Identifiable {
  /// What kind of account this is.
  public enum Kind: String, Hashable, Codable, Sendable, CaseIterable {
    /// A citizen reporting through the mobile app (usually via the platform).
    case citizen
    /// A civil servant (CCVC) of some unit; what they may do comes from approved ``RoleGrant``s.
    case staff
    /// A system integration (the digital-government platform, the IOC's tools), with an API key.
    case serviceAccount = "service_account"
  }

  /// Stable identifier.
  public var id: UserID
  /// Full name as written, e.g. "Lê Đại Thắng". Searched with ``VietnameseFolding``.
  public var fullName: String
  /// The kind of account.
  public var kind: Kind
  /// The unit the person belongs to, if any (staff). Roles, not this field, grant rights.
  public var homeUnitID: UnitID?
  /// A disabled account can do nothing, whatever its roles.
  public var isActive: Bool
  /// Contact phone number as given at account creation (nil or empty when none).
  public var phone: String?
  /// Contact e-mail address as given at account creation (nil or empty when none).
  public var email: String?

  public init(
    id: UserID, fullName: String, kind: Kind, homeUnitID: UnitID? = nil, isActive: Bool = true,
    phone: String? = nil, email: String? = nil
  ) {
    self.id = id
    self.fullName = fullName
    self.kind = kind
    self.homeUnitID = homeUnitID
    self.isActive = isActive
    self.phone = phone
    self.email = email
  }
}
