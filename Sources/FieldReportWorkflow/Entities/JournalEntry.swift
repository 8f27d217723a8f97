/// Nhật ký: one immutable step in a case's life.
///
/// Entries are numbered 1, 2, 3… within their case; entry *n* produces case version *n*.
/// Hash chaining is the store's concern; this value is what gets chained.
public struct JournalEntry: Hashable, Codable, Sendable {
  /// The case.
  public var caseID: CaseID
  /// 1-based position within the case; equals the case version this entry produced.
  public var sequence: Int64
  /// Who acted.
  public var actor: UserID
  /// The unit the actor acted for (the IOC, the handling unit), if any (citizens have none).
  public var actorUnit: UnitID?
  /// What was done (always `event.kind`).
  public var action: ActionKind
  /// The state before (nil for the submission that created the case).
  public var fromState: CaseState?
  /// The state after.
  public var toState: CaseState
  /// The holder before (nil for the submission).
  public var fromHolder: Holder?
  /// The holder after.
  public var toHolder: Holder
  /// Nội dung: the free text the actor wrote.
  public var content: String
  /// Đính kèm.
  public var attachments: [AttachmentRef]
  /// "Gửi thông báo qua ứng dụng di động": whether the reporter's app is notified.
  public var notify: Bool
  /// When.
  public var at: Timestamp
  /// The structured data needed to replay the step.
  public var event: JournalEvent

  public init(
    caseID: CaseID, sequence: Int64, actor: UserID, actorUnit: UnitID?, fromState: CaseState?,
    toState: CaseState, fromHolder: Holder?, toHolder: Holder, content: String,
    attachments: [AttachmentRef], notify: Bool, at: Timestamp, event: JournalEvent
  ) {
    self.caseID = caseID
    self.sequence = sequence
    self.actor = actor
    self.actorUnit = actorUnit
    self.action = event.kind
    self.fromState = fromState
    self.toState = toState
    self.fromHolder = fromHolder
    self.toHolder = toHolder
    self.content = content
    self.attachments = attachments
    self.notify = notify
    self.at = at
    self.event = event
  }
}
