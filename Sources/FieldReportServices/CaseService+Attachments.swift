import Crypto
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
    let digest = Array(SHA256.hash(data: request.data))
    if !request.expectedSha256.isEmpty, request.expectedSha256 != digest {
      throw invalidArgument("expected_sha256", "does not match the data")
    }
    let now = env.now()
    let upload = try await env.store.putAttachment(
      request.data, name: name, mimeType: request.mediaType, uploadedBy: principal.id, at: now)
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
    guard end > start else { throw invalidArgument("period_end_ms", "must be after period_start_ms") }
    guard end - start <= 366 * Timestamp.millisecondsPerDay else {
      throw invalidArgument("period_end_ms", "the period is longer than 366 days")
    }
    let units = try await env.store.units()
    let everything = principal.isSystemAdmin || principal.hasAnywhere(.iocOperator)
    let mine = Set(
      principal.grants.filter { $0.role == .leader || $0.role == .unitAdmin }.map(\.unitID))
    var chosen: [UnitID] = []
    if request.unitIds.isEmpty {
      chosen = units.filter { $0.isHandlingUnit && (everything || mine.contains($0.id)) }.map(\.id)
    } else {
      for (index, raw) in request.unitIds.enumerated() {
        let id = UnitID(raw)
        guard units.contains(where: { $0.id == id }) else {
          throw invalidArgument("unit_ids[\(index)]", "no such unit")
        }
        guard everything || mine.contains(id) else {
          throw RPCError(
            code: .permissionDenied, message: "You may not see statistics of unit \(raw).")
        }
        chosen.append(id)
      }
    }
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
    let categories = Dictionary(
      try await env.store.categories().map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    let unitsByID = Dictionary(units.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    func descendants(of id: UnitID) -> [UnitID] {
      let children = units.filter { $0.parentID == id }.map(\.id)
      return children + children.flatMap(descendants)
    }
    var rows: [Fieldreport_V1_UnitStatistics] = []
    for id in chosen {
      let members = [id] + (request.includeChildren ? descendants(of: id) : [])
      // One row per category seen (by category), or one row for the unit.
      var grouped: [CategoryID?: Fieldreport_V1_UnitStatistics] = [:]
      func blank(_ category: CategoryID?) -> Fieldreport_V1_UnitStatistics {
        var row = Fieldreport_V1_UnitStatistics()
        row.unit = unitsByID[id].map(Fieldreport_V1_UnitRef.init) ?? Fieldreport_V1_UnitRef()
        if let category {
          row.category = categories[category].map(Fieldreport_V1_Category.init) ?? {
            var unknown = Fieldreport_V1_Category()
            unknown.categoryId = category.rawValue
            return unknown
          }()
        }
        return row
      }
      if !byCategory { grouped[nil] = blank(nil) }
      for member in members {
        for stats in byUnit[member] ?? [] {
          var row = grouped[stats.categoryID] ?? blank(stats.categoryID)
          row.earlyCount += Int64(stats.early)
          row.onTimeCount += Int64(stats.onTime)
          row.lateCount += Int64(stats.late)
          row.unclassifiedCount += Int64(stats.unclassified)
          row.returnedToIocCount += Int64(stats.returnedToIoc)
          row.overdueCount += Int64(stats.pendingOverdue)
          row.pendingCount += Int64(stats.pending - stats.pendingOverdue)
          grouped[stats.categoryID] = row
        }
      }
      rows += grouped.values
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
