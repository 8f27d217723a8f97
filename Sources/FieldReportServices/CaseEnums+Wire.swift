import FieldReportWorkflow
import WireBridge

// Domain ↔ wire mappings of the case enums. Each domain value has exactly one wire value;
// wire values without a domain meaning (UNSPECIFIED, unrecognized numbers) map to nil so the
// handler can name the offending field.

extension Fieldreport_V1_CaseState {
  /// The wire state of a domain state.
  init(_ state: CaseState) {
    switch state {
    case .received: self = .received
    case .atUnit: self = .atUnit
    case .returnedToIoc: self = .returnedToIoc
    case .inProgress: self = .inProgress
    case .awaitingApproval: self = .awaitingApproval
    case .resolved: self = .resolved
    case .monitoring: self = .monitoring
    case .published: self = .published
    case .closed: self = .closed
    }
  }

  /// The domain state, or nil for UNSPECIFIED and unknown numbers.
  var domain: CaseState? {
    switch self {
    case .received: .received
    case .atUnit: .atUnit
    case .returnedToIoc: .returnedToIoc
    case .inProgress: .inProgress
    case .awaitingApproval: .awaitingApproval
    case .resolved: .resolved
    case .monitoring: .monitoring
    case .published: .published
    case .closed: .closed
    case .unspecified, .unrecognized: nil
    }
  }
}

extension Fieldreport_V1_JournalAction {
  /// The wire action of a domain action kind.
  init(_ kind: ActionKind) {
    switch kind {
    case .submit: self = .submit
    case .dispatch: self = .dispatch
    case .reject: self = .reject
    case .returnToIoc: self = .returnToIoc
    case .assign: self = .assign
    case .reassign: self = .reassign
    case .transferForMonitoring: self = .transferForMonitoring
    case .acknowledgeMonitoring: self = .acknowledgeMonitoring
    case .closeMonitoring: self = .closeMonitoring
    case .saveDraft: self = .saveDraft
    case .submitResult: self = .submitResult
    case .addContribution: self = .addContribution
    case .approve: self = .approve
    case .returnToOfficer: self = .returnToOfficer
    case .sendBackToUnit: self = .sendBackToUnit
    case .publish: self = .publishResult
    case .holdClock: self = .holdClock
    case .resumeClock: self = .resumeClock
    }
  }

  /// The domain action kind, or nil for UNSPECIFIED and unknown numbers.
  var domain: ActionKind? {
    ActionKind.allCases.first { Fieldreport_V1_JournalAction($0) == self }
  }

  /// The action a notification of `kind` reports (notifications do not record their entry).
  init(notification kind: Notification.Kind) {
    switch kind {
    case .caseReceived: self = .submit
    case .caseDispatched: self = .dispatch
    case .caseRejected: self = .reject
    case .caseReturnedToIoc: self = .returnToIoc
    case .assignedAsMainHandler, .addedAsCoordinator, .addedAsFollower: self = .assign
    case .monitoringReceived: self = .transferForMonitoring
    case .monitoringAcknowledged: self = .acknowledgeMonitoring
    case .contributionAdded: self = .addContribution
    case .resultSubmitted: self = .submitResult
    case .resultApproved: self = .approve
    case .reworkRequested: self = .returnToOfficer
    case .sentBackToUnit: self = .sendBackToUnit
    case .progressUpdate: self = .unspecified
    case .resultPublished: self = .publishResult
    case .informationRequested: self = .holdClock
    case .clockResumed: self = .resumeClock
    }
  }
}

extension Fieldreport_V1_TaskKind {
  /// The wire task kind of a domain task type.
  init(_ type: UnitTask.TaskType) {
    switch type {
    case .fieldReport: self = .fieldReport
    case .professionalWork: self = .professionalWork
    }
  }

  /// The domain task type; UNSPECIFIED means the default, a field report. Nil for unknown
  /// numbers.
  var domain: UnitTask.TaskType? {
    switch self {
    case .unspecified, .fieldReport: .fieldReport
    case .professionalWork: .professionalWork
    case .unrecognized: nil
    }
  }
}

extension Fieldreport_V1_OutputProductKind {
  /// The wire kind of a domain output product kind (nil: not yet determined).
  init(_ kind: OutputProduct.Kind?) {
    switch kind {
    case nil: self = .unspecified
    case .officialLetter?: self = .officialLetter
    case .notice?: self = .notice
    case .plan?: self = .plan
    case .report?: self = .report
    case .dataProvision?: self = .dataProvision
    case .contract?: self = .contract
    }
  }

  /// The domain kind; `.success(nil)` for UNSPECIFIED ("not yet determined"), `.failure`
  /// for unknown numbers.
  var domain: Result<OutputProduct.Kind?, InvalidEnumValue> {
    switch self {
    case .unspecified: .success(nil)
    case .officialLetter: .success(.officialLetter)
    case .notice: .success(.notice)
    case .plan: .success(.plan)
    case .report: .success(.report)
    case .dataProvision: .success(.dataProvision)
    case .contract: .success(.contract)
    case .unrecognized(let value): .failure(InvalidEnumValue(value: value))
    }
  }
}

/// An enum number this server does not know.
struct InvalidEnumValue: Error {
  /// The number received.
  var value: Int32
}

extension Fieldreport_V1_RejectReason {
  /// The wire reason of a domain reason. The domain's "insufficient information" is the
  /// contract's OTHER (explained in the content).
  init(_ reason: RejectionReason) {
    switch reason {
    case .spam: self = .spam
    case .duplicate: self = .duplicate
    case .outOfScope: self = .outOfScope
    case .insufficientInformation: self = .other
    }
  }

  /// The domain reason, or nil for UNSPECIFIED and unknown numbers.
  var domain: RejectionReason? {
    switch self {
    case .spam: .spam
    case .duplicate: .duplicate
    case .outOfScope: .outOfScope
    case .other: .insufficientInformation
    case .unspecified, .unrecognized: nil
    }
  }
}

extension Fieldreport_V1_Timeliness {
  /// The wire timeliness of a completed step.
  init(_ timeliness: Timeliness) {
    switch timeliness {
    case .early: self = .early
    case .onTime: self = .onTime
    case .late: self = .late
    }
  }

  /// The timeliness of a step with an optional due time, completed at `completedAt` (nil:
  /// still open, judged at `now`).
  init(due: Timestamp?, completedAt: Timestamp?, now: Timestamp, policy: WorkflowPolicy) {
    guard let due else {
      self = .unspecified
      return
    }
    if let completedAt {
      self.init(Deadlines.classify(completedAt: completedAt, due: due, policy: policy))
    } else {
      self = Deadlines.isOverdue(due: due, now: now) ? .overdue : .pending
    }
  }
}

extension Fieldreport_V1_CaseOutcome {
  /// The wire outcome of an ended case; UNSPECIFIED for an open one.
  init(_ outcome: CaseOutcome?) {
    switch outcome {
    case .resolved: self = .resolved
    case .routedOnward: self = .routedOnward
    case .cannotBeResolved: self = .cannotBeResolved
    case .duplicate: self = .duplicate
    case .notValid: self = .notValid
    case .monitored: self = .monitored
    case nil: self = .unspecified
    }
  }

  /// The domain outcome, or nil for UNSPECIFIED and unknown numbers.
  var domain: CaseOutcome? {
    switch self {
    case .resolved: .resolved
    case .routedOnward: .routedOnward
    case .cannotBeResolved: .cannotBeResolved
    case .duplicate: .duplicate
    case .notValid: .notValid
    case .monitored: .monitored
    case .unspecified, .unrecognized: nil
    }
  }
}
