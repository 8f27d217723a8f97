public import FieldReportWorkflow

/// A stable position in a case listing: the listing's order, the sort key of the last case
/// of the previous page and its id. Listings sort by (key, case id), so pages never skip or
/// repeat a case whose key does not change while paging, even as other cases change.
public struct CaseCursor: Hashable, Codable, Sendable {
  /// The order the cursor was taken in; a query in another order refuses it.
  public var order: CaseListOrder
  /// The sort key of the last case of the previous page (``CaseListOrder/key(of:policy:)``).
  public var key: Int64
  /// Its id.
  public var caseID: CaseID

  /// Creates a cursor.
  public init(order: CaseListOrder, key: Int64, caseID: CaseID) {
    self.order = order
    self.key = key
    self.caseID = caseID
  }

  /// A cursor in the default order (newest report first).
  public init(receivedAt: Timestamp, caseID: CaseID) {
    self.init(order: .reportedNewest, key: receivedAt.millisecondsSince1970, caseID: caseID)
  }

  /// An opaque string form for the wire: `<order letter><key>.<case id>`.
  public var token: String { "\(order.rawValue)\(key).\(caseID.rawValue)" }

  /// Parses ``token``; nil if malformed. A token without an order letter (issued before
  /// orders existed) is in the default order.
  public init?(token: String) {
    guard let dot = token.firstIndex(of: "."), token.index(after: dot) < token.endIndex else { return nil }
    var head = token[..<dot]
    var order = CaseListOrder.reportedNewest
    if let first = head.first, let letter = CaseListOrder(rawValue: String(first)) {
      order = letter
      head = head.dropFirst()
    }
    guard let key = Int64(head) else { return nil }
    self.init(order: order, key: key, caseID: CaseID(String(token[token.index(after: dot)...])))
  }
}
