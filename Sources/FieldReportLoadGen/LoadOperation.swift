/// One kind of call the load generator makes; its raw value is the name used by `--mix`, the
/// result table, the JSON report and the plot.
enum LoadOperation: String, CaseIterable, Sendable, Hashable {
  /// `CaseService.SubmitReport` as the platform's service account (API key).
  case submit
  /// `CaseService.DispatchCase` as the IOC operator, of a received case (seeded, prefilled or
  /// submitted by this run).
  case dispatch
  /// `AssignmentService.Assign` by the unit's leader (lifecycle only).
  case assign
  /// `AssignmentService.SubmitResult` by the main handler (lifecycle only).
  case submitResult = "submit-result"
  /// `AssignmentService.Approve` by the unit's leader (lifecycle only).
  case approve
  /// `CaseService.PublishResult` by the IOC operator (lifecycle only).
  case publish
  /// `CaseService.GetCase` by id as the IOC operator.
  case get
  /// `CaseService.ListCases` scope MINE, first page of 20, as the IOC operator.
  case inbox
  /// The same as the leader of UBND Xã Đồng Lộc.
  case inboxLeader = "inbox-leader"
  /// The same as the officer of UBND Xã Đồng Lộc.
  case inboxOfficer = "inbox-officer"
  /// `JournalService.ListJournal` (first page of 50) as the IOC operator.
  case journal
  /// `JournalService.GetWorkflow` as the IOC operator.
  case workflow
  /// `rpc.v1.Health/Check` without credentials: the server's own near-trivial call, the
  /// transport's cost through the real server (a reference for the others; TLS's per-call cost).
  case health

  /// The operations `--mix` may weigh (the lifecycle's later steps need a case in the right
  /// state and person, so they only run in `--scenario lifecycle`).
  static let mixable: [LoadOperation] = [
    .submit, .dispatch, .get, .inbox, .inboxLeader, .inboxOfficer, .journal, .workflow, .health,
  ]

  /// The RPC behind the operation.
  var rpc: String {
    switch self {
    case .submit: "CaseService.SubmitReport"
    case .dispatch: "CaseService.DispatchCase"
    case .assign: "AssignmentService.Assign"
    case .submitResult: "AssignmentService.SubmitResult"
    case .approve: "AssignmentService.Approve"
    case .publish: "CaseService.PublishResult"
    case .get: "CaseService.GetCase"
    case .inbox, .inboxLeader, .inboxOfficer: "CaseService.ListCases"
    case .journal: "JournalService.ListJournal"
    case .workflow: "JournalService.GetWorkflow"
    case .health: "Health.Check"
    }
  }
}
