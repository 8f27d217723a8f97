/// A citizen's report as submitted (SubmitReport), before it becomes a case.
public struct NewReport: Hashable, Codable, Sendable {
  /// The IOC centre that receives it.
  public var iocUnitID: UnitID
  /// The reporter. For a citizen's own submission the user id is set to the citizen.
  public var reporter: Case.Reporter
  /// Chuyên mục.
  public var categoryID: CategoryID
  /// Tiêu đề (required).
  public var title: String
  /// Nội dung (required).
  public var description: String
  /// Địa chỉ sự kiện.
  public var location: Case.Location
  /// Whether the reporter allows public display.
  public var isPublic: Bool
  /// Evidence photos.
  public var attachments: [AttachmentRef]
  /// A previous case this re-reports.
  public var linkedCaseID: CaseID?
  /// Ngày phản ánh, as the app recorded it; nil means the time of receipt.
  public var reportedAt: Timestamp?
  /// The platform's own reference for the report (may be empty).
  public var platformReference: String

  public init(
    iocUnitID: UnitID, reporter: Case.Reporter, categoryID: CategoryID, title: String,
    description: String, location: Case.Location, isPublic: Bool,
    attachments: [AttachmentRef] = [], linkedCaseID: CaseID? = nil, reportedAt: Timestamp? = nil,
    platformReference: String = ""
  ) {
    self.platformReference = platformReference
    self.iocUnitID = iocUnitID
    self.reporter = reporter
    self.categoryID = categoryID
    self.title = title
    self.description = description
    self.location = location
    self.isPublic = isPublic
    self.attachments = attachments
    self.linkedCaseID = linkedCaseID
    self.reportedAt = reportedAt
  }
}
