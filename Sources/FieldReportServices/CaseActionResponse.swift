import FieldReportAPI
import WireBridge

/// What the response of every action on a case carries: the case after the action, the
/// journal entry it created, and whether this answers a retry of the same idempotency key.
protocol CaseActionResponse: WireMessage {
  var caseSummary: Fieldreport_V1_CaseSummary? { get set }
  var journalEntry: Fieldreport_V1_JournalEntry? { get set }
  var idempotentReplay: Bool { get set }
}

extension CaseActionResponse {
  /// The response for `outcome`; action-specific fields stay at their defaults.
  init(_ outcome: CaseActionOutcome) {
    self.init()
    caseSummary = outcome.summary
    journalEntry = outcome.entry
    idempotentReplay = outcome.isReplay
  }
}

extension Fieldreport_V1_AcknowledgeMonitoringResponse: CaseActionResponse {}
extension Fieldreport_V1_AddContributionResponse: CaseActionResponse {}
extension Fieldreport_V1_ApproveResponse: CaseActionResponse {}
extension Fieldreport_V1_AssignResponse: CaseActionResponse {}
extension Fieldreport_V1_CloseMonitoringResponse: CaseActionResponse {}
extension Fieldreport_V1_DispatchCaseResponse: CaseActionResponse {}
extension Fieldreport_V1_PublishResultResponse: CaseActionResponse {}
extension Fieldreport_V1_ReassignResponse: CaseActionResponse {}
extension Fieldreport_V1_RejectCaseResponse: CaseActionResponse {}
extension Fieldreport_V1_ReturnToIocResponse: CaseActionResponse {}
extension Fieldreport_V1_ReturnToOfficerResponse: CaseActionResponse {}
extension Fieldreport_V1_SendBackToUnitResponse: CaseActionResponse {}
extension Fieldreport_V1_SubmitReportResponse: CaseActionResponse {}
extension Fieldreport_V1_SubmitResultResponse: CaseActionResponse {}
extension Fieldreport_V1_TransferForMonitoringResponse: CaseActionResponse {}
extension Fieldreport_V1_HoldClockResponse: CaseActionResponse {}
extension Fieldreport_V1_ResumeClockResponse: CaseActionResponse {}
