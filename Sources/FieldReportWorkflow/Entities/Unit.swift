/// An organisation that takes part in the process: the provincial IOC centre, a department
/// (Sở), or a commune/ward People's Committee (UBND xã/phường).
public struct Unit: Hashable, Codable, Sendable, Identifiable {
  /// What kind of organisation a unit is.
  public enum Kind: String, Hashable, Codable, Sendable, CaseIterable {
    /// The provincial coordination (IOC / monitoring) centre: receives, dispatches, publishes.
    case ioc
    /// A provincial department (Sở), a handling unit.
    case department
    /// A commune or ward People's Committee (UBND xã/phường), a handling unit.
    case communeWard = "commune_ward"
  }

  /// Stable identifier.
  public var id: UnitID
  /// Official name, e.g. "UBND Xã Đồng Lộc"; it fills the reply-letter template.
  public var name: String
  /// The kind of organisation.
  public var kind: Kind
  /// The parent unit in the administrative tree, if any.
  public var parentID: UnitID?
  /// When the unit was created (nil for units stored before creation times were kept).
  public var createdAt: Timestamp?

  public init(
    id: UnitID, name: String, kind: Kind, parentID: UnitID? = nil, createdAt: Timestamp? = nil
  ) {
    self.id = id
    self.name = name
    self.kind = kind
    self.parentID = parentID
    self.createdAt = createdAt
  }

  /// Whether cases can be dispatched to this unit for handling (everything but the IOC).
  public var isHandlingUnit: Bool { kind != .ioc }
}
