import FieldReportClient

/// The requests the load generator sends, built from the demo province's names.
struct LoadScenario: Sendable {
  /// Distinguishes this run's idempotency keys from earlier runs' (keys live 7 days).
  let runID: String
  /// The category of submitted reports.
  let categoryID: String
  /// The unit cases are dispatched to.
  let targetUnitID: String

  /// A report as the digital-government platform sends it.
  func submitRequest(worker: Int, sequence: Int) -> Fieldreport_V1_SubmitReportRequest {
    var request = Fieldreport_V1_SubmitReportRequest()
    request.idempotencyKey = "loadgen-\(self.runID)-\(worker)-\(sequence)"
    request.title = "Rác thải ùn ứ tại chợ Đồng Lộc (tải thử \(worker)-\(sequence))"
    request.content = "Rác thải sinh hoạt tập kết ven đường gây mùi hôi, đề nghị xử lý. Báo cáo tạo bởi fieldreport-loadgen."
    request.categoryId = self.categoryID
    request.eventAddress = "Chợ Đồng Lộc, huyện Can Lộc, Hà Tĩnh"
    var location = Fieldreport_V1_GeoPoint()
    location.latitude = 18.4412
    location.longitude = 105.7420
    request.location = location
    request.reporterAllowsPublic = true
    var reporter = Fieldreport_V1_ReporterInfo()
    reporter.fullName = "Nguyễn Văn Bình"
    reporter.phone = "0912345678"
    // A different citizen per report, as many citizens' reports reach the platform (the
    // server limits new reports per reporter).
    reporter.citizenUserId = "platform-citizen-\(self.runID)-\(worker)-\(sequence)"
    request.reporter = reporter
    request.platformReference = "LG-\(self.runID)-\(worker)-\(sequence)"
    return request
  }

  /// The IOC operator dispatching a received case to the target unit.
  func dispatchRequest(_ received: CasePool.Received, worker: Int, sequence: Int) -> Fieldreport_V1_DispatchCaseRequest {
    var common = Fieldreport_V1_ActionCommon()
    common.caseId = received.caseID
    common.expectedVersion = received.version
    common.idempotencyKey = "loadgen-dispatch-\(self.runID)-\(worker)-\(sequence)"
    common.content = "Đề nghị UBND xã kiểm tra, xử lý."
    var request = Fieldreport_V1_DispatchCaseRequest()
    request.common = common
    request.targetUnitId = self.targetUnitID
    return request
  }

  /// The IOC operator's inbox, first page of 20.
  var inboxRequest: Fieldreport_V1_ListCasesRequest {
    var request = Fieldreport_V1_ListCasesRequest()
    request.scope = .mine
    request.pageSize = 20
    return request
  }
}
