import ArgumentParser
import FieldReportClient

/// The inbox filters (`ListCasesRequest`), shared by `case list` and `inbox`.
struct CaseListOptions: ParsableArguments {
  @Option(help: "mine (default), my-units, participating, all (IOC), reported.") var scope: Fieldreport_V1_CaseScope?
  @Option(help: "Only cases held by, or passed through, this unit (id, code or name).", completion: ServerCompletion.units) var unit: String?
  @Option(name: .customLong("state"), help: "Only cases in this state, repeatable (received, at-unit, in-progress, …).") var states: [Fieldreport_V1_CaseState] = []
  @Option(name: .customLong("outcome"), help: "Only ended cases with this outcome, repeatable (resolved, routed-onward, cannot-be-resolved, duplicate, not-valid, monitored).") var outcomes: [Fieldreport_V1_CaseOutcome] = []
  @Option(help: "Only this category (id, code or name).") var category: String?
  @Flag(help: "Only cases whose current step is overdue.") var overdue = false
  @Option(help: "Reported at or after (date, time, +/-Nd, Unix ms).") var from: String?
  @Option(help: "Reported before.") var to: String?
  @Option(name: [.short, .long], help: "Free text (code, title, content, address; diacritics optional).") var query: String?
  @Option(help: "step-started-desc (default; reported-desc for --scope reported), step-due-asc, reported-desc, reported-asc, updated-desc.") var order: Fieldreport_V1_CaseOrder?
  @Option(name: .customLong("page-size"), help: "Rows per page (0 = 50, at most 200).") var pageSize: Int32?
  @Option(name: .customLong("page-token"), help: "The token a previous page printed.") var pageToken: String?

  func apply(to request: inout Fieldreport_V1_ListCasesRequest, session: CLISession) async throws {
    if let scope { request.scope = scope }
    if let unit { request.unitId = try await session.unitID(for: unit) }
    if !states.isEmpty { request.states = states }
    if !outcomes.isEmpty { request.outcomes = outcomes }
    if let category { request.categoryId = try await session.categoryID(for: category) }
    if overdue { request.overdueOnly = true }
    if let from { request.reportedFromMs = try TimeOption.parse(from, option: "--from") }
    if let to { request.reportedToMs = try TimeOption.parse(to, option: "--to") }
    if let query { request.textQuery = query }
    if let order { request.order = order }
    if let pageSize { request.pageSize = pageSize }
    if let pageToken { request.pageToken = pageToken }
  }
}

/// `fieldreport inbox`: the same as `fieldreport case list`.
struct InboxCommand: RPCCommand {
  static let configuration = CommandConfiguration(
    commandName: "inbox",
    abstract: "Your inbox (the same as 'case list'): No., Title, Sender, Current handler, From, To, overdue marker.")

  @OptionGroup var global: GlobalOptions
  @OptionGroup var input: RequestInput
  @OptionGroup var filters: CaseListOptions

  func build(_ request: inout Fieldreport_V1_ListCasesRequest, session: CLISession) async throws {
    try await filters.apply(to: &request, session: session)
  }

  func call(_ request: Fieldreport_V1_ListCasesRequest, session: CLISession) async throws -> Fieldreport_V1_ListCasesResponse {
    try await session.client.cases.listCases(request)
  }

  func render(_ response: Fieldreport_V1_ListCasesResponse, session: CLISession) async throws -> String {
    Render.inbox(response.cases) + Render.nextPage(response.nextPageToken)
  }
}
