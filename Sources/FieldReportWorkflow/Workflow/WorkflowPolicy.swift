/// Configurable rules: windows, margins and size limits.
///
/// The one owner of the request limits the contract documents for reports and actions
/// (title, text, address, the report time's allowances): the services do not check them
/// again, they translate the workflow's refusal into the request's field. Text lengths are
/// counted in UTF-8 bytes, as the contract states them.
public struct WorkflowPolicy: Hashable, Codable, Sendable {
  /// How long after a unit receives a case its leader may still return it to the IOC, unless
  /// the IOC set another window when dispatching ("theo đúng thời gian quy định": the
  /// province sets it; `fieldreport-server --return-window-hours`). The source's inbox shows a
  /// one-day window (received 26/02, due back 27/02).
  public var returnWindowMilliseconds: Int64
  /// The return windows the province (``returnWindowMilliseconds``) and the IOC (per dispatch)
  /// may set: one hour to thirty days.
  public var returnWindowRange: ClosedRange<Int64> {
    Timestamp.millisecondsPerHour...(30 * Timestamp.millisecondsPerDay)
  }
  /// How far before its due time a task must complete to count as early ("trước hạn").
  public var earlyMarginMilliseconds: Int64
  /// The unit's deadline when the IOC dispatches without one.
  public var defaultHandlingMilliseconds: Int64
  /// Longest title (a report's, a task's), in UTF-8 bytes (contract: 300).
  public var maxTitleLength: Int
  /// Longest free text (description, content, published text), in UTF-8 bytes (contract:
  /// 20,000).
  public var maxContentLength: Int
  /// Longest event address, in UTF-8 bytes (contract: 500).
  public var maxAddressLength: Int
  /// How far in the future a report's own time may be (device clocks drift; contract: one
  /// minute).
  public var allowedClockSkewMilliseconds: Int64
  /// How old a report's own time may be (contract: 30 days).
  public var maxReportAgeMilliseconds: Int64
  /// Most attachments on one action.
  public var maxAttachmentsPerAction: Int
  /// Largest single attachment, in bytes.
  public var maxAttachmentSize: Int64
  /// Most people on one assignment or monitoring transfer.
  public var maxPeoplePerAction: Int
  /// Longest closure reason or destination (the agency a report is routed onward to, why a
  /// result cannot be resolved), in UTF-8 bytes (contract: 500).
  public var maxClosureReasonLength: Int { 500 }

  // Likely duplicates (``DuplicateDetection``): the one owner of these thresholds.

  /// Two reports with coordinates are duplicate candidates only within this distance of each
  /// other (haversine), in metres: 300 m, a street block or two.
  public var duplicateRadiusMeters: Double { 300 }
  /// …and only when reported within this time of each other: 7 days.
  public var duplicateWindowMilliseconds: Int64 { 7 * Timestamp.millisecondsPerDay }
  /// …and only when their folded title and description share at least this share of words
  /// (token Jaccard, diacritics and đ/d ignored): 0.3.
  public var duplicateMinSimilarity: Double { 0.3 }
  /// The similarity required when either report lacks coordinates (no distance to check): 0.5.
  public var duplicateMinSimilarityWithoutLocation: Double { 0.5 }
  /// At most this many cases of the category and window are compared (newest received
  /// first): 200. Bounds the work SubmitReport adds for the platform and the IOC.
  public var duplicateScanLimit: Int { 200 }
  /// At most this many candidates are returned, most similar first: 10.
  public var maxDuplicateCandidates: Int { 10 }

  public init(
    returnWindowMilliseconds: Int64 = Timestamp.millisecondsPerDay,
    earlyMarginMilliseconds: Int64 = Timestamp.millisecondsPerDay,
    defaultHandlingMilliseconds: Int64 = 10 * Timestamp.millisecondsPerDay,
    maxTitleLength: Int = 300,
    maxContentLength: Int = 20_000,
    maxAddressLength: Int = 500,
    allowedClockSkewMilliseconds: Int64 = Timestamp.millisecondsPerMinute,
    maxReportAgeMilliseconds: Int64 = 30 * Timestamp.millisecondsPerDay,
    maxAttachmentsPerAction: Int = 20,
    maxAttachmentSize: Int64 = 25 * 1024 * 1024,
    maxPeoplePerAction: Int = 200
  ) {
    self.returnWindowMilliseconds = returnWindowMilliseconds
    self.earlyMarginMilliseconds = earlyMarginMilliseconds
    self.defaultHandlingMilliseconds = defaultHandlingMilliseconds
    self.maxTitleLength = maxTitleLength
    self.maxContentLength = maxContentLength
    self.maxAddressLength = maxAddressLength
    self.allowedClockSkewMilliseconds = allowedClockSkewMilliseconds
    self.maxReportAgeMilliseconds = maxReportAgeMilliseconds
    self.maxAttachmentsPerAction = maxAttachmentsPerAction
    self.maxAttachmentSize = maxAttachmentSize
    self.maxPeoplePerAction = maxPeoplePerAction
  }

  /// The defaults described on each property.
  public static let standard = WorkflowPolicy()
}
