import FieldReportWorkflow
import Testing

/// A case with its journal and every notification, driven step by step as the store would.
struct CaseHistory {
  var current: Case
  var journal: [JournalEntry]
  var notifications: [Notification]
  var directory: Directory
  var policy: WorkflowPolicy

  /// Submits a report through the platform.
  static func submit(
    title: String = "Gây mất trật tự Công cộng", description: String? = nil,
    category: CategoryID = Demo.publicOrder, isPublic: Bool = true,
    at now: Timestamp = Demo.at(26, 2, 8), sequence: Int = 1, caseID: CaseID = "case-1",
    by submitter: UserID = Demo.platform, directory: Directory = Demo.directory,
    policy: WorkflowPolicy = .standard
  ) throws -> CaseHistory {
    let code = try ReportCode.make(dayOf: now, sequence: sequence)
    let report = NewReport(
      iocUnitID: Demo.ioc,
      reporter: Case.Reporter(fullName: "Trần Thị Dân", phone: "0912345678"),
      categoryID: category, title: title, description: description ?? title,
      location: Case.Location(address: "87 Ngô Quyền, Phường Trần Phú, Tỉnh Hà Tĩnh"),
      isPublic: isPublic, attachments: [Demo.photo])
    let transition = try CaseWorkflow.submit(
      report, caseID: caseID, reportCode: code, by: Demo.actor(submitter), now: now,
      policy: policy, directory: directory
    ).get()
    return CaseHistory(
      current: transition.newCase, journal: [transition.entry],
      notifications: transition.notifications, directory: directory, policy: policy)
  }

  /// The decision, without applying it.
  func decide(
    _ action: CaseAction, by user: UserID, content: String = "", at now: Timestamp,
    notify: Bool = false, attachments: [AttachmentRef] = [], version: Int64? = nil
  ) -> Result<Transition, WorkflowRefusal> {
    CaseWorkflow.decide(
      current, by: Demo.actor(user),
      command: CaseCommand(
        expectedVersion: version ?? current.version, action: action, content: content,
        attachments: attachments, notify: notify),
      now: now, policy: policy, directory: directory)
  }

  /// Applies an action that must be accepted; records an issue otherwise.
  @discardableResult
  mutating func act(
    _ action: CaseAction, by user: UserID, content: String = "", at now: Timestamp,
    notify: Bool = false, attachments: [AttachmentRef] = []
  ) throws -> Transition {
    let transition = try #require(
      try? decide(
        action, by: user, content: content, at: now, notify: notify, attachments: attachments
      ).get(),
      "\(action.kind) by \(user) refused: \(String(describing: refusal(action, by: user, content: content, at: now)))")
    accept(transition)
    return transition
  }

  /// The refusal of an action that must be refused.
  func refusal(
    _ action: CaseAction, by user: UserID, content: String = "", at now: Timestamp,
    attachments: [AttachmentRef] = [], version: Int64? = nil
  ) -> WorkflowRefusal? {
    if case .failure(let refusal) = decide(
      action, by: user, content: content, at: now, attachments: attachments, version: version)
    {
      return refusal
    }
    return nil
  }

  mutating func accept(_ transition: Transition) {
    current = transition.newCase
    journal.append(transition.entry)
    notifications += transition.notifications
  }
}
