/// One request to act on a case: the action and the fields every action carries.
public struct CaseCommand: Hashable, Codable, Sendable {
  /// The case version the caller saw; a different current version is refused as stale.
  public var expectedVersion: Int64
  /// What to do.
  public var action: CaseAction
  /// Nội dung: free text (a reason, a result, a note).
  public var content: String
  /// Đính kèm.
  public var attachments: [AttachmentRef]
  /// "Gửi thông báo qua ứng dụng di động": notify the reporter's app.
  public var notify: Bool

  public init(
    expectedVersion: Int64, action: CaseAction, content: String = "",
    attachments: [AttachmentRef] = [], notify: Bool = false
  ) {
    self.expectedVersion = expectedVersion
    self.action = action
    self.content = content
    self.attachments = attachments
    self.notify = notify
  }

  /// Users named by the command, which the ``Directory`` must contain for the decision.
  public var referencedUsers: [UserID] {
    switch action {
    case .dispatch(let order): order.leader.map { [$0] } ?? []
    case .assign(let order), .reassign(let order):
      (order.mainHandler.map { [$0] } ?? []) + order.coordinators + order.followers
    case .transferForMonitoring(let recipients, _): recipients
    case .submitResult(let next, _, _): next.map { [$0] } ?? []
    default: []
    }
  }

  /// Units whose data and grants the decision needs: the case's IOC and current unit,
  /// and a dispatch target.
  public func referencedUnits(in current: Case) -> [UnitID] {
    var units = [current.iocUnitID, current.currentUnitID]
    if case .dispatch(let order) = action { units.append(order.unit) }
    return units.uniqued()
  }
}
