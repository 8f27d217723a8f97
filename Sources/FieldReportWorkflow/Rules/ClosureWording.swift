/// What the citizen is told when their case ends: one Vietnamese wording per
/// ``CaseOutcome``, chosen to match it and never saying a problem was fixed when it was not.
///
/// The one owner of these texts: the mobile-app notification of the closing step
/// (``notification(for:)``), the text published for a result that cannot be resolved
/// (``publishedText(for:reply:)``) and the closure line the case shows
/// (``citizenText(for:)``).
public enum ClosureWording {
  /// The line the citizen is shown for an ended case (nil while it is open).
  public static func citizenText(for c: Case) -> String? {
    guard let outcome = c.outcome else { return nil }
    switch outcome {
    case .resolved:
      return "Phản ánh đã được xử lý. Kết quả xử lý đã được đăng tải."
    case .routedOnward:
      if let agency = c.rejection?.routedTo {
        return "Phản ánh không thuộc thẩm quyền giải quyết của các đơn vị trong hệ thống "
          + "và đã được chuyển đến \(agency) để xem xét, giải quyết."
      }
      return "Phản ánh không thuộc thẩm quyền giải quyết của các đơn vị trong hệ thống "
        + "và đã được chuyển đến cơ quan có thẩm quyền."
    case .cannotBeResolved:
      let reason = c.result?.cannotBeResolvedReason ?? ""
      return "Phản ánh chưa thể giải quyết được. Lý do: \(reason)"
    case .duplicate:
      return "Phản ánh trùng với một phản ánh đã được tiếp nhận. Quý Ông/Bà sẽ nhận kết quả "
        + "xử lý của phản ánh đó."
    case .notValid:
      switch c.rejection?.reason {
      case .spam:
        return "Phản ánh không hợp lệ (nội dung không phù hợp) nên không được tiếp nhận xử lý."
      default:
        return "Phản ánh chưa đủ thông tin để xử lý nên không được tiếp nhận. Quý Ông/Bà có "
          + "thể gửi lại phản ánh với đầy đủ thông tin."
      }
    case .monitored:
      return "Thông tin đã được tiếp nhận để theo dõi."
    }
  }

  /// The mobile-app notification text for the step that ended `c` (nil while it is open).
  public static func notification(for c: Case) -> String? {
    citizenText(for: c)
  }

  /// The text published to the citizen when the IOC gives none: the approved reply letter,
  /// headed, for a result that cannot be resolved, by that statement and its reason, so the
  /// published text never reads as a fixed problem.
  public static func publishedText(for c: Case, reply: String) -> String {
    guard let reason = c.result?.cannotBeResolvedReason else { return reply }
    return "Phản ánh chưa thể giải quyết được. Lý do: \(reason)\n\n\(reply)"
  }

  /// The first entry's content of a re-report opened by a "not resolved" verdict.
  public static func reopenedContent(verdict: CaseVerdict) -> String {
    let said = verdict.comment.isEmpty ? "" : " Ý kiến: \(verdict.comment)"
    return "Công dân phản hồi vấn đề chưa được giải quyết (đánh giá \(verdict.rating)/5).\(said)"
  }

  /// The notification line a duplicate's reporter gets when the original's result is published.
  public static func duplicatePublishedLine(originalCode: ReportCode) -> String {
    "Phản ánh trùng với phản ánh \(originalCode.rawValue) đã có kết quả xử lý"
  }

  /// The text every duplicate's reporter is shown when the original's result is published.
  public static func duplicateResultText(originalCode: ReportCode, published: String) -> String {
    "Phản ánh của quý Ông/Bà trùng với phản ánh \(originalCode.rawValue), đã được xử lý "
      + "chung. Kết quả xử lý:\n\(published)"
  }
}
