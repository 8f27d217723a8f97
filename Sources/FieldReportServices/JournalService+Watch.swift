import FieldReportAPI
import FieldReportStore
import FieldReportWorkflow
public import RPCCore
public import WireBridge

extension JournalService {
  /// The stream's filters, validated.
  struct WatchFilter {
    var caseID: CaseID?
    var unitID: UnitID?
    var actions: Set<ActionKind>
    var mobileOnly: Bool

    func matches(_ entry: JournalEntry, of c: Case) -> Bool {
      if let caseID, entry.caseID != caseID { return false }
      if let unitID, !(c.unitsPassedThrough.contains(unitID) || c.currentUnitID == unitID) {
        return false
      }
      if !actions.isEmpty, !actions.contains(entry.action) { return false }
      if mobileOnly, !entry.notify { return false }
      return true
    }
  }

  /// Streams every journal event the caller may see, in commit order, from a cursor.
  ///
  /// The cursor is the store's global event sequence (``FieldReportStore/StoredJournalEntry/eventSequence``):
  /// the stream sends the stored events after it, then waits on the store's
  /// ``FieldReportStore/EventBell`` (rung by commits in this process and, on PostgreSQL, by
  /// `NOTIFY` from every replica) and reads the events after its cursor again, or after
  /// ``pollInterval`` without a ring. The store hands out event sequences in commit order, so
  /// reading after the cursor never skips an event committed later. Every message carries the cursor of the last event examined (sent or filtered
  /// out), so resuming from any message's cursor misses nothing and repeats nothing. An idle
  /// stream sends a heartbeat every `heartbeat_interval_ms`. The stream ends promptly when
  /// the call is cancelled (client cancel, deadline, disconnect).
  public func watchEvents(
    _ request: Fieldreport_V1_WatchEventsRequest, context: ServerContext,
    responses: ResponseWriter<Fieldreport_V1_WatchEventsResponse>
  ) async throws {
    let logger = env.logger(for: context)
    let principal: Principal
    let filter: WatchFilter
    do {
      principal = try context.principal()
      filter = try Self.filter(request)
    } catch {
      throw rpcError(error, logger: logger)
    }
    let admitted = openStreams.withLock { open -> Bool in
      let count = open[principal.id, default: 0]
      guard count < maximumStreamsPerCaller else { return false }
      open[principal.id] = count + 1
      return true
    }
    guard admitted else {
      throw RPCError(
        code: .resourceExhausted,
        message: "At most \(maximumStreamsPerCaller) event streams per caller; close one first.")
    }
    defer {
      openStreams.withLock { open in
        let left = open[principal.id, default: 1] - 1
        open[principal.id] = left > 0 ? left : nil
      }
    }
    do {
      let heartbeat = Duration.milliseconds(Self.heartbeatMilliseconds(request.heartbeatIntervalMs))
      var cursor = try await startCursor(request.start)
      var renderer = try await CaseRenderer.base(env: env, viewer: principal.actor)
      var cases: [CaseID: Case] = [:]
      let clock = ContinuousClock()
      var lastSent = clock.now
      let batchSize = 200
      let bell = env.store.eventBell
      while true {
        try Task.checkCancellation()
        if env.drain.isDraining {
          // Nothing is lost: the caller resumes from the cursor of the last message it got.
          throw RPCError(
            code: .unavailable,
            message: "The server is shutting down; reconnect and resume after cursor \(cursor).",
            details: [.retryInfo(delay: .zero)])
        }
        // Taken before the read: a ring during or after it ends the wait below at once.
        let rings = bell.rings
        let batch = try await env.store.events(after: cursor, limit: batchSize)
        renderer.now = env.now()
        for stored in batch {
          cursor = stored.eventSequence
          guard let c = try await caseAsOf(stored.entry, cache: &cases),
            filter.matches(stored.entry, of: c), renderer.canSee(stored.entry, of: c)
          else { continue }
          try await renderer.prepare(cases: [c], entries: [stored.entry], store: env.store)
          var event = Fieldreport_V1_CaseEvent()
          event.entry = renderer.entry(stored, of: c)
          event.caseSummary = renderer.summary(c)
          if CaseVisibility.canSeeReporter(c, viewer: principal.actor) {
            event.reporter = CaseRenderer.reporterInfo(c.reporter)
          }
          event.reportTitle = c.title
          var message = Fieldreport_V1_WatchEventsResponse()
          message.cursor = String(cursor)
          message.payload = .caseEvent(event)
          try await responses.write(message)
          lastSent = clock.now
        }
        if batch.count == batchSize { continue }
        if clock.now - lastSent >= heartbeat {
          var beat = Fieldreport_V1_Heartbeat()
          beat.serverTimeMs = env.now().millisecondsSince1970
          var message = Fieldreport_V1_WatchEventsResponse()
          message.cursor = String(cursor)
          message.payload = .heartbeat(beat)
          try await responses.write(message)
          lastSent = clock.now
        }
        await bell.wait(after: rings, upTo: min(pollInterval, heartbeat - (clock.now - lastSent)))
      }
    } catch is CancellationError {
      // The caller went away or the deadline passed: the runtime reports the status.
      return
    } catch {
      throw rpcError(error, logger: logger)
    }
  }

  /// The validated filters of a request.
  static func filter(_ request: Fieldreport_V1_WatchEventsRequest) throws(RPCError) -> WatchFilter {
    guard request.caseId.utf8.count <= 64 else { throw invalidArgument("case_id", "is not a case id") }
    guard request.unitId.utf8.count <= 64 else { throw invalidArgument("unit_id", "is not a unit id") }
    var actions: Set<ActionKind> = []
    for (index, action) in request.actions.enumerated() {
      guard let kind = action.domain else { throw invalidArgument("actions[\(index)]", "unknown action") }
      actions.insert(kind)
    }
    return WatchFilter(
      caseID: request.caseId.isEmpty ? nil : CaseID(request.caseId),
      unitID: request.unitId.isEmpty ? nil : UnitID(request.unitId), actions: actions,
      mobileOnly: request.mobileNotificationsOnly)
  }

  /// The heartbeat interval: 0 → 15 s, clamped to 1 s ... 60 s.
  static func heartbeatMilliseconds(_ requested: Int32) -> Int64 {
    requested == 0 ? 15_000 : min(max(Int64(requested), 1_000), 60_000)
  }

  /// The event sequence to stream after.
  func startCursor(_ start: Fieldreport_V1_WatchEventsRequest.Start?) async throws -> Int64 {
    switch start {
    case .afterCursor(let text)?:
      guard let cursor = Int64(text), cursor >= 0 else {
        throw invalidArgument("after_cursor", "is not a cursor from this server")
      }
      return cursor
    case .sinceMs(let since)?:
      // Events are committed in time order (the server clock); find the last one before
      // `since`.
      var cursor: Int64 = 0
      while true {
        let batch = try await env.store.events(after: cursor, limit: 1_000)
        for stored in batch {
          if stored.entry.at.millisecondsSince1970 >= since { return cursor }
          cursor = stored.eventSequence
        }
        if batch.count < 1_000 { return cursor }
      }
    case nil:
      return try await env.store.latestEventSequence()
    }
  }

  /// The case right after `entry`: the cached case advanced by one entry, or replayed from
  /// its journal. Nil if the journal cannot be replayed (never for a consistent store).
  func caseAsOf(_ entry: JournalEntry, cache: inout [CaseID: Case]) async throws -> Case? {
    if let known = cache[entry.caseID], known.version == entry.sequence - 1,
      let next = CaseReplay.apply(entry, to: known)
    {
      cache[entry.caseID] = next
      return next
    }
    if entry.sequence == 1, let created = CaseReplay.apply(entry, to: nil) {
      cache[entry.caseID] = created
      return created
    }
    let prefix = try await env.store.journal(caseID: entry.caseID)
      .map(\.entry).filter { $0.sequence <= entry.sequence }
    guard let replayed = try? CaseReplay.replay(prefix) else { return nil }
    cache[entry.caseID] = replayed
    // Keep the cache bounded on long streams over many cases.
    if cache.count > 10_000 { cache = [entry.caseID: replayed] }
    return replayed
  }
}
