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

    public init(
      content: String, attachments: [AttachmentRef], submittedBy: UserID,
      submittedAt: Timestamp, outputProduct: OutputProduct? = nil
    ) {
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

  /// Stable identifier (chosen by the store at creation).
  public var id: CaseID
  /// Mã phản ánh, e.g. `060326001`.
  public var reportCode: ReportCode
  /// Optimistic-concurrency version: 1 at creation, +1 per accepted action.
  public var version: Int64
  /// Where the case is in the process.
  public var state: CaseState
  /// Who holds it now.
  public var holder: Holder
  /// The IOC centre that received it (and receives results back).
  public var iocUnitID: UnitID
  /// The unit whose inbox it is in now: the IOC or a handling unit.
  public var currentUnitID: UnitID
  /// Every handling unit the case has been dispatched to, in first-dispatch order,
  /// without duplicates (unit staff keep seeing cases that passed through their unit).
  public var unitsPassedThrough: [UnitID]
  /// The reporter (IOC-only information).
  public var reporter: Reporter
  /// The account that submitted it (the platform's service account, or the citizen).
  public var submittedBy: UserID
  /// Chuyên mục.
  public var categoryID: CategoryID
  /// Tiêu đề.
  public var title: String
  /// Nội dung: the citizen's description.
  public var description: String
  /// Địa chỉ sự kiện.
  public var location: Location
  /// Công khai: whether the case and its result may be shown publicly. A leader's
  /// "do not publish" on the assignment also prevents public publication.
  public var isPublic: Bool
  /// Evidence the citizen sent with the report.
  public var reportAttachments: [AttachmentRef]
  /// A previous case this one re-reports, if any.
  public var linkedCaseID: CaseID?
  /// Ngày phản ánh: when the citizen reported it (as the platform says).
  public var reportedAt: Timestamp
  /// When this service received it (the first journal entry's time).
  public var receivedAt: Timestamp
  /// When the case last changed.
  public var updatedAt: Timestamp
  /// When the current holder received it.
  public var stepReceivedAt: Timestamp
  /// Đến ngày of the current step, if it has one.
  public var stepDue: Timestamp?
  /// One task per dispatch, oldest first; the last one is the current unit's while at a unit.
  public var tasks: [UnitTask]
  /// The current assignment while the case is being handled at a unit.
  public var assignment: Assignment?
  /// Coordinators' contributions at the current unit, oldest first.
  public var contributions: [Note]
  /// The latest submitted result.
  public var result: Result?
  /// The monitoring transfer, while or after monitoring.
  public var monitoring: Monitoring?
  /// The step before the current one.
  public var previousStep: StepSummary?
  /// Why the IOC rejected it, when closed by rejection.
  public var rejection: Rejection?
  /// When the result was published and how, once published.
  public var publication: Publication?
  /// The platform's own reference for the report, if it gave one.
  public var platformReference: String?

  /// Why the IOC rejected a report.
  public struct Rejection: Hashable, Codable, Sendable {
    /// The ground.
    public var reason: RejectionReason
    /// When.
    public var at: Timestamp
    /// For a duplicate: the case it duplicates (nil when not recorded).
    public var duplicateOf: CaseID?

    public init(reason: RejectionReason, at: Timestamp, duplicateOf: CaseID? = nil) {
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
    self.platformReference = platformReference
    self.id = id
    self.reportCode = reportCode
    self.version = version
    self.state = state
    self.holder = holder
    self.iocUnitID = iocUnitID
    self.currentUnitID = currentUnitID
    self.unitsPassedThrough = unitsPassedThrough
    self.reporter = reporter
    self.submittedBy = submittedBy
    self.categoryID = categoryID
    self.title = title
    self.description = description
    self.location = location
    self.isPublic = isPublic
    self.reportAttachments = reportAttachments
    self.linkedCaseID = linkedCaseID
    self.reportedAt = reportedAt
    self.receivedAt = receivedAt
    self.updatedAt = updatedAt
    self.stepReceivedAt = stepReceivedAt
    self.stepDue = stepDue
    self.tasks = tasks
    self.assignment = assignment
    self.contributions = contributions
    self.result = result
    self.monitoring = monitoring
    self.previousStep = previousStep
    self.rejection = rejection
    self.publication = publication
  }

  /// The open task at the current unit, if the case is at a handling unit.
  public var currentTask: UnitTask? {
    guard let last = tasks.last, last.unitID == currentUnitID, last.completedAt == nil else {
      return nil
    }
    return last
  }
}
