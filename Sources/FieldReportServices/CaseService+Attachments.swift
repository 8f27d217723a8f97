import FieldReportAPI
import FieldReportStore
import FieldReportWorkflow
public import RPCCore
public import WireBridge

extension CaseService {
  /// Media types UploadAttachment accepts.
  static let allowedMediaTypes: Set<String> = [
    "image/jpeg", "image/png", "image/heic", "image/webp", "application/pdf", "video/mp4",
  ]

  public func uploadAttachment(
    _ request: Fieldreport_V1_UploadAttachmentRequest, context: ServerContext
  ) async throws -> Fieldreport_V1_UploadAttachmentResponse {
    let principal = try context.principal()
    let name = request.fileName
    guard (1...255).contains(name.utf8.count) else {
      throw invalidArgument("file_name", "1 to 255 bytes")
    }
    guard !name.contains("/"), !name.contains("\\"), name != ".", name != "..",
      !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
    else { throw invalidArgument("file_name", "must be a plain file name without path separators") }
    guard Self.allowedMediaTypes.contains(request.mediaType) else {
      throw invalidArgument(
        "media_type", "allowed: \(Self.allowedMediaTypes.sorted().joined(separator: ", "))")
    }
    guard !request.data.isEmpty else { throw invalidArgument("data", "is empty") }
    let limit = env.limits.maximumAttachmentBytes
    guard request.data.count <= limit else {
      throw RPCError(
        code: .resourceExhausted,
        message: "The attachment is \(request.data.count) bytes; the limit is \(limit) bytes.")
    }
    // Hashed once, and a large upload away from this event loop (``AttachmentContent``).
    let content = await AttachmentContent.hashing(request.data)
    if !request.expectedSha256.isEmpty, request.expectedSha256 != content.sha256 {
      throw invalidArgument("expected_sha256", "does not match the data")
    }
    let now = env.now()
    let upload = try await env.store.putAttachment(
      content, name: name, mimeType: request.mediaType, uploadedBy: principal.id, at: now)
    let renderer = CaseRenderer(
      viewer: principal.actor, now: now, policy: env.policy, units: [:],
      users: [principal.id: principal.user], categories: [:], groups: [:])
    var wire = renderer.attachment(upload.ref, at: upload.uploadedAt)
    wire.uploadedBy = renderer.userRef(principal.id)
    var response = Fieldreport_V1_UploadAttachmentResponse()
    response.attachment = wire
    return response
  }

  public func getAttachment(
    _ request: Fieldreport_V1_GetAttachmentRequest, context: ServerContext
  ) async throws -> Fieldreport_V1_GetAttachmentResponse {
    let principal = try context.principal()
    let id = request.attachmentId.lowercased()
    guard id.utf8.count == 64, HexBytes.decode(id) != nil else {
      throw invalidArgument("attachment_id", "is not an attachment id")
    }
    guard let stored = try await env.store.findAttachment(sha256Hex: id),
      let visible = try await visibleReference(id, stored: stored, principal: principal)
    else { throw notFound("attachment \(id)") }
    var users: [UserID: User] = [:]
    if let uploader = visible.uploader, let account = try await env.store.findUser(id: uploader) {
      users[uploader] = account.user
    }
    let renderer = CaseRenderer(
      viewer: principal.actor, now: env.now(), policy: env.policy, units: [:], users: users,
      categories: [:], groups: [:])
    var response = Fieldreport_V1_GetAttachmentResponse()
    var wire = renderer.attachment(visible.ref, at: visible.uploadedAt)
    if let uploader = visible.uploader { wire.uploadedBy = renderer.userRef(uploader) }
    response.attachment = wire
    if !request.metadataOnly { response.data = stored.content }
    return response
  }

  /// What the caller may learn of an attachment they may download, else nil.
  struct VisibleAttachment {
    /// The reference with the name the caller knows it by.
    var ref: AttachmentRef
    /// The upload time, when it is the caller's own upload or the caller is IOC staff.
    var uploadedAt: Timestamp?
    /// The uploader, on the same terms.
    var uploader: UserID?
  }

  /// The attachment as the caller may see it, or nil when they may not download it: its
  /// uploader (their own upload record, durable across restarts); IOC operators and system
  /// admins; anyone who may see a case it is attached to (searched among the caller's own,
  /// participating and units' cases, newest first).
  private func visibleReference(
    _ id: String, stored: StoredAttachment, principal: Principal
  ) async throws -> VisibleAttachment? {
    let uploads = try await env.store.attachmentUploads(sha256Hex: id)
    if let mine = uploads.first(where: { $0.uploader == principal.id }) {
      return VisibleAttachment(ref: mine.ref, uploadedAt: mine.uploadedAt, uploader: mine.uploader)
    }
    if principal.isSystemAdmin || principal.hasAnywhere(.iocOperator) {
      let latest = uploads.first
      var ref = latest?.ref ?? stored.ref
      if let onCase = try await nameOnCases(id, principal: principal, limit: 50) {
        ref.name = onCase
      } else if latest == nil {
        ref.name = AttachmentNaming.fallbackName(sha256Hex: id, mediaType: stored.ref.mimeType)
      }
      return VisibleAttachment(ref: ref, uploadedAt: latest?.uploadedAt, uploader: latest?.uploader)
    }
    guard let name = try await nameOnCases(id, principal: principal, limit: 200) else { return nil }
    var ref = stored.ref
    ref.name = name
    return VisibleAttachment(ref: ref, uploadedAt: nil, uploader: nil)
  }

  /// The name `id` carries on a case the caller may see, searching their cases.
  private func nameOnCases(_ id: String, principal: Principal, limit: Int) async throws -> String? {
    var queries = [
      CaseQuery(submittedBy: principal.id, limit: limit),
      CaseQuery(participant: principal.id, limit: limit),
      CaseQuery(heldBy: principal.id, limit: limit),
    ]
    for unit in Set(principal.grants.map(\.unitID)) {
      queries.append(CaseQuery(involvingUnit: unit, limit: limit))
    }
    var checked: Set<CaseID> = []
    for query in queries {
      for c in try await env.store.listCases(query).cases where checked.insert(c.id).inserted {
        guard CaseVisibility.canSee(c, viewer: principal.actor) else { continue }
        let visible = c.redacted(for: principal.actor)
        var refs = visible.reportAttachments + (visible.result?.attachments ?? [])
        refs += visible.contributions.flatMap(\.attachments)
        if let ref = refs.first(where: { $0.sha256Hex == id }) { return ref.name }
        for stored in try await env.store.journal(caseID: c.id)
        where CaseVisibility.canSee(stored.entry, of: c, viewer: principal.actor) {
          if let ref = stored.entry.attachments.first(where: { $0.sha256Hex == id }) {
            return ref.name
          }
        }
      }
    }
    return nil
  }

  // MARK: Statistics

  public func getUnitStatistics(
    _ request: Fieldreport_V1_GetUnitStatisticsRequest, context: ServerContext
  ) async throws -> Fieldreport_V1_GetUnitStatisticsResponse {
    let principal = try context.principal()
    let start = request.periodStartMs
    let end = request.periodEndMs
    try checkStatisticsPeriod(start: start, end: end)
    let units = try await env.store.units()
    let chosen = try statisticsUnits(request.unitIds, principal: principal, units: units)
    let now = env.now()
    let byCategory: Bool
    switch request.grouping {
    case .unspecified, .unit: byCategory = false
    case .unitCategory: byCategory = true
    default: throw invalidArgument("grouping", "unknown value")
    }
    let counts = try await env.store.unitStatistics(
      unitID: nil, byCategory: byCategory, from: Timestamp(millisecondsSince1970: start),
      to: Timestamp(millisecondsSince1970: end), now: now)
    let byUnit = Dictionary(grouping: counts, by: \.unitID)
    let categories = try await env.store.categoriesByID()
    let unitsByID = units.keyedByFirst(\.id)
    func descendants(of id: UnitID) -> [UnitID] {
      let children = units.filter { $0.parentID == id }.map(\.id)
      return children + children.flatMap(descendants)
    }
    // Each row's store counts merged (a unit and, when asked, its child units), then derived
    // by FairStatistics and ranked among the rows (of the same category).
    var merged: [(unit: UnitID, category: CategoryID?, counts: FairStatistics.Counts, pending: Int, overdue: Int)] = []
    for id in chosen {
      let members = [id] + (request.includeChildren ? descendants(of: id) : [])
      var grouped: [CategoryID?: (FairStatistics.Counts, Int, Int)] = [:]
      if !byCategory { grouped[nil] = (FairStatistics.Counts(), 0, 0) }
      for member in members {
        for stats in byUnit[member] ?? [] {
          let (counts, pending, overdue) = grouped[stats.categoryID] ?? (FairStatistics.Counts(), 0, 0)
          grouped[stats.categoryID] = (
            counts.merged(with: stats.fairCounts), pending + stats.pending - stats.pendingOverdue,
            overdue + stats.pendingOverdue
          )
        }
      }
      for (category, (counts, pending, overdue)) in grouped {
        merged.append((id, category, counts, pending, overdue))
      }
    }
    let derived = merged.map { FairStatistics.Derived($0.counts) }
    var ranks = [Int](repeating: 0, count: merged.count)
    for indices in Dictionary(grouping: merged.indices, by: { merged[$0].category }).values {
      for (index, rank) in zip(indices, FairStatistics.ranks(indices.map { derived[$0].ranking })) {
        ranks[index] = rank
      }
    }
    var rows: [Fieldreport_V1_UnitStatistics] = []
    for (index, item) in merged.enumerated() {
      var row = Fieldreport_V1_UnitStatistics()
      row.unit = unitsByID[item.unit].map(Fieldreport_V1_UnitRef.init) ?? Fieldreport_V1_UnitRef()
      if let category = item.category {
        row.category = categories[category].map(Fieldreport_V1_Category.init) ?? {
          var unknown = Fieldreport_V1_Category()
          unknown.categoryId = category.rawValue
          return unknown
        }()
      }
      let counts = item.counts
      let figures = derived[index]
      row.earlyCount = Int64(counts.early)
      row.onTimeCount = Int64(counts.onTime)
      row.lateCount = Int64(counts.late)
      row.unclassifiedCount = Int64(counts.completed - counts.early - counts.onTime - counts.late)
      row.returnedToIocCount = Int64(counts.returned)
      row.pendingCount = Int64(item.pending)
      row.overdueCount = Int64(item.overdue)
      row.volume = Int64(counts.volume)
      row.completedCount = Int64(counts.completed)
      row.onTime = Fieldreport_V1_RateInterval(figures.onTime)
      row.medianHandlingMs = figures.medianHandlingMilliseconds
      row.p90HandlingMs = figures.p90HandlingMilliseconds
      row.handledCount = Int64(counts.handlingMilliseconds.count)
      row.returnShare = figures.returnShare
      row.returnsConfirmedCount = Int64(counts.returnedConfirmed)
      row.ranking = Fieldreport_V1_RateInterval(figures.ranking)
      row.rank = Int32(ranks[index])
      row.resolvedOutcomeCount = Int64(counts.outcomes[.resolved, default: 0])
      row.routedOnwardCount = Int64(counts.outcomes[.routedOnward, default: 0])
      row.cannotBeResolvedCount = Int64(counts.outcomes[.cannotBeResolved, default: 0])
      row.duplicateCount = Int64(counts.outcomes[.duplicate, default: 0])
      row.notValidCount = Int64(counts.outcomes[.notValid, default: 0])
      row.monitoredCount = Int64(counts.outcomes[.monitored, default: 0])
      row.verdictCount = Int64(counts.verdicts)
      row.meanRating = figures.meanRating
      row.reopen = Fieldreport_V1_RateInterval(figures.reopen)
      rows.append(row)
    }
    func sortKey(_ row: Fieldreport_V1_UnitStatistics) -> [String] {
      [row.unit?.unitName ?? "", row.unit?.unitId ?? "", row.category?.categoryName ?? "", row.category?.categoryId ?? ""]
    }
    rows.sort { sortKey($0).lexicographicallyPrecedes(sortKey($1)) }
    var response = Fieldreport_V1_GetUnitStatisticsResponse()
    response.rows = rows
    response.periodStartMs = start
    response.periodEndMs = end
    response.computedAtMs = now.millisecondsSince1970
    return response
  }
}

extension CaseService {
  /// The units a statistics request covers: those named (each must exist and be the caller's,
  /// unless the caller is an IOC operator or system admin), or when none are named, every
  /// handling unit the caller may see statistics for.
  /// - Throws: INVALID_ARGUMENT (`unit_ids[i]` unknown), PERMISSION_DENIED (a unit not the caller's).
  func statisticsUnits(_ requested: [String], principal: Principal, units: [FieldReportWorkflow.Unit]) throws -> [UnitID] {
    let everything = principal.isSystemAdmin || principal.hasAnywhere(.iocOperator)
    let mine = Set(
      principal.grants.filter { $0.role == .leader || $0.role == .unitAdmin }.map(\.unitID))
    guard !requested.isEmpty else {
      return units.filter { $0.isHandlingUnit && (everything || mine.contains($0.id)) }.map(\.id)
    }
    guard requested.count <= units.count else {
      throw invalidArgument("unit_ids", "names \(requested.count) units; there are \(units.count)")
    }
    var chosen: [UnitID] = []
    for (index, raw) in requested.enumerated() {
      let id = UnitID(raw)
      guard !chosen.contains(id) else { throw invalidArgument("unit_ids[\(index)]", "\(raw) is named twice") }
      guard units.contains(where: { $0.id == id }) else {
        throw invalidArgument("unit_ids[\(index)]", "no such unit")
      }
      guard everything || mine.contains(id) else {
        throw RPCError(code: .permissionDenied, message: "You may not see statistics of unit \(raw).")
      }
      chosen.append(id)
    }
    return chosen
  }

  /// The one rule for a statistics or volume period (GetUnitStatistics, GetCaseVolume): both
  /// ends Unix milliseconds from 1970 to the end of 9999 (so that no arithmetic on them can
  /// overflow), the end after the start, at most 366 days.
  func checkStatisticsPeriod(start: Int64, end: Int64) throws {
    let latest: Int64 = 253_402_300_799_999  // 9999-12-31T23:59:59.999Z
    guard (0...latest).contains(start) else {
      throw invalidArgument("period_start_ms", "must be a time from 1970 to 9999 (Unix milliseconds)")
    }
    guard (0...latest).contains(end) else {
      throw invalidArgument("period_end_ms", "must be a time from 1970 to 9999 (Unix milliseconds)")
    }
    guard end > start else { throw invalidArgument("period_end_ms", "must be after period_start_ms") }
    guard end - start <= 366 * Timestamp.millisecondsPerDay else {
      throw invalidArgument("period_end_ms", "the period is longer than 366 days")
    }
  }

  /// Whether the caller sees every case's statistics (IOC operators and system admins).
  func seesAllStatistics(_ principal: Principal) -> Bool {
    principal.isSystemAdmin || principal.hasAnywhere(.iocOperator)
  }
}

extension Fieldreport_V1_RateInterval {
  /// The wire form of a rate and its Wilson interval.
  init(_ rate: FairStatistics.Rate) {
    self.init()
    successes = Int64(rate.successes)
    trials = Int64(rate.trials)
    self.rate = rate.value
    lower = rate.lower
    upper = rate.upper
  }
}
