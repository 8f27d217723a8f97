import FieldReportClient
#if canImport(Glibc)
  import Glibc
#endif

/// The requests the load generator sends, built from the demo province's names.
struct LoadScenario: Sendable {
  /// Distinguishes this run's idempotency keys and citizens from earlier runs' (keys live 7 days).
  let runID: String
  /// The category of submitted reports (the prefill rotates over every demo category).
  let categoryID: String
  /// The unit cases are dispatched to by the `dispatch` operation.
  let targetUnitID: String

  /// A report as the digital-government platform sends it. `tag` makes the idempotency key,
  /// the citizen and the platform reference unique; `reportedAtMs` backdates the report.
  func submitRequest(tag: String, category: String? = nil, reportedAtMs: Int64? = nil) -> Fieldreport_V1_SubmitReportRequest {
    var request = Fieldreport_V1_SubmitReportRequest()
    request.idempotencyKey = "loadgen-\(self.runID)-\(tag)"
    request.title = "Rác thải ùn ứ tại chợ Đồng Lộc (tải thử \(tag))"
    request.content = "Rác thải sinh hoạt tập kết ven đường gây mùi hôi, đề nghị xử lý. Báo cáo tạo bởi fieldreport-loadgen."
    request.categoryId = category ?? self.categoryID
    request.eventAddress = "Chợ Đồng Lộc, huyện Can Lộc, Hà Tĩnh"
    var location = Fieldreport_V1_GeoPoint()
    location.latitude = 18.4412
    location.longitude = 105.7420
    request.location = location
    request.reporterAllowsPublic = true
    if let reportedAtMs { request.reportedAtMs = reportedAtMs }
    var reporter = Fieldreport_V1_ReporterInfo()
    reporter.fullName = "Nguyễn Văn Bình"
    reporter.phone = "0912345678"
    // A different citizen per report, as many citizens' reports reach the platform (the
    // server limits new reports per reporter).
    reporter.citizenUserId = "platform-citizen-\(self.runID)-\(tag)"
    request.reporter = reporter
    request.platformReference = "LG-\(self.runID)-\(tag)"
    return request
  }

  private func common(_ caseID: String, _ version: Int64, _ step: String, _ tag: String, _ content: String) -> Fieldreport_V1_ActionCommon {
    var common = Fieldreport_V1_ActionCommon()
    common.caseId = caseID
    common.expectedVersion = version
    common.idempotencyKey = "loadgen-\(step)-\(self.runID)-\(tag)"
    common.content = content
    return common
  }

  /// The IOC operator dispatching a received case to a unit.
  func dispatchRequest(_ caseID: String, version: Int64, to unitID: String, tag: String) -> Fieldreport_V1_DispatchCaseRequest {
    var request = Fieldreport_V1_DispatchCaseRequest()
    request.common = self.common(caseID, version, "dispatch", tag, "Đề nghị đơn vị kiểm tra, xử lý.")
    request.targetUnitId = unitID
    return request
  }

  /// The unit's leader assigning the case to the main handler, due in three days.
  func assignRequest(_ caseID: String, version: Int64, officer: DemoPeople.Person, tag: String) -> Fieldreport_V1_AssignRequest {
    var request = Fieldreport_V1_AssignRequest()
    request.common = self.common(caseID, version, "assign", tag, "Phân công xử lý")
    var input = Fieldreport_V1_AssignmentInput()
    input.mainHandlerUserId = officer.userID
    input.dueAtMs = Self.nowMs() + 3 * 86_400_000
    input.outputProductKind = .officialLetter
    request.assignment = input
    return request
  }

  /// The main handler submitting the reply letter to the leader.
  func submitResultRequest(_ caseID: String, version: Int64, leader: DemoPeople.Person, tag: String) -> Fieldreport_V1_SubmitResultRequest {
    var request = Fieldreport_V1_SubmitResultRequest()
    request.common = self.common(
      caseID, version, "result", tag, "Đơn vị đã kiểm tra hiện trường, thu gom rác thải và nhắc nhở các hộ kinh doanh.")
    request.nextHandlerUserId = leader.userID
    request.outputProductKind = .officialLetter
    return request
  }

  /// The leader approving the result.
  func approveRequest(_ caseID: String, version: Int64, tag: String) -> Fieldreport_V1_ApproveRequest {
    var request = Fieldreport_V1_ApproveRequest()
    request.common = self.common(caseID, version, "approve", tag, "Đồng ý kết quả xử lý.")
    return request
  }

  /// The IOC operator publishing the result.
  func publishRequest(_ caseID: String, version: Int64, isPublic: Bool, tag: String) -> Fieldreport_V1_PublishResultRequest {
    var request = Fieldreport_V1_PublishResultRequest()
    request.common = self.common(caseID, version, "publish", tag, "Đăng tải kết quả xử lý.")
    request.scope = isPublic ? .everyone : .reporterOnly
    return request
  }

  /// An inbox (scope MINE), first page of 20.
  static let inboxRequest: Fieldreport_V1_ListCasesRequest = {
    var request = Fieldreport_V1_ListCasesRequest()
    request.scope = .mine
    request.pageSize = 20
    return request
  }()

  /// Milliseconds since 1970 (for deadlines and backdated reports).
  static func nowMs() -> Int64 {
    var spec = timespec()
    clock_gettime(CLOCK_REALTIME, &spec)
    return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
  }
}
