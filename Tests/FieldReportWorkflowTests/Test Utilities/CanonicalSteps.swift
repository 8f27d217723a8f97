import FieldReportWorkflow

/// For each action, a valid command by the right actor on the Đồng Lộc case, and the route
/// to a case in each state. Used by the state-table tests.
enum Canonical {
  static let workTime = Demo.at(26, 2, 11)

  static let assignment = AssignmentOrder(
    mainHandler: Demo.thang, coordinators: [Demo.coordinator], followers: [Demo.follower],
    due: Demo.at(9, 3, 17))

  /// (action, actor, content) for each action kind.
  static func step(_ kind: ActionKind) -> (CaseAction, UserID, String) {
    switch kind {
    case .submit: (.approve, Demo.platform, "")  // creation is not a CaseAction; unused
    case .dispatch: (.dispatch(DispatchOrder(unit: Demo.dongLoc)), Demo.iocOperator, "")
    case .reject: (.reject(.duplicate), Demo.iocOperator, "Trùng phản ánh 260226001")
    case .returnToIoc:
      (.returnToIoc, Demo.duong, "Không đúng chức năng nhiệm vụ. Nhờ IOC chuyển đơn vị quản lý")
    case .assign: (.assign(assignment), Demo.duong, "Phân công Thắng xử lý")
    case .reassign:
      (
        .reassign(AssignmentOrder(mainHandler: Demo.coordinator, due: Demo.at(9, 3, 17))),
        Demo.duong, "Chuyển Phối xử lý"
      )
    case .transferForMonitoring:
      (
        .transferForMonitoring(recipients: [Demo.thang, Demo.coordinator], group: nil),
        Demo.duong, "Trao đổi nội bộ"
      )
    case .acknowledgeMonitoring: (.acknowledgeMonitoring, Demo.thang, "Đã nắm thông tin")
    case .closeMonitoring: (.closeMonitoring, Demo.duong, "Kết thúc theo dõi")
    case .saveDraft: (.approve, Demo.thang, "")  // not journaled (CaseWorkflow.checkDraft); unused
    case .submitResult:
      (
        .submitResult(nextHandler: Demo.duong, outputProduct: OutputProduct(kind: .officialLetter, number: "12/UBND")),
        Demo.thang, ReplyLetter.render(unitName: "UBND Xã Đồng Lộc", body: "Đã xử lý.")
      )
    case .addContribution: (.addContribution, Demo.coordinator, "Đã phối hợp kiểm tra")
    case .approve: (.approve, Demo.duong, "Đồng ý")
    case .returnToOfficer:
      (.returnToOfficer(), Demo.duong, "Nội dung chưa hoàn chỉnh, yêu cầu bổ sung thực hiện rõ")
    case .sendBackToUnit: (.sendBackToUnit(), Demo.iocOperator, "Đề nghị bổ sung hình ảnh")
    case .publish: (.publish(publicly: true), Demo.iocOperator, "Đăng tải kết quả")
    case .holdClock: (.holdClock(.awaitingCitizen), Demo.thang, "Đề nghị công dân cung cấp thêm hình ảnh")
    case .resumeClock: (.resumeClock, Demo.thang, "Đã nhận hình ảnh")
    }
  }

  /// The state each action leads to from the canonical case.
  static let target: [ActionKind: CaseState] = [
    .dispatch: .atUnit, .reject: .closed, .returnToIoc: .returnedToIoc, .assign: .inProgress,
    .reassign: .inProgress, .transferForMonitoring: .monitoring,
    .acknowledgeMonitoring: .monitoring, .closeMonitoring: .closed,
    .submitResult: .awaitingApproval, .addContribution: .inProgress, .approve: .resolved,
    .returnToOfficer: .inProgress, .sendBackToUnit: .inProgress, .publish: .published,
    .holdClock: .inProgress, .resumeClock: .inProgress,
  ]

  /// The action path from a fresh submission to each state.
  static let path: [CaseState: [ActionKind]] = [
    .received: [],
    .atUnit: [.dispatch],
    .returnedToIoc: [.dispatch, .returnToIoc],
    .inProgress: [.dispatch, .assign],
    .awaitingApproval: [.dispatch, .assign, .submitResult],
    .resolved: [.dispatch, .assign, .submitResult, .approve],
    .monitoring: [.dispatch, .transferForMonitoring],
    .published: [.dispatch, .assign, .submitResult, .approve, .publish],
    .closed: [.reject],
  ]

  /// A case in `state`, reached by canonical steps.
  static func history(in state: CaseState) throws -> CaseHistory {
    var history = try CaseHistory.submit()
    for (index, kind) in (path[state] ?? []).enumerated() {
      let (action, actor, content) = step(kind)
      try history.act(
        action, by: actor, content: content,
        at: Demo.at(26, 2, 9).adding(milliseconds: Int64(index) * Timestamp.millisecondsPerMinute))
    }
    return history
  }
}
