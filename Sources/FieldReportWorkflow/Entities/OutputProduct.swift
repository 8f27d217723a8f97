/// Sản phẩm đầu ra: the document a handling step produces, with its number.
public struct OutputProduct: Hashable, Codable, Sendable {
  /// The kind of document.
  public enum Kind: String, Hashable, Codable, Sendable, CaseIterable {
    /// Công văn.
    case officialLetter = "official_letter"
    /// Thông báo.
    case notice
    /// Kế hoạch.
    case plan
    /// Báo cáo.
    case report
    /// Cung cấp số liệu.
    case dataProvision = "data_provision"
    /// Hợp đồng.
    case contract

    /// The Vietnamese label shown in the source's forms.
    public var vietnameseName: String {
      switch self {
      case .officialLetter: "Công văn"
      case .notice: "Thông báo"
      case .plan: "Kế hoạch"
      case .report: "Báo cáo"
      case .dataProvision: "Cung cấp số liệu"
      case .contract: "Hợp đồng"
      }
    }
  }

  /// The kind of document.
  public var kind: Kind
  /// Its number ("Số"), e.g. "125/UBND-VP"; empty until known.
  public var number: String

  public init(kind: Kind, number: String = "") {
    self.kind = kind
    self.number = number
  }
}
