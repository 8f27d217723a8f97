import FieldReportAPI
import FieldReportServices
import FieldReportWorkflow
import Foundation
import RPCCore
import StoreTestSupport
import Synchronization
import Testing
import WireBridge

/// Collects stream messages until it has `count` case events, then stops the stream.
final class EventCollector: Sendable {
  private let state = Mutex<[Fieldreport_V1_WatchEventsResponse]>([])
  let wanted: Int

  init(wanted: Int) { self.wanted = wanted }

  var messages: [Fieldreport_V1_WatchEventsResponse] { state.withLock { $0 } }

  var events: [Fieldreport_V1_CaseEvent] {
    messages.compactMap { if case .caseEvent(let event)? = $0.payload { event } else { nil } }
  }

  /// Records a message; throws ``Enough`` once `wanted` events have arrived.
  func receive(_ message: Fieldreport_V1_WatchEventsResponse) throws {
    let count = state.withLock { messages -> Int in
      messages.append(message)
      return messages.count { if case .caseEvent? = $0.payload { true } else { false } }
    }
    if count >= wanted { throw Enough() }
  }

  struct Enough: Error {}
}

/// JournalService: the journal and workflow tabs, the hash chain, notifications and the
/// resumable event stream.
@Suite("JournalService", .timeLimit(.minutes(1)))
struct JournalServiceTests {
  typealias P = DemoProvince

  /// Watches as `person` from `cursor` until `count` events arrived; returns the collector.
  static func watch(
    _ world: CaseWorld, as person: DemoProvince.Person, after cursor: String?, count: Int,
    configure: (inout Fieldreport_V1_WatchEventsRequest) -> Void = { _ in }
  ) async throws -> EventCollector {
    var request = Fieldreport_V1_WatchEventsRequest()
    request.start = cursor.map { .afterCursor($0) } ?? .sinceMs(0)
    configure(&request)
    let collector = EventCollector(wanted: count)
    do {
      try await world.journal.watchEvents(request, options: world.as(person)) { try collector.receive($0) }
      Issue.record("the stream ended by itself")
    } catch {
      // Stopping the stream from the handler cancels the call: that is how a client leaves.
      #expect(collector.events.count == count, "stream failed early: \(error)")
    }
    return collector
  }

  @Test("ListJournal: pages oldest first or newest first; NOT_FOUND for another unit", arguments: StoreEngine.all)
  func listJournal(engine: StoreEngine) async throws {
    let world = try await CaseWorld.make(engine: engine)
    defer { Task { await world.close() } }
    let atUnit = try await world.dispatch(try await world.submit("Nhật ký"), to: P.dongLoc)
    _ = try await world.assign(atUnit, by: P.duong, to: P.thang)
    var request = Fieldreport_V1_ListJournalRequest()
    request.caseId = atUnit.caseId
    request.pageSize = 2
    let first = try await world.journal.listJournal(request, options: world.as(P.duong))
    #expect(first.entries.map(\.sequence) == [1, 2])
    request.pageToken = first.nextPageToken
    let second = try await world.journal.listJournal(request, options: world.as(P.duong))
    #expect(second.entries.map(\.sequence) == [3])
    #expect(second.nextPageToken.isEmpty)
    #expect(second.caseSummary?.version == 3)

    var newest = Fieldreport_V1_ListJournalRequest()
    newest.caseId = atUnit.caseId
    newest.newestFirst = true
    #expect(try await world.journal.listJournal(newest, options: world.as(P.quan)).entries.map(\.sequence) == [3, 2, 1])
    #expect(await failure { _ = try await world.journal.listJournal(newest, options: world.as(P.nam)) } == .notFound)
    newest.pageToken = "garbage"
    #expect(await failure { _ = try await world.journal.listJournal(newest, options: world.as(P.quan)) } == .invalidArgument)
  }

  @Test("The reporting platform sees the submission and publication, not the unit's internal steps", arguments: StoreEngine.all)
  func platformSeesPublicSteps(engine: StoreEngine) async throws {
    let world = try await CaseWorld.make(engine: engine)
    defer { Task { await world.close() } }
    let atUnit = try await world.dispatch(try await world.submit("Riêng tư"), to: P.dongLoc)
    _ = try await world.assign(atUnit, by: P.duong, to: P.thang)
    var request = Fieldreport_V1_ListJournalRequest()
    request.caseId = atUnit.caseId
    let entries = try await world.journal.listJournal(request, options: world.as(P.platform)).entries
    #expect(entries.map(\.action) == [.submit])
  }

  @Test("GetWorkflow: steps with holder, due and timeliness; NOT_FOUND for another unit", arguments: StoreEngine.all)
  func getWorkflow(engine: StoreEngine) async throws {
    let world = try await CaseWorld.make(engine: engine)
    defer { Task { await world.close() } }
    let atUnit = try await world.dispatch(try await world.submit("Quy trình"), to: P.dongLoc)
    let assigned = try unwrap(try await world.assign(atUnit, by: P.duong, to: P.thang).caseSummary)
    world.clock.advance(milliseconds: 6 * Timestamp.millisecondsPerDay)
    _ = try await world.submitResult(assigned, by: P.thang, letter: "Muộn")
    var request = Fieldreport_V1_GetWorkflowRequest()
    request.caseId = atUnit.caseId
    let steps = try await world.journal.getWorkflow(request, options: world.as(P.duong)).steps
    #expect(steps.map(\.openedBy) == [.submit, .dispatch, .assign, .submitResult])
    #expect(steps[2].holder?.user?.fullName == "Lê Đại Thắng")
    #expect(steps[2].timeliness == .late)
    #expect(steps[2].completedBy?.fullName == "Lê Đại Thắng")
    #expect(steps[3].holder?.user?.fullName == "Lê Văn Đường")
    #expect(await failure { _ = try await world.journal.getWorkflow(request, options: world.as(P.nam)) } == .notFound)
  }

  @Test("VerifyJournal: IOC operators; PERMISSION_DENIED for the unit's leader", arguments: StoreEngine.all)
  func verifyJournal(engine: StoreEngine) async throws {
    let world = try await CaseWorld.make(engine: engine)
    defer { Task { await world.close() } }
    let atUnit = try await world.dispatch(try await world.submit("Kiểm tra chuỗi"), to: P.dongLoc)
    var request = Fieldreport_V1_VerifyJournalRequest()
    request.caseId = atUnit.caseId
    let verified = try await world.journal.verifyJournal(request, options: world.as(P.quan))
    #expect(verified.intact)
    #expect(verified.entriesChecked == 2)
    #expect(await failure { _ = try await world.journal.verifyJournal(request, options: world.as(P.duong)) } == .permissionDenied)
  }

  @Test("Notifications: the assignee is told; marking read lowers the unread count; others' ids are ignored", arguments: StoreEngine.all)
  func notifications(engine: StoreEngine) async throws {
    let world = try await CaseWorld.make(engine: engine)
    defer { Task { await world.close() } }
    let atUnit = try await world.dispatch(try await world.submit("Thông báo"), to: P.dongLoc)
    _ = try await world.assign(atUnit, by: P.duong, to: P.thang)
    let listed = try await world.journal.listNotifications(.init(), options: world.as(P.thang))
    #expect(listed.unreadTotal == 1)
    let notification = try unwrap(listed.notifications.first)
    #expect(notification.action == .assign)
    #expect(notification.reportCode == atUnit.reportCode)
    #expect(notification.readAtMs == nil)

    // Đường's own notification ids do nothing for Thắng, and vice versa.
    let duongs = try await world.journal.listNotifications(.init(), options: world.as(P.duong)).notifications
    var foreign = Fieldreport_V1_MarkNotificationsReadRequest()
    foreign.notificationIds = duongs.map(\.notificationId) + ["not-a-number"]
    #expect(try await world.journal.markNotificationsRead(foreign, options: world.as(P.thang)).markedTotal == 0)

    var mark = Fieldreport_V1_MarkNotificationsReadRequest()
    mark.notificationIds = [notification.notificationId]
    let marked = try await world.journal.markNotificationsRead(mark, options: world.as(P.thang))
    #expect(marked.markedTotal == 1)
    #expect(marked.unreadTotal == 0)
    var unread = Fieldreport_V1_ListNotificationsRequest()
    unread.unreadOnly = true
    #expect(try await world.journal.listNotifications(unread, options: world.as(P.thang)).notifications.isEmpty)
    #expect(await failure { _ = try await world.journal.listNotifications(.init(), options: CallOptions()) } == .unauthenticated)
  }

  @Test("WatchEvents: resuming from the last cursor misses nothing and repeats nothing", arguments: StoreEngine.all)
  func watchEventsResume(engine: StoreEngine) async throws {
    let world = try await CaseWorld.make(engine: engine)
    defer { Task { await world.close() } }
    let first = try await world.submit("Sự kiện 1")
    let atUnit = try await world.dispatch(first, to: P.dongLoc)
    _ = try await world.submit("Sự kiện 2")

    // Three stored events, read from the beginning; then disconnect.
    let before = try await Self.watch(world, as: P.quan, after: "0", count: 3)
    let cursor = try unwrap(before.messages.last?.cursor)

    // More happens while the IOC is away.
    _ = try await world.assign(atUnit, by: P.duong, to: P.thang)
    _ = try await world.submit("Sự kiện 3")

    let after = try await Self.watch(world, as: P.quan, after: cursor, count: 2)
    let all = before.events + after.events
    let entries = all.compactMap(\.entry)
    #expect(entries.map(\.action) == [.submit, .dispatch, .submit, .assign, .submit])
    #expect(Set(entries.map(\.entryId)).count == 5)
    let cursors = (before.messages + after.messages).compactMap { Int64($0.cursor) }
    #expect(cursors == cursors.sorted())
    #expect(Set(cursors).count == cursors.count)
    // The IOC sees the reporter; each event carries the case as of that event.
    #expect(all.first?.reporter?.fullName == "Trần Văn Bình")
    #expect(all.first?.caseSummary?.version == 1)
    #expect(all[1].caseSummary?.state == .atUnit)
  }

  @Test("WatchEvents: live events arrive after the stored ones; unit staff see only their cases, without the reporter", arguments: StoreEngine.all)
  func watchEventsLiveAndFiltered(engine: StoreEngine) async throws {
    let world = try await CaseWorld.make(engine: engine)
    defer { Task { await world.close() } }
    _ = try await world.submit("Không liên quan")
    let latest = try await Self.watch(world, as: P.quan, after: "0", count: 1)
    let start = try unwrap(latest.messages.last?.cursor)

    // Đường watches live; the dispatch to his unit happens while he is connected.
    let live = Task {
      try await Self.watch(world, as: P.duong, after: start, count: 2)
    }
    let mine = try await world.submit("Của Đồng Lộc")
    let atUnit = try await world.dispatch(mine, to: P.dongLoc)
    _ = try await world.assign(atUnit, by: P.duong, to: P.thang)
    let seen = try await live.value
    // He sees the submission and dispatch of the case dispatched to his unit (once it was),
    // not the unrelated report.
    #expect(seen.events.compactMap(\.entry?.action) == [.dispatch, .assign])
    #expect(seen.events.allSatisfy { $0.reporter == nil })
    #expect(seen.events.allSatisfy { $0.caseSummary?.senderLabel == "Công dân" })

    // Filters: only ASSIGN entries.
    let assigns = try await Self.watch(world, as: P.quan, after: "0", count: 1) { request in
      request.actions = [.assign]
    }
    #expect(assigns.events.first?.entry?.action == .assign)
  }

  @Test("WatchEvents: when the server begins to drain, an open stream ends UNAVAILABLE with retry info", arguments: StoreEngine.all)
  func watchEventsEndOnDrain(engine: StoreEngine) async throws {
    let world = try await CaseWorld.make(engine: engine)
    defer { Task { await world.close() } }
    var request = Fieldreport_V1_WatchEventsRequest()
    request.heartbeatIntervalMs = 1_000
    let started = Mutex(false)
    let stream = Task { () -> RPCError? in
      do {
        try await world.journal.watchEvents(request, options: world.as(P.quan)) { _ in
          started.withLock { $0 = true }
        }
        return nil
      } catch {
        return error as? RPCError
      }
    }
    // The first heartbeat shows the stream is open; then the server starts draining.
    for _ in 0..<1000 where !started.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(10)) }
    #expect(started.withLock { $0 })
    world.server.env.drain.begin()
    let error = await stream.value
    #expect(error?.code == .unavailable)
    #expect(error?.retryDelay == .zero)
  }

  @Test("WatchEvents: a malformed cursor is INVALID_ARGUMENT; no credentials is UNAUTHENTICATED; an idle stream sends heartbeats", arguments: StoreEngine.all)
  func watchEventsRefusalsAndHeartbeats(engine: StoreEngine) async throws {
    let world = try await CaseWorld.make(engine: engine)
    defer { Task { await world.close() } }
    var bad = Fieldreport_V1_WatchEventsRequest()
    bad.start = .afterCursor("yesterday")
    #expect(await failure { try await world.journal.watchEvents(bad, options: world.as(P.quan)) { _ in } } == .invalidArgument)
    #expect(await failure { try await world.journal.watchEvents(.init(), options: CallOptions()) { _ in } } == .unauthenticated)

    var idle = Fieldreport_V1_WatchEventsRequest()
    idle.heartbeatIntervalMs = 1_000
    let beats = Mutex<[String]>([])
    let code = await failure {
      try await world.journal.watchEvents(idle, options: world.as(P.quan)) { message in
        guard case .heartbeat? = message.payload else { return }
        let count = beats.withLock { $0.append(message.cursor); return $0.count }
        if count == 2 { throw EventCollector.Enough() }
      }
    }
    #expect(code != nil)
    #expect(beats.withLock { $0 } == ["0", "0"])
  }
}
