import FieldReportClient

/// A request that acts on a case: it carries an `ActionCommon`.
protocol CaseActionRequest: WireMessage {
  var common: Fieldreport_V1_ActionCommon? { get set }
}

/// The answer of an action on a case: the updated case and the journal entry.
protocol CaseActionResponse: WireMessage {
  var caseSummary: Fieldreport_V1_CaseSummary? { get }
  var journalEntry: Fieldreport_V1_JournalEntry? { get }
  var idempotentReplay: Bool { get }
}

/// An ``RPCCommand`` for an action on a case: the shared flags (``ActionOptions``) fill the
/// `ActionCommon`, ``buildDetails(_:session:)`` the rest; the answer prints as one line for
/// the case and one for the journal entry.
protocol CaseActionCommand: RPCCommand where Request: CaseActionRequest, Response: CaseActionResponse {
  var action: ActionOptions { get }
  /// Applies the action-specific flags.
  func buildDetails(_ request: inout Request, session: CLISession) async throws
}

extension CaseActionCommand {
  func build(_ request: inout Request, session: CLISession) async throws {
    var common = request.common ?? Fieldreport_V1_ActionCommon()
    try await self.action.apply(to: &common, session: session)
    request.common = common
    try await self.buildDetails(&request, session: session)
  }

  func buildDetails(_ request: inout Request, session: CLISession) async throws {}

  func render(_ response: Response, session: CLISession) async throws -> String {
    Render.action(response.caseSummary, response.journalEntry, replay: response.idempotentReplay)
  }
}

extension Fieldreport_V1_DispatchCaseRequest: CaseActionRequest {}
extension Fieldreport_V1_RejectCaseRequest: CaseActionRequest {}
extension Fieldreport_V1_SendBackToUnitRequest: CaseActionRequest {}
extension Fieldreport_V1_PublishResultRequest: CaseActionRequest {}
extension Fieldreport_V1_AssignRequest: CaseActionRequest {}
extension Fieldreport_V1_ReassignRequest: CaseActionRequest {}
extension Fieldreport_V1_ReturnToIocRequest: CaseActionRequest {}
extension Fieldreport_V1_TransferForMonitoringRequest: CaseActionRequest {}
extension Fieldreport_V1_AcknowledgeMonitoringRequest: CaseActionRequest {}
extension Fieldreport_V1_CloseMonitoringRequest: CaseActionRequest {}
extension Fieldreport_V1_SaveDraftRequest: CaseActionRequest {}
extension Fieldreport_V1_SubmitResultRequest: CaseActionRequest {}
extension Fieldreport_V1_AddContributionRequest: CaseActionRequest {}
extension Fieldreport_V1_ApproveRequest: CaseActionRequest {}
extension Fieldreport_V1_ReturnToOfficerRequest: CaseActionRequest {}

extension Fieldreport_V1_DispatchCaseResponse: CaseActionResponse {}
extension Fieldreport_V1_RejectCaseResponse: CaseActionResponse {}
extension Fieldreport_V1_SendBackToUnitResponse: CaseActionResponse {}
extension Fieldreport_V1_PublishResultResponse: CaseActionResponse {}
extension Fieldreport_V1_AssignResponse: CaseActionResponse {}
extension Fieldreport_V1_ReassignResponse: CaseActionResponse {}
extension Fieldreport_V1_ReturnToIocResponse: CaseActionResponse {}
extension Fieldreport_V1_TransferForMonitoringResponse: CaseActionResponse {}
extension Fieldreport_V1_AcknowledgeMonitoringResponse: CaseActionResponse {}
extension Fieldreport_V1_CloseMonitoringResponse: CaseActionResponse {}
extension Fieldreport_V1_SubmitResultResponse: CaseActionResponse {}
extension Fieldreport_V1_AddContributionResponse: CaseActionResponse {}
extension Fieldreport_V1_ApproveResponse: CaseActionResponse {}
extension Fieldreport_V1_ReturnToOfficerResponse: CaseActionResponse {}
