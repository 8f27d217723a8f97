/// Configurable rules: windows, margins and size limits.
public struct WorkflowPolicy: Hashable, Codable, Sendable {
  /// How long after a unit receives a case its leader may still return it to the IOC.
  /// The source's inbox shows a one-day window (received 26/02, due back 27/02).
  public var returnWindowMilliseconds: Int64
  /// How far before its due time a task must complete to count as early ("trước hạn").
  public var earlyMarginMilliseconds: Int64
  /// The unit's deadline when the IOC dispatches without one.
  public var defaultHandlingMilliseconds: Int64
  /// Longest title, in characters.
  public var maxTitleLength: Int
  /// Longest free text (description, content), in characters.
  public var maxContentLength: Int
  /// Most attachments on one action.
  public var maxAttachmentsPerAction: Int
  /// Largest single attachment, in bytes.
  public var maxAttachmentSize: Int64
  /// Most people on one assignment or monitoring transfer.
  public var maxPeoplePerAction: Int

  public init(
    returnWindowMilliseconds: Int64 = Timestamp.millisecondsPerDay,
    earlyMarginMilliseconds: Int64 = Timestamp.millisecondsPerDay,
    defaultHandlingMilliseconds: Int64 = 10 * Timestamp.millisecondsPerDay,
    maxTitleLength: Int = 500,
    maxContentLength: Int = 20_000,
    maxAttachmentsPerAction: Int = 20,
    maxAttachmentSize: Int64 = 25 * 1024 * 1024,
    maxPeoplePerAction: Int = 200
  ) {
    self.returnWindowMilliseconds = returnWindowMilliseconds
    self.earlyMarginMilliseconds = earlyMarginMilliseconds
    self.defaultHandlingMilliseconds = defaultHandlingMilliseconds
    self.maxTitleLength = maxTitleLength
    self.maxContentLength = maxContentLength
    self.maxAttachmentsPerAction = maxAttachmentsPerAction
    self.maxAttachmentSize = maxAttachmentSize
    self.maxPeoplePerAction = maxPeoplePerAction
  }

  /// The defaults described on each property.
  public static let standard = WorkflowPolicy()
}
