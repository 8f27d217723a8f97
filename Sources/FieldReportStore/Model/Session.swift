public import FieldReportWorkflow

/// A signed-in session. The store keeps only a SHA-256 of the token.
public struct Session: Hashable, Sendable {
  /// Whose session.
  public var userID: UserID
  /// When it was created.
  public var createdAt: Timestamp
  /// When it stops being valid.
  public var expiresAt: Timestamp

  /// Creates a session value.
  public init(userID: UserID, createdAt: Timestamp, expiresAt: Timestamp) {
    self.userID = userID
    self.createdAt = createdAt
    self.expiresAt = expiresAt
  }
}
