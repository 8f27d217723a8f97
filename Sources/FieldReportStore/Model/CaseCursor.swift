public import FieldReportWorkflow

/// A stable position in a case listing: listings are ordered newest first by
/// (receivedAt, case id), both immutable, so pages never skip or repeat a case even while
/// cases change state.
public struct CaseCursor: Hashable, Codable, Sendable {
  /// The received time of the last case of the previous page.
  public var receivedAt: Timestamp
  /// Its id.
  public var caseID: CaseID

  /// Creates a cursor.
  public init(receivedAt: Timestamp, caseID: CaseID) {
    self.receivedAt = receivedAt
    self.caseID = caseID
  }

  /// An opaque string form for the wire: `<receivedAt ms>.<case id>`.
  public var token: String { "\(receivedAt.millisecondsSince1970).\(caseID.rawValue)" }

  /// Parses ``token``; nil if malformed.
  public init?(token: String) {
    guard let dot = token.firstIndex(of: "."),
      let ms = Int64(token[..<dot]),
      token.index(after: dot) < token.endIndex
    else { return nil }
    self.receivedAt = Timestamp(millisecondsSince1970: ms)
    self.caseID = CaseID(String(token[token.index(after: dot)...]))
  }
}
