import FieldReportStore
import FieldReportWorkflow
import WireBridge

/// Turns stored cases, journal entries and notifications into wire messages *as one caller
/// may see them*.
///
/// It holds the reference data the messages name (units, users, categories, groups) and the
/// viewer. Every conversion applies the workflow's redaction (``FieldReportWorkflow/Case/redacted(for:)``,
/// ``FieldReportWorkflow/JournalEntry/redacted(for:of:)``) itself, so a handler cannot forget
/// it: the reporter's identity reaches the IOC, the reporter and the submitting account only.
struct CaseRenderer: Sendable {
  /// Who the messages are for.
  let viewer: Actor
  /// The decision clock (overdue flags, pending/overdue timeliness).
  var now: Timestamp
  /// Windows and margins (return window, early margin).
  let policy: WorkflowPolicy
  /// Units by id (all of them: there are few).
  var units: [UnitID: Unit]
  /// The users the rendered objects name.
  var users: [UserID: User]
  /// Categories by id (all of them).
  var categories: [CategoryID: FieldReportWorkflow.Category]
  /// Transfer groups the rendered cases used.
  var groups: [TransferGroupID: TransferGroup]
  /// Upload records of the attachments whose uploads are shown (by content hash, newest
  /// first), loaded by ``loadResultUploads(of:store:)``.
  var uploads: [String: [AttachmentUpload]] = [:]

  /// The label shown instead of a hidden reporter ("Công dân", a citizen).
  static let citizenLabel = Case.Reporter.anonymous.fullName

  /// Loads what rendering `cases` and `entries` needs.
  /// - Parameters:
  ///   - env: The service environment (store, clock, policy).
  ///   - viewer: The caller.
  ///   - cases: Cases to be rendered (their people, units and groups are loaded).
  ///   - entries: Journal entries to be rendered.
  static func load(
    env: ServiceEnvironment, viewer: Actor, cases: [Case], entries: [JournalEntry] = []
  ) async throws -> CaseRenderer {
    var renderer = try await base(env: env, viewer: viewer)
    try await renderer.prepare(cases: cases, entries: entries, store: env.store)
    return renderer
  }

  /// Loads what ``summary(_:)`` of `cases` needs: units, categories and the holders (an inbox
  /// row names no one else; the people of ``addPeople(in:to:)`` are the detail's).
  static func forSummaries(env: ServiceEnvironment, viewer: Actor, cases: [Case]) async throws -> CaseRenderer {
    var renderer = try await base(env: env, viewer: viewer)
    var people = People()
    for c in cases { people.insert(contentsOf: c.holder.userIDs) }
    try await renderer.loadUsers(people.ids, store: env.store)
    return renderer
  }

  /// Loads the named users not loaded yet, in one store lookup (the hidden reporter account is
  /// never looked up).
  mutating func loadUsers(_ ids: some Sequence<UserID>, store: any FieldReportStore) async throws {
    let wanted = ids.filter { $0 != CaseVisibility.hiddenUserID && users[$0] == nil }
    guard !wanted.isEmpty else { return }
    users.merge(try await store.users(ids: wanted)) { loaded, _ in loaded }
  }

  /// The distinct people a rendering names, in the order first named. A case names a
  /// handful: they are kept in an array and compared, and only past ``smallLimit`` in a set
  /// too (hashing each id into a set was a visible share of GetCase's profile).
  struct People {
    static let smallLimit = 16
    private(set) var ids: [UserID] = []
    private var index: Set<UserID>?

    mutating func insert(_ id: UserID) {
      if index == nil {
        guard !ids.contains(id) else { return }
        ids.append(id)
        if ids.count > Self.smallLimit { index = Set(ids) }
      } else if index!.insert(id).inserted {
        ids.append(id)
      }
    }

    mutating func insert(contentsOf ids: some Sequence<UserID>) {
      for id in ids { insert(id) }
    }

    /// An assignment's participants, each directly (`Assignment.participants` builds a set,
    /// hashing every id, on every call).
    mutating func insert(participantsOf assignment: Assignment) {
      insert(assignment.mainHandler)
      insert(contentsOf: assignment.coordinators)
      insert(contentsOf: assignment.followers)
    }
  }

  /// A renderer with every unit and category loaded, and no people yet.
  static func base(env: ServiceEnvironment, viewer: Actor) async throws -> CaseRenderer {
    let store = env.store
    var renderer = CaseRenderer(
      viewer: viewer, now: env.now(), policy: env.policy, units: [:], users: [viewer.id: viewer.user],
      categories: [:], groups: [:])
    renderer.units = try await store.unitsByID()
    renderer.categories = try await store.categoriesByID()
    return renderer
  }

  /// Loads the people and groups `cases` and `entries` name that are not loaded yet.
  mutating func prepare(cases: [Case], entries: [JournalEntry], store: any FieldReportStore) async throws {
    var people = People()
    for c in cases {
      Self.addPeople(in: c, to: &people)
      if let group = c.monitoring?.groupID, groups[group] == nil,
        let found = try await store.findTransferGroup(id: group)
      {
        groups[group] = found
        people.insert(contentsOf: found.memberIDs)
      }
    }
    for entry in entries { Self.addPeople(in: entry, to: &people) }
    try await loadUsers(people.ids, store: store)
  }

  /// Adds everyone a case names to `ids`.
  static func addPeople(in c: Case, to ids: inout People) {
    ids.insert(c.submittedBy)
    ids.insert(contentsOf: c.holder.userIDs)
    if let assignment = c.assignment {
      ids.insert(participantsOf: assignment)
      ids.insert(assignment.assignedBy)
    }
    if let result = c.result { ids.insert(result.submittedBy) }
    for contribution in c.contributions { ids.insert(contribution.author) }
    if let monitoring = c.monitoring {
      ids.insert(contentsOf: monitoring.recipients)
      ids.insert(monitoring.transferredBy)
    }
    if let step = c.previousStep { ids.insert(step.actor) }
    for task in c.tasks {
      for hold in task.holds {
        ids.insert(hold.heldBy)
        if let resumer = hold.resumedBy { ids.insert(resumer) }
      }
    }
  }

  /// Adds everyone a journal entry names to `ids` (one collection for a whole journal: a set
  /// per entry was a visible share of GetCase's profile).
  static func addPeople(in entry: JournalEntry, to ids: inout People) {
    ids.insert(entry.actor)
    ids.insert(contentsOf: entry.toHolder.userIDs)
    switch entry.event {
    case .dispatched(_, let leader?, _, _): ids.insert(leader)
    case .assigned(let a), .reassigned(let a): ids.insert(participantsOf: a)
    case .transferredForMonitoring(let recipients, _): ids.insert(contentsOf: recipients)
    case .resultSubmitted(let next?, _, _): ids.insert(next)
    case .returnedToOfficer(let officer, _): ids.insert(officer)
    case .sentBackToUnit(let handler, _): ids.insert(handler)
    default: break
    }
  }

  /// Loads the upload records of `c`'s result attachments (and their uploaders), so that
  /// ``resultAttachment(_:of:)`` can say when and by whom each was uploaded.
  mutating func loadResultUploads(of c: Case, store: any FieldReportStore) async throws {
    for ref in c.result?.attachments ?? [] where uploads[ref.sha256Hex] == nil {
      let records = try await store.attachmentUploads(sha256Hex: ref.sha256Hex)
      uploads[ref.sha256Hex] = records
      for record in records where users[record.uploader] == nil {
        if let account = try await store.findUser(id: record.uploader) { users[record.uploader] = account.user }
      }
    }
  }

  // MARK: References

  /// A reference to a unit (its name and kind when known).
  func unitRef(_ id: UnitID) -> Fieldreport_V1_UnitRef {
    if let unit = units[id] { return Fieldreport_V1_UnitRef(unit) }
    var ref = Fieldreport_V1_UnitRef()
    ref.unitId = id.rawValue
    return ref
  }

  /// A reference to a user; the hidden reporter account becomes "Công dân" with no id.
  func userRef(_ id: UserID) -> Fieldreport_V1_UserRef {
    var ref = Fieldreport_V1_UserRef()
    if id == CaseVisibility.hiddenUserID {
      ref.fullName = Self.citizenLabel
      return ref
    }
    ref.userId = id.rawValue
    ref.fullName = users[id]?.fullName ?? ""
    return ref
  }

  /// Who holds a case (Đang XL).
  func handlerRef(_ holder: Holder) -> Fieldreport_V1_HandlerRef {
    var ref = Fieldreport_V1_HandlerRef()
    switch holder {
    case .unit(let unit):
      ref.unit = unitRef(unit)
    case .person(let user, let unit):
      ref.unit = unitRef(unit)
      ref.user = userRef(user)
    case .recipients(let users, let unit):
      ref.unit = unitRef(unit)
      ref.pendingRecipients = users.map(userRef)
    case .nobody:
      break
    }
    return ref
  }

  /// A category as the wire shows it.
  func category(_ id: CategoryID) -> Fieldreport_V1_Category {
    if let known = categories[id] { return Fieldreport_V1_Category(known) }
    var wire = Fieldreport_V1_Category()
    wire.categoryId = id.rawValue
    return wire
  }

  /// An attachment of `c`'s result, with when and by whom it was uploaded, from its upload
  /// record (see ``loadResultUploads(of:store:)``): the submitting officer's upload of these
  /// bytes, else the latest upload no later than the submission, else the earliest one. Without
  /// a record, the submission time and no uploader. The uploader is left out when it is the
  /// reporter (or the account that submitted the report) and the viewer may not see the reporter.
  func resultAttachment(_ ref: AttachmentRef, of c: Case) -> Fieldreport_V1_AttachmentRef {
    guard let result = c.result else { return attachment(ref) }
    let records = uploads[ref.sha256Hex] ?? []
    let chosen =
      records.first { $0.uploader == result.submittedBy }
      ?? records.first { $0.uploadedAt <= result.submittedAt } ?? records.last
    guard let chosen else { return attachment(ref, at: result.submittedAt) }
    var wire = attachment(ref, at: chosen.uploadedAt)
    let isReporter = chosen.uploader == c.reporter.userID || chosen.uploader == c.submittedBy
    if !isReporter || CaseVisibility.canSeeReporter(c, viewer: viewer) {
      wire.uploadedBy = userRef(chosen.uploader)
    }
    return wire
  }

  /// An attachment reference; its id is the content's SHA-256 in hex (the store keeps each
  /// content once by hash).
  func attachment(_ ref: AttachmentRef, at: Timestamp? = nil) -> Fieldreport_V1_AttachmentRef {
    var wire = Fieldreport_V1_AttachmentRef()
    wire.attachmentId = ref.sha256Hex
    wire.fileName = ref.name
    wire.mediaType = ref.mimeType
    wire.sizeBytes = ref.size
    wire.sha256 = HexBytes.decode(ref.sha256Hex) ?? []
    wire.uploadedAtMs = at?.millisecondsSince1970 ?? 0
    return wire
  }
}

/// Lowercase hexadecimal ↔ bytes.
enum HexBytes {
  /// The bytes of an even-length hexadecimal string, or nil if it is not one.
  static func decode(_ hex: String) -> [UInt8]? {
    let digits = Array(hex.utf8)
    guard digits.count.isMultiple(of: 2) else { return nil }
    var bytes: [UInt8] = []
    bytes.reserveCapacity(digits.count / 2)
    var index = 0
    while index < digits.count {
      guard let high = value(digits[index]), let low = value(digits[index + 1]) else { return nil }
      bytes.append(high << 4 | low)
      index += 2
    }
    return bytes
  }

  /// Lowercase hexadecimal of `bytes`.
  static func encode(_ bytes: [UInt8]) -> String {
    let alphabet = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count * 2)
    for byte in bytes {
      out.append(alphabet[Int(byte >> 4)])
      out.append(alphabet[Int(byte & 0x0F)])
    }
    return String(decoding: out, as: UTF8.self)
  }

  private static func value(_ digit: UInt8) -> UInt8? {
    switch digit {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
    default: nil
    }
  }
}
