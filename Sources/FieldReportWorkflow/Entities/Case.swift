/// Phản ánh: one citizen's field report and everything that has happened to it.
///
/// A `Case` is a value: ``CaseWorkflow`` computes the next one from it and an action; the
/// store persists it. It can always be rebuilt from its journal with ``CaseReplay/replay(_:)``.
///
/// - Important: ``version`` starts at 1 when the case is created and grows by exactly one per
///   accepted action; it equals the ``JournalEntry/sequence`` of the entry that produced it.
public struct Case: Hashable, Codable, Sendable, Identifiable {
  /// Who reported the case. Visible to the IOC only (see ``Case/redacted(for:)``).
  public struct Reporter: Hashable, Codable, Sendable {
    /// The citizen's account, when the report came from a signed-in citizen.
    public var userID: UserID?
    /// Full name as given.
    public var fullName: String
    /// Phone number as given (may be empty).
    public var phone: String
    /// E-mail as given (may be empty).
    public var email: String

    public init(userID: UserID? = nil, fullName: String, phone: String = "", email: String = "") {
      self.userID = userID
      self.fullName = fullName
      self.phone = phone
      self.email = email
    }

    /// The placeholder shown to anyone but the IOC ("Công dân", a citizen).
    public static let anonymous = Reporter(userID: nil, fullName: "Công dân")
  }

  /// Địa chỉ sự kiện: where the reported event is.
  public struct Location: Hashable, Codable, Sendable {
    /// Free-text address, e.g. "87 Ngô Quyền, Phường Trần Phú, Tỉnh Hà Tĩnh".
    public var address: String
    /// WGS-84 latitude in degrees, if the app sent one.
    public var latitude: Double?
    /// WGS-84 longitude in degrees, if the app sent one.
    public var longitude: Double?

    public init(address: String, latitude: Double? = nil, longitude: Double? = nil) {
      self.address = address
      self.latitude = latitude
      self.longitude = longitude
    }
  }

  /// The handling result (the reply letter and evidence) submitted by the main handler.
  public struct Result: Hashable, Codable, Sendable {
    /// The reply text (usually from ``ReplyLetter``).
    public var content: String
    /// Evidence photos and documents.
    public var attachments: [AttachmentRef]
    /// The officer who submitted it.
    public var submittedBy: UserID
    /// When.
    public var submittedAt: Timestamp
    /// The output document, if the officer recorded one.
    public var outputProduct: OutputProduct?
    /// Set when the unit's result says the problem cannot be solved: why (the leader's
    /// approval carries it, and publishing it ends the case as
    /// ``CaseOutcome/cannotBeResolved``). nil for a result that solves it.
    public var cannotBeResolvedReason: String?

    public init(
      content: String, attachments: [AttachmentRef], submittedBy: UserID,
      submittedAt: Timestamp, outputProduct: OutputProduct? = nil,
      cannotBeResolvedReason: String? = nil
    ) {
      self.cannotBeResolvedReason = cannotBeResolvedReason
      self.content = content
      self.attachments = attachments
      self.submittedBy = submittedBy
      self.submittedAt = submittedAt
      self.outputProduct = outputProduct
    }
  }

  /// A note added by a coordinator while the case is in progress.
  public struct Note: Hashable, Codable, Sendable {
    /// Who wrote it.
    public var author: UserID
    /// The text.
    public var content: String
    /// Files attached.
    public var attachments: [AttachmentRef]
    /// When.
    public var at: Timestamp

    public init(author: UserID, content: String, attachments: [AttachmentRef], at: Timestamp) {
      self.author = author
      self.content = content
      self.attachments = attachments
      self.at = at
    }
  }

  /// A transfer for monitoring (Chuyển theo dõi) and its acknowledgements.
  public struct Monitoring: Hashable, Codable, Sendable {
    /// Everyone the transfer was sent to (explicit recipients and group members, deduplicated).
    public var recipients: [UserID]
    /// The transfer group used, if any.
    public var groupID: TransferGroupID?
    /// Who has acknowledged, in order, with when.
    public var acknowledgements: [Acknowledgement]
    /// The leader who transferred it.
    public var transferredBy: UserID
    /// When.
    public var transferredAt: Timestamp

    /// One recipient's acknowledgement.
    public struct Acknowledgement: Hashable, Codable, Sendable {
      /// The recipient.
      public var userID: UserID
      /// When they acknowledged.
      public var at: Timestamp

      public init(userID: UserID, at: Timestamp) {
        self.userID = userID
        self.at = at
      }
    }

    public init(
      recipients: [UserID], groupID: TransferGroupID?, acknowledgements: [Acknowledgement] = [],
      transferredBy: UserID, transferredAt: Timestamp
    ) {
      self.recipients = recipients
      self.groupID = groupID
      self.acknowledgements = acknowledgements
      self.transferredBy = transferredBy
      self.transferredAt = transferredAt
    }

    /// Recipients who have not acknowledged yet, in recipient order.
    public var pendingRecipients: [UserID] {
      let done = Set(acknowledgements.map(\.userID))
      return recipients.filter { !done.contains($0) }
    }
  }

  /// Thông tin bước trước: the last step taken, as shown on the processing tab.
  public struct StepSummary: Hashable, Codable, Sendable {
    /// Who acted.
    public var actor: UserID
    /// The unit they acted for.
    public var actorUnit: UnitID?
    /// What they did.
    public var action: ActionKind
    /// When.
    public var at: Timestamp
    /// What they wrote.
    public var content: String

    public init(actor: UserID, actorUnit: UnitID?, action: ActionKind, at: Timestamp, content: String) {
      self.actor = actor
      self.actorUnit = actorUnit
      self.action = action
      self.at = at
      self.content = content
    }
  }

  // MARK: Storage

  /// The stored fields, in one heap box shared by copies until one is changed (copy on
  /// write): a `Case` is copied often on the read paths (caches, redaction, rendering) and
  /// its thirty-odd fields made every copy dozens of reference-count operations
  /// (docs/PERFORMANCE.md, seventh session). The encoded form is `Fields`' own, so stored
  /// bodies are byte for byte what they were.
  @usableFromInline
  struct Fields: Hashable, Codable, Sendable {
    @usableFromInline var id: CaseID
    @usableFromInline var reportCode: ReportCode
    @usableFromInline var version: Int64
    @usableFromInline var state: CaseState
    @usableFromInline var holder: Holder
    @usableFromInline var iocUnitID: UnitID
    @usableFromInline var currentUnitID: UnitID
    @usableFromInline var unitsPassedThrough: [UnitID]
    @usableFromInline var reporter: Reporter
    @usableFromInline var submittedBy: UserID
    @usableFromInline var categoryID: CategoryID
    @usableFromInline var title: String
    @usableFromInline var description: String
    @usableFromInline var location: Location
    @usableFromInline var isPublic: Bool
    @usableFromInline var reportAttachments: [AttachmentRef]
    @usableFromInline var linkedCaseID: CaseID?
    @usableFromInline var reportedAt: Timestamp
    @usableFromInline var receivedAt: Timestamp
    @usableFromInline var updatedAt: Timestamp
    @usableFromInline var stepReceivedAt: Timestamp
    @usableFromInline var stepDue: Timestamp?
    @usableFromInline var tasks: [UnitTask]
    @usableFromInline var assignment: Assignment?
    @usableFromInline var contributions: [Note]
    @usableFromInline var result: Result?
    @usableFromInline var monitoring: Monitoring?
    @usableFromInline var previousStep: StepSummary?
    @usableFromInline var rejection: Rejection?
    @usableFromInline var publication: Publication?
    @usableFromInline var platformReference: String?
  }

  /// The box holding ``Fields``.
  // @unchecked Sendable: `fields` is changed only through a uniquely referenced box
  // (`makeUnique`), as copy on write requires; a shared box is never mutated.
  @usableFromInline
  final class Storage: @unchecked Sendable {
    @usableFromInline var fields: Fields
    @usableFromInline init(_ fields: Fields) { self.fields = fields }
  }

  @usableFromInline var storage: Storage

  /// Gives this value a box of its own before a change.
  @inlinable mutating func makeUnique() {
    if !isKnownUniquelyReferenced(&storage) { storage = Storage(storage.fields) }
  }

  /// Stable identifier (chosen by the store at creation).
  public var id: CaseID {
    @inlinable get { storage.fields.id }
    @inlinable _modify {
      makeUnique()
      yield &storage.fields.id
    }
  }
  /// Mã phản ánh, e.g. `060326001`.
  public var reportCode: ReportCode {
    @inlinable get { storage.fields.reportCode }
    @inlinable _modify {
      makeUnique()
      yield &storage.fields.reportCode
    }
  }
  /// Optimistic-concurrency version: 1 at creation, +1 per accepted action.
  public var version: Int64 {
    @inlinable get { storage.fields.version }
    @inlinable _modify {
      makeUnique()
      yield &storage.fields.version
    }
  }
  /// Where the case is in the process.
  public var state: CaseState {
    @inlinable get { storage.fields.state }
    @inlinable _modify {
      makeUnique()
      yield &storage.fields.state
    }
  }
  /// Who holds it now.
  public var holder: Holder {
    @inlinable get { storage.fields.holder }
    @inlinable _modify {
      makeUnique()
      yield &storage.fields.holder
    }
  }
  /// The IOC centre that received it (and receives results back).
  public var iocUnitID: UnitID {
    @inlinable get { storage.fields.iocUnitID }
    @inlinable _modify {
      makeUnique()
      yield &storage.fields.iocUnitID
    }
  }
  /// The unit whose inbox it is in now: the IOC or a handling unit.
  public var currentUnitID: UnitID {
    @inlinable get { storage.fields.currentUnitID }
    @inlinable _modify {
      makeUnique()
      yield &storage.fields.currentUnitID
    }
  }
  /// Every handling unit the case has been dispatched to, in first-dispatch order,
  /// without duplicates (unit staff keep seeing cases that passed through their unit).
  public var unitsPassedThrough: [UnitID] {
    @inlinable get { storage.fields.unitsPassedThrough }
    @inlinable _modify {
      makeUnique()
      yield &storage.fields.unitsPassedThrough
    }
  }
  /// The reporter (IOC-only information).
  public var reporter: Reporter {
    @inlinable get { storage.fields.reporter }
    @inlinable _modify {
      makeUnique()
      yield &storage.fields.reporter
    }
  }
  /// The account that submitted it (the platform's service account, or the citizen).
  public var submittedBy: UserID {
    @inlinable get { storage.fields.submittedBy }
    @inlinable _modify {
      makeUnique()
      yield &storage.fields.submittedBy
    }
  }
  /// Chuyên mục.
  public var categoryID: CategoryID {
    @inlinable get { storage.fields.categoryID }
    @inlinable _modify {
      makeUnique()
      yield &storage.fields.categoryID
    }
  }
  /// Tiêu đề.
  public var title: String {
    @inlinable get { storage.fields.title }
    @inlinable _modify {
      makeUnique()
      yield &storage.fields.title
    }
  }
  /// Nội dung: the citizen's description.
  public var description: String {
    @inlinable get { storage.fields.description }
    @inlinable _modify {
      makeUnique()
      yield &storage.fields.description
    }
  }
  /// Địa chỉ sự kiện.
  public var location: Location {
    @inlinable get { storage.fields.location }
    @inlinable _modify {
      makeUnique()
      yield &storage.fields.location
    }
  }
  /// Công khai: whether the case and its result may be shown publicly. A leader's
  /// "do not publish" on the assignment also prevents public publication.
  public var isPublic: Bool {
    @inlinable get { storage.fields.isPublic }
    @inlinable _modify {
      makeUnique()
      yield &storage.fields.isPublic
    }
  }
  /// Evidence the citizen sent with the report.
  public var reportAttachments: [AttachmentRef] {
    @inlinable get { storage.fields.reportAttachments }
    @inlinable _modify {
      makeUnique()
      yield &storage.fields.reportAttachments
    }
  }
  /// A previous case this one re-reports, if any.
  public var linkedCaseID: CaseID? {
    @inlinable get { storage.fields.linkedCaseID }
    @inlinable _modify {
      makeUnique()
      yield &storage.fields.linkedCaseID
    }
  }
  /// Ngày phản ánh: when the citizen reported it (as the platform says).
  public var reportedAt: Timestamp {
    @inlinable get { storage.fields.reportedAt }
    @inlinable _modify {
      makeUnique()
      yield &storage.fields.reportedAt
    }
  }
  /// When this service received it (the first journal entry's time).
  public var receivedAt: Timestamp {
    @inlinable get { storage.fields.receivedAt }
    @inlinable _modify {
      makeUnique()
      yield &storage.fields.receivedAt
    }
  }
  /// When the case last changed.
  public var updatedAt: Timestamp {
    @inlinable get { storage.fields.updatedAt }
    @inlinable _modify {
      makeUnique()
      yield &storage.fields.updatedAt
    }
  }
  /// When the current holder received it.
  public var stepReceivedAt: Timestamp {
    @inlinable get { storage.fields.stepReceivedAt }
    @inlinable _modify {
      makeUnique()
      yield &storage.fields.stepReceivedAt
    }
  }
  /// Đến ngày of the current step, if it has one.
  public var stepDue: Timestamp? {
    @inlinable get { storage.fields.stepDue }
    @inlinable _modify {
      makeUnique()
      yield &storage.fields.stepDue
    }
  }
  /// One task per dispatch, oldest first; the last one is the current unit's while at a unit.
  public var tasks: [UnitTask] {
    @inlinable get { storage.fields.tasks }
    @inlinable _modify {
      makeUnique()
      yield &storage.fields.tasks
    }
  }
  /// The current assignment while the case is being handled at a unit.
  public var assignment: Assignment? {
    @inlinable get { storage.fields.assignment }
    @inlinable _modify {
      makeUnique()
      yield &storage.fields.assignment
    }
  }
  /// Coordinators' contributions at the current unit, oldest first.
  public var contributions: [Note] {
    @inlinable get { storage.fields.contributions }
    @inlinable _modify {
      makeUnique()
      yield &storage.fields.contributions
    }
  }
  /// The latest submitted result.
  public var result: Result? {
    @inlinable get { storage.fields.result }
    @inlinable _modify {
      makeUnique()
      yield &storage.fields.result
    }
  }
  /// The monitoring transfer, while or after monitoring.
  public var monitoring: Monitoring? {
    @inlinable get { storage.fields.monitoring }
    @inlinable _modify {
      makeUnique()
      yield &storage.fields.monitoring
    }
  }
  /// The step before the current one.
  public var previousStep: StepSummary? {
    @inlinable get { storage.fields.previousStep }
    @inlinable _modify {
      makeUnique()
      yield &storage.fields.previousStep
    }
  }
  /// Why the IOC rejected it, when closed by rejection.
  public var rejection: Rejection? {
    @inlinable get { storage.fields.rejection }
    @inlinable _modify {
      makeUnique()
      yield &storage.fields.rejection
    }
  }
  /// When the result was published and how, once published.
  public var publication: Publication? {
    @inlinable get { storage.fields.publication }
    @inlinable _modify {
      makeUnique()
      yield &storage.fields.publication
    }
  }
  /// The platform's own reference for the report, if it gave one.
  public var platformReference: String? {
    @inlinable get { storage.fields.platformReference }
    @inlinable _modify {
      makeUnique()
      yield &storage.fields.platformReference
    }
  }

  /// Why the IOC rejected a report.
  public struct Rejection: Hashable, Codable, Sendable {
    /// The ground.
    public var reason: RejectionReason
    /// When.
    public var at: Timestamp
    /// For a duplicate: the case it duplicates (nil when not recorded).
    public var duplicateOf: CaseID?
    /// For out of scope: the outside agency the report was routed to (nil in rejections
    /// recorded before it was required).
    public var routedTo: String?

    public init(
      reason: RejectionReason, at: Timestamp, duplicateOf: CaseID? = nil, routedTo: String? = nil
    ) {
      self.routedTo = routedTo
      self.reason = reason
      self.at = at
      self.duplicateOf = duplicateOf
    }
  }

  /// How the result was published.
  public struct Publication: Hashable, Codable, Sendable {
    /// True: in public listings; false: only to the reporter.
    public var publicly: Bool
    /// When.
    public var at: Timestamp
    /// The text the citizen is shown (see ``JournalEvent/published(publicly:text:)``); nil
    /// for publications recorded before it was.
    public var text: String?

    public init(publicly: Bool, at: Timestamp, text: String? = nil) {
      self.publicly = publicly
      self.at = at
      self.text = text
    }
  }

  public init(
    id: CaseID, reportCode: ReportCode, version: Int64, state: CaseState, holder: Holder,
    iocUnitID: UnitID, currentUnitID: UnitID, unitsPassedThrough: [UnitID] = [],
    reporter: Reporter, submittedBy: UserID, categoryID: CategoryID, title: String,
    description: String, location: Location, isPublic: Bool,
    reportAttachments: [AttachmentRef] = [], linkedCaseID: CaseID? = nil,
    reportedAt: Timestamp, receivedAt: Timestamp, updatedAt: Timestamp,
    stepReceivedAt: Timestamp, stepDue: Timestamp? = nil, tasks: [UnitTask] = [],
    assignment: Assignment? = nil, contributions: [Note] = [],
    result: Result? = nil, monitoring: Monitoring? = nil, previousStep: StepSummary? = nil,
    rejection: Rejection? = nil, publication: Publication? = nil, platformReference: String? = nil
  ) {
    self.storage = Storage(
      Fields(
        id: id,
        reportCode: reportCode,
        version: version,
        state: state,
        holder: holder,
        iocUnitID: iocUnitID,
        currentUnitID: currentUnitID,
        unitsPassedThrough: unitsPassedThrough,
        reporter: reporter,
        submittedBy: submittedBy,
        categoryID: categoryID,
        title: title,
        description: description,
        location: location,
        isPublic: isPublic,
        reportAttachments: reportAttachments,
        linkedCaseID: linkedCaseID,
        reportedAt: reportedAt,
        receivedAt: receivedAt,
        updatedAt: updatedAt,
        stepReceivedAt: stepReceivedAt,
        stepDue: stepDue,
        tasks: tasks,
        assignment: assignment,
        contributions: contributions,
        result: result,
        monitoring: monitoring,
        previousStep: previousStep,
        rejection: rejection,
        publication: publication,
        platformReference: platformReference))
  }

  public init(from decoder: any Decoder) throws {
    self.storage = Storage(try Fields(from: decoder))
  }

  public func encode(to encoder: any Encoder) throws {
    try storage.fields.encode(to: encoder)
  }

  @inlinable public static func == (lhs: Case, rhs: Case) -> Bool {
    lhs.storage === rhs.storage || lhs.storage.fields == rhs.storage.fields
  }

  public func hash(into hasher: inout Hasher) {
    storage.fields.hash(into: &hasher)
  }

  /// The open task at the current unit, if the case is at a handling unit.
  public var currentTask: UnitTask? {
    guard let last = tasks.last, last.unitID == currentUnitID, last.completedAt == nil else {
      return nil
    }
    return last
  }
}
