/// The outcome of an accepted action: what to persist, atomically.
public struct Transition: Hashable, Sendable {
  /// The case after the action; its version is the previous one plus one.
  public var newCase: Case
  /// The journal entry recording the action (its sequence equals `newCase.version`).
  public var entry: JournalEntry
  /// Who to tell.
  public var notifications: [Notification]

  public init(newCase: Case, entry: JournalEntry, notifications: [Notification]) {
    self.newCase = newCase
    self.entry = entry
    self.notifications = notifications
  }
}
