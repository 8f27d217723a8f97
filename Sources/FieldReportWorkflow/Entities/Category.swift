/// Chuyên mục: the subject area of a report, e.g. "Môi trường" (environment),
/// "Trật tự đô thị" (urban order), "Trật tự công cộng" (public order).
public struct Category: Hashable, Codable, Sendable, Identifiable {
  /// Stable identifier.
  public var id: CategoryID
  /// Display name (Vietnamese).
  public var name: String
  /// Whether reports may still be filed under it.
  public var isActive: Bool

  public init(id: CategoryID, name: String, isActive: Bool = true) {
    self.id = id
    self.name = name
    self.isActive = isActive
  }
}
