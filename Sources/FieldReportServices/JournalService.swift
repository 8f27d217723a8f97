public import FieldReportAPI
import FieldReportStore
import FieldReportWorkflow
import Synchronization
public import RPCCore
public import WireBridge

/// Reading what happened: a case's journal (Nhật ký) and workflow (Quy trình) tabs, the
/// journal's hash-chain check, the caller's notifications, and the live, resumable event
/// stream (``watchEvents(_:context:responses:)``).
///
/// # Thread safety
/// The only mutable state, the per-caller count of open streams, is behind a `Mutex`.
public final class JournalService: Fieldreport_V1_JournalServiceHandler {
  let env: ServiceEnvironment
  /// Open WatchEvents streams per caller.
  let openStreams = Mutex<[UserID: Int]>([:])
  /// Most streams one caller may hold open.
  let maximumStreamsPerCaller: Int
  /// The longest an idle stream waits for the store's event bell before reading the journal
  /// anyway (the fallback for a lost wake-up; see ``FieldReportStore/EventBell``).
  let pollInterval: Duration

  /// Creates the service.
  /// - Parameters:
  ///   - env: The service environment.
  ///   - maximumStreamsPerCaller: Most concurrent WatchEvents streams per caller (default 4).
  ///   - pollInterval: The longest an idle stream waits for the store's event bell before it
  ///     reads the journal anyway (default 1 s).
  public init(
    env: ServiceEnvironment, maximumStreamsPerCaller: Int = 4,
    pollInterval: Duration = .seconds(1)
  ) {
    self.env = env
    self.maximumStreamsPerCaller = maximumStreamsPerCaller
    self.pollInterval = pollInterval
  }

  /// The case with this id if the caller may see it.
  /// - Throws: INVALID_ARGUMENT for an empty id, NOT_FOUND when absent or invisible.
  func visibleCase(_ raw: String, field: String, principal: Principal) async throws -> Case {
    guard !raw.isEmpty, raw.utf8.count <= 64 else { throw invalidArgument(field, "is not a case id") }
    guard let c = try await env.store.findCase(id: CaseID(raw)),
      CaseVisibility.canSee(c, viewer: principal.actor)
    else { throw notFound("case \(raw)") }
    return c
  }

  /// The case with this id and its journal, from one snapshot, if the caller may see it: the
  /// case's view, which the store answers from memory when it holds the case's latest version
  /// (as for GetCase), instead of two reads on reader threads (the case, then its journal).
  /// - Throws: INVALID_ARGUMENT for an empty id, NOT_FOUND when absent or invisible.
  func visibleCaseAndJournal(
    _ raw: String, field: String, principal: Principal
  ) async throws -> (Case, [StoredJournalEntry]) {
    guard !raw.isEmpty, raw.utf8.count <= 64 else { throw invalidArgument(field, "is not a case id") }
    guard let view = try await env.store.caseView(.id(CaseID(raw)), draftAuthor: nil),
      CaseVisibility.canSee(view.case, viewer: principal.actor)
    else { throw notFound("case \(raw)") }
    return (view.case, view.journal)
  }

  // MARK: Journal and workflow tabs

  public func listJournal(
    _ request: Fieldreport_V1_ListJournalRequest, context: ServerContext
  ) async throws -> Fieldreport_V1_ListJournalResponse {
    let principal = try context.principal()
    guard request.pageSize >= 0 else { throw invalidArgument("page_size", "must not be negative") }
    let (c, journal) = try await visibleCaseAndJournal(request.caseId, field: "case_id", principal: principal)
    let renderer = try await CaseRenderer.load(
      env: env, viewer: principal.actor, cases: [c], entries: journal.map(\.entry))
    var visible = journal.filter { renderer.canSee($0.entry, of: c) }
    if request.newestFirst { visible.reverse() }
    // The token holds the last sequence returned: the journal only grows, so "after this
    // sequence" (or "before" it, newest first) never skips or repeats an entry.
    let fingerprint = PageToken.fingerprint([c.id.rawValue, String(request.newestFirst), principal.id.rawValue])
    if !request.pageToken.isEmpty {
      let prefix = "j1.\(fingerprint)."
      guard request.pageToken.hasPrefix(prefix),
        let last = Int64(request.pageToken.dropFirst(prefix.count))
      else { throw invalidArgument("page_token", "is malformed or was issued for other filters") }
      visible = visible.filter { request.newestFirst ? $0.entry.sequence < last : $0.entry.sequence > last }
    }
    let limit = env.limits.pageSize(request.pageSize)
    let page = visible.prefix(limit)
    var response = Fieldreport_V1_ListJournalResponse()
    response.entries = page.map { renderer.entry($0, of: c) }
    if visible.count > limit, let last = page.last {
      response.nextPageToken = "j1.\(fingerprint).\(last.entry.sequence)"
    }
    response.caseSummary = renderer.summary(c)
    return response
  }

  public func getWorkflow(
    _ request: Fieldreport_V1_GetWorkflowRequest, context: ServerContext
  ) async throws -> Fieldreport_V1_GetWorkflowResponse {
    let principal = try context.principal()
    let (c, journal) = try await visibleCaseAndJournal(request.caseId, field: "case_id", principal: principal)
    let renderer = try await CaseRenderer.load(
      env: env, viewer: principal.actor, cases: [c], entries: journal.map(\.entry))
    var response = Fieldreport_V1_GetWorkflowResponse()
    response.caseSummary = renderer.summary(c)
    response.steps = renderer.workflowSteps(c, journal: journal)
    let holds = renderer.clockHolds(c)
    response.clockHolds = holds.holds
    response.totalHeldMs = holds.totalMilliseconds
    return response
  }

  public func verifyJournal(
    _ request: Fieldreport_V1_VerifyJournalRequest, context: ServerContext
  ) async throws -> Fieldreport_V1_VerifyJournalResponse {
    let principal = try context.principal()
    let c = try await visibleCase(request.caseId, field: "case_id", principal: principal)
    guard principal.isSystemAdmin || principal.has(.iocOperator, at: c.iocUnitID) else {
      throw RPCError(
        code: .permissionDenied, message: "Only IOC operators and system administrators verify journals.")
    }
    var response = Fieldreport_V1_VerifyJournalResponse()
    switch try await env.store.verifyJournal(caseID: c.id) {
    case .intact(let entries, _):
      response.intact = true
      response.entriesChecked = Int64(entries)
    case .broken(let sequence, let reason):
      response.intact = false
      response.entriesChecked = sequence
      response.firstBadSequence = sequence
      response.problem = reason
    }
    return response
  }

  // MARK: Notifications

  /// Every notification of `user`, oldest first.
  private func allNotifications(for user: UserID, unreadOnly: Bool) async throws -> [StoredNotification] {
    var all: [StoredNotification] = []
    var after: Int64 = 0
    while true {
      let batch = try await env.store.notifications(for: user, after: after, unreadOnly: unreadOnly, limit: 1_000)
      all += batch
      guard batch.count == 1_000, let last = batch.last else { return all }
      after = last.id
    }
  }

  public func listNotifications(
    _ request: Fieldreport_V1_ListNotificationsRequest, context: ServerContext
  ) async throws -> Fieldreport_V1_ListNotificationsResponse {
    let principal = try context.principal()
    guard request.pageSize >= 0 else { throw invalidArgument("page_size", "must not be negative") }
    let all = try await allNotifications(for: principal.id, unreadOnly: false)
    var newestFirst = all.reversed().filter { !request.unreadOnly || $0.readAt == nil }
    if !request.pageToken.isEmpty {
      guard request.pageToken.hasPrefix("n1."), let before = Int64(request.pageToken.dropFirst(3))
      else { throw invalidArgument("page_token", "is malformed") }
      newestFirst = newestFirst.filter { $0.id < before }
    }
    let limit = env.limits.pageSize(request.pageSize)
    let page = Array(newestFirst.prefix(limit))
    var cases: [CaseID: Case] = [:]
    for id in Set(page.map(\.notification.caseID)) {
      if let c = try await env.store.findCase(id: id) { cases[id] = c }
    }
    let renderer = CaseRenderer(
      viewer: principal.actor, now: env.now(), policy: env.policy, units: [:], users: [:],
      categories: [:], groups: [:])
    var response = Fieldreport_V1_ListNotificationsResponse()
    response.notifications = page.map { stored in
      renderer.notification(stored, case: cases[stored.notification.caseID])
    }
    if newestFirst.count > limit, let last = page.last { response.nextPageToken = "n1.\(last.id)" }
    response.unreadTotal = Int64(all.count { $0.readAt == nil })
    return response
  }

  public func markNotificationsRead(
    _ request: Fieldreport_V1_MarkNotificationsReadRequest, context: ServerContext
  ) async throws -> Fieldreport_V1_MarkNotificationsReadResponse {
    let principal = try context.principal()
    guard request.notificationIds.count <= 500 else {
      throw invalidArgument("notification_ids", "at most 500 ids")
    }
    // Ids that are not numbers, or not the caller's, are ignored: ids cannot be probed.
    var ids = request.notificationIds.compactMap { Int64($0) }
    if let cutOff = request.upToMs {
      ids += try await allNotifications(for: principal.id, unreadOnly: true)
        .filter { $0.notification.at.millisecondsSince1970 <= cutOff }.map(\.id)
    }
    let marked = try await env.store.markNotificationsRead(for: principal.id, ids: ids, at: env.now())
    var response = Fieldreport_V1_MarkNotificationsReadResponse()
    response.markedTotal = Int64(marked)
    response.unreadTotal = Int64(try await allNotifications(for: principal.id, unreadOnly: true).count)
    return response
  }
}
