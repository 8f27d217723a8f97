/// Chuyên mục: the subject area of a report, e.g. "Môi trường" (environment),
/// "Trật tự đô thị" (urban order), "Trật tự công cộng" (public order).
public struct Category: Hashable, Codable, Sendable, Identifiable {
  /// Stable identifier.
  public var id: CategoryID
  /// Display name (Vietnamese).
  public var name: String
  /// Whether reports may still be filed under it.
  public var isActive: Bool
  /// The default processing time of a unit task in this category (the dispatch deadline when
  /// the IOC gives none); nil means the policy's ``WorkflowPolicy/defaultHandlingMilliseconds``.
  public var defaultProcessingMilliseconds: Int64?

  public init(
    id: CategoryID, name: String, isActive: Bool = true, defaultProcessingMilliseconds: Int64? = nil
  ) {
    self.id = id
    self.name = name
    self.isActive = isActive
    self.defaultProcessingMilliseconds = defaultProcessingMilliseconds
  }
}
