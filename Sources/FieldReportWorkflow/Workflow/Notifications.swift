/// Who is told about an accepted step, and what.
///
/// Staff learn of work that reaches them (in their inbox); the reporter's mobile app is told
/// only when the action's notify flag is set. The reporter is reached through their own
/// account when they have one, otherwise through the account that submitted the report (the
/// platform relays it). Nobody is notified of their own action.
enum Notifications {
  static func make(
    for entry: JournalEntry, before: Case, after: Case, directory: Directory
  ) -> [Notification] {
    var out: [Notification] = []
    func tell(_ users: [UserID], _ kind: Notification.Kind, viaMobileApp: Bool = false) {
      // The citizen's app is told how the case ended in the outcome's own words.
      let line =
        viaMobileApp ? (ClosureWording.notification(for: after) ?? kind.vietnameseText) : kind.vietnameseText
      for user in users where user != entry.actor {
        guard !out.contains(where: { $0.recipient == user && $0.kind == kind }) else { continue }
        out.append(
          Notification(
            recipient: user, caseID: after.id, kind: kind,
            text: "\(after.reportCode) – \(after.title): \(line)", at: entry.at,
            viaMobileApp: viaMobileApp))
      }
    }
    let iocOperators = directory.holders(of: .iocOperator, at: after.iocUnitID)
    func leaders(_ unit: UnitID) -> [UserID] { directory.holders(of: .leader, at: unit) }
    var reporterKind: Notification.Kind? = .progressUpdate

    switch entry.event {
    case .submitted(let submission):
      if let task = submission.reopenedTask {
        // A "not resolved" verdict: the case is back at the unit that handled it.
        tell(leaders(task.unitID), .caseDispatched)
      } else {
        tell(iocOperators, .caseReceived)
      }
    case .dispatched(let unit, let leader, _, _):
      tell(leader.map { [$0] } ?? leaders(unit), .caseDispatched)
    case .rejected:
      reporterKind = .caseRejected
    case .returnedToIoc:
      tell(iocOperators, .caseReturnedToIoc)
    case .assigned(let assignment), .reassigned(let assignment):
      tell([assignment.mainHandler], .assignedAsMainHandler)
      tell(assignment.coordinators, .addedAsCoordinator)
      tell(assignment.followers, .addedAsFollower)
    case .transferredForMonitoring(let recipients, _):
      tell(recipients, .monitoringReceived)
      reporterKind = nil  // internal information, nothing for the citizen
    case .monitoringAcknowledged:
      tell(after.monitoring.map { [$0.transferredBy] } ?? [], .monitoringAcknowledged)
      reporterKind = nil
    case .monitoringClosed:
      reporterKind = nil
    case .draftSaved:
      reporterKind = nil
    case .contributionAdded:
      tell(after.assignment.map { [$0.mainHandler] } ?? [], .contributionAdded)
      reporterKind = nil
    case .resultSubmitted(let next, _, _):
      tell(next.map { [$0] } ?? leaders(after.currentUnitID), .resultSubmitted)
    case .approved:
      tell(iocOperators, .resultApproved)
    case .returnedToOfficer(let officer, _):
      tell([officer], .reworkRequested)
    case .sentBackToUnit(let handler, _):
      tell([handler], .sentBackToUnit)
      tell(leaders(after.currentUnitID), .sentBackToUnit)
    case .published:
      reporterKind = .resultPublished
    case .clockHeld(let kind):
      reporterKind = nil
      if kind == .awaitingCitizen {
        // The request for information reaches the citizen whatever the notify flag.
        tell([after.reporter.userID ?? after.submittedBy], .informationRequested, viaMobileApp: true)
      }
    case .clockResumed:
      reporterKind = nil
      let hold = after.tasks.last?.holds.last
      tell(
        (after.assignment.map { [$0.mainHandler] } ?? []) + (hold.map { [$0.heldBy] } ?? []),
        .clockResumed)
    }

    if entry.notify, let kind = reporterKind {
      tell([after.reporter.userID ?? after.submittedBy], kind, viaMobileApp: true)
    }
    return out
  }
}

extension Notification.Kind {
  /// The short Vietnamese text shown for this kind of notification.
  public var vietnameseText: String {
    switch self {
    case .caseReceived: "Phản ánh mới cần điều phối"
    case .caseDispatched: "Phản ánh được chuyển đến đơn vị"
    case .caseRejected: "Phản ánh không được tiếp nhận"
    case .caseReturnedToIoc: "Đơn vị trả lại phản ánh cho Trung tâm IOC"
    case .assignedAsMainHandler: "Được phân công xử lý chính"
    case .addedAsCoordinator: "Được phân công phối hợp"
    case .addedAsFollower: "Được phân công theo dõi"
    case .monitoringReceived: "Chuyển theo dõi"
    case .monitoringAcknowledged: "Đã tiếp nhận thông tin theo dõi"
    case .contributionAdded: "Ý kiến phối hợp mới"
    case .resultSubmitted: "Kết quả xử lý chờ phê duyệt"
    case .resultApproved: "Kết quả xử lý đã được phê duyệt"
    case .reworkRequested: "Yêu cầu xử lý lại"
    case .sentBackToUnit: "Trung tâm IOC yêu cầu xử lý bổ sung"
    case .progressUpdate: "Phản ánh đang được xử lý"
    case .resultPublished: "Kết quả xử lý đã được đăng tải"
    case .informationRequested: "Đơn vị xử lý đề nghị bổ sung thông tin"
    case .clockResumed: "Tiếp tục tính thời hạn xử lý"
    }
  }
}
