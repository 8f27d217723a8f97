public import FieldReportWorkflow

/// A notification as stored, with its id and read state.
public struct StoredNotification: Hashable, Sendable {
  /// Strictly increasing id (usable as a cursor per recipient).
  public var id: Int64
  /// The message.
  public var notification: Notification
  /// When the recipient marked it read, if they did.
  public var readAt: Timestamp?

  /// Creates a stored notification.
  public init(id: Int64, notification: Notification, readAt: Timestamp?) {
    self.id = id
    self.notification = notification
    self.readAt = readAt
  }
}
