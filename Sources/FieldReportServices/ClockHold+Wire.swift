import FieldReportWorkflow
import WireBridge

extension Fieldreport_V1_ClockHoldKind {
  /// The wire kind of a domain hold kind.
  init(_ kind: ClockHold.Kind) {
    switch kind {
    case .awaitingCitizen: self = .awaitingCitizen
    case .awaitingOtherAgency: self = .awaitingOtherAgency
    }
  }

  /// The domain kind; nil for UNSPECIFIED and unknown numbers.
  var domain: ClockHold.Kind? {
    switch self {
    case .awaitingCitizen: .awaitingCitizen
    case .awaitingOtherAgency: .awaitingOtherAgency
    case .unspecified, .unrecognized: nil
    }
  }
}

extension CaseRenderer {
  /// One clock hold of `task` as the wire shows it (held time up to the renderer's now while
  /// open).
  func clockHold(_ hold: ClockHold, of task: UnitTask) -> Fieldreport_V1_ClockHold {
    var wire = Fieldreport_V1_ClockHold()
    wire.kind = Fieldreport_V1_ClockHoldKind(hold.kind)
    wire.reason = hold.reason
    wire.heldBy = userRef(hold.heldBy)
    wire.heldAtMs = hold.heldAt.millisecondsSince1970
    wire.resumedAtMs = hold.resumedAt?.millisecondsSince1970
    if let resumer = hold.resumedBy { wire.resumedBy = userRef(resumer) }
    wire.heldMs = hold.heldMilliseconds(now: now)
    wire.taskId = task.id.rawValue
    return wire
  }

  /// The hold in force on the case, for its summary: to people working on the case, and to
  /// the reporter and the submitting platform when it waits for the citizen (the request for
  /// information is theirs to answer); nil otherwise.
  func summaryClockHold(_ stored: Case) -> Fieldreport_V1_ClockHold? {
    guard let task = stored.currentTask, let hold = task.openHold else { return nil }
    guard CaseVisibility.isInternal(stored, viewer: viewer) || hold.kind == .awaitingCitizen else { return nil }
    return clockHold(hold, of: task)
  }

  /// Every hold of the case's tasks, oldest first, with their total held time (the workflow
  /// tab); empty for people who do not work on the case.
  func clockHolds(_ stored: Case) -> (holds: [Fieldreport_V1_ClockHold], totalMilliseconds: Int64) {
    guard CaseVisibility.isInternal(stored, viewer: viewer) else { return ([], 0) }
    var holds: [Fieldreport_V1_ClockHold] = []
    var total: Int64 = 0
    for task in stored.tasks {
      holds += task.holds.map { clockHold($0, of: task) }
      total += Deadlines.heldMilliseconds(of: task, now: now)
    }
    return (holds, total)
  }
}
