/// Phân công: who handles a case at a unit, made by the unit's leader.
///
/// - Important: there is exactly one main handler (`mainHandler`); coordinators and followers
///   are disjoint from it and from each other (enforced by ``CaseWorkflow`` on assign).
public struct Assignment: Hashable, Codable, Sendable {
  /// Xử lý chính: the one officer who processes the case and submits the result.
  public var mainHandler: UserID
  /// Phối hợp: people who may add contributions while the case is in progress.
  public var coordinators: [UserID]
  /// Theo dõi: people kept informed; they see the case but do not act.
  public var followers: [UserID]
  /// Từ ngày: start of the handling window.
  public var start: Timestamp
  /// Đến ngày: the deadline of the handling step.
  public var due: Timestamp
  /// The expected output document, if already decided ("Chưa xác định" otherwise).
  public var outputProduct: OutputProduct?
  /// "Không công khai công việc này": the result must not be published publicly.
  public var doNotPublish: Bool
  /// The leader who made (or last changed) the assignment.
  public var assignedBy: UserID
  /// When it was made.
  public var assignedAt: Timestamp

  public init(
    mainHandler: UserID, coordinators: [UserID] = [], followers: [UserID] = [],
    start: Timestamp, due: Timestamp, outputProduct: OutputProduct? = nil,
    doNotPublish: Bool = false, assignedBy: UserID, assignedAt: Timestamp
  ) {
    self.mainHandler = mainHandler
    self.coordinators = coordinators
    self.followers = followers
    self.start = start
    self.due = due
    self.outputProduct = outputProduct
    self.doNotPublish = doNotPublish
    self.assignedBy = assignedBy
    self.assignedAt = assignedAt
  }

  /// Everyone on the assignment: main handler, coordinators, followers.
  public var participants: Set<UserID> {
    Set([mainHandler] + coordinators + followers)
  }

  /// Whether `user` is on the assignment (one of ``participants``), without building the set:
  /// visibility asks this for every row of an inbox.
  public func hasParticipant(_ user: UserID) -> Bool {
    mainHandler == user || coordinators.contains(user) || followers.contains(user)
  }
}
