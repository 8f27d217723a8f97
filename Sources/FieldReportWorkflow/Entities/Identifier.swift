/// A typed, opaque identifier for an entity of type `Entity`.
///
/// The phantom type parameter keeps a ``UnitID`` from being passed where a ``UserID`` is
/// expected. The raw value is an opaque string chosen by whoever creates the entity (the
/// store, usually); the workflow never interprets it. Identifiers encode as a bare string.
public struct Identifier<Entity>: RawRepresentable, Hashable, Comparable, Codable, Sendable,
  CustomStringConvertible, ExpressibleByStringLiteral
{
  /// The opaque string form, as stored and as sent on the wire.
  public let rawValue: String

  /// Wraps a raw identifier string.
  public init(rawValue: String) { self.rawValue = rawValue }

  /// Wraps a raw identifier string.
  public init(_ rawValue: String) { self.rawValue = rawValue }

  /// Wraps a literal identifier (tests, fixtures).
  public init(stringLiteral value: String) { self.rawValue = value }

  public var description: String { rawValue }

  public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Identifies a ``Unit``.
public typealias UnitID = Identifier<Unit>
/// Identifies a ``User``.
public typealias UserID = Identifier<User>
/// Identifies a ``RoleGrant``.
public typealias RoleGrantID = Identifier<RoleGrant>
/// Identifies a ``TransferGroup``.
public typealias TransferGroupID = Identifier<TransferGroup>
/// Identifies a ``Category``.
public typealias CategoryID = Identifier<Category>
/// Identifies a ``Case``.
public typealias CaseID = Identifier<Case>
/// Identifies a ``UnitTask``. Derived deterministically from the case id (see ``UnitTask``).
public typealias UnitTaskID = Identifier<UnitTask>
