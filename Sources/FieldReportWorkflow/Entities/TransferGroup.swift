/// Nhóm chuyển: a named set of recipients a leader can pick when transferring for monitoring.
public struct TransferGroup: Hashable, Codable, Sendable, Identifiable {
  /// Stable identifier.
  public var id: TransferGroupID
  /// The unit that owns (and may use) the group.
  public var unitID: UnitID
  /// Display name.
  public var name: String
  /// Members, in display order, without duplicates.
  public var memberIDs: [UserID]
  /// When the group was created (nil for groups stored before times were kept).
  public var createdAt: Timestamp?
  /// When the group or its members last changed (nil as above).
  public var updatedAt: Timestamp?

  public init(
    id: TransferGroupID, unitID: UnitID, name: String, memberIDs: [UserID],
    createdAt: Timestamp? = nil, updatedAt: Timestamp? = nil
  ) {
    self.id = id
    self.unitID = unitID
    self.name = name
    self.memberIDs = memberIDs.uniqued()
    self.createdAt = createdAt
    self.updatedAt = updatedAt ?? createdAt
  }
}
