/// One kind of call the load generator makes.
enum LoadOperation: String, CaseIterable, Sendable, Hashable {
  /// `CaseService.SubmitReport` as the platform's service account (API key).
  case submit
  /// `CaseService.DispatchCase` as the IOC operator, of a case this run submitted.
  case dispatch
  /// `CaseService.GetCase` by id as the IOC operator, of a case this run submitted.
  case get
  /// `CaseService.ListCases` (the IOC operator's inbox, one page of 20).
  case inbox
}
