import ArgumentParser
import FieldReportClient

/// `fieldreport journal …`: the JournalService.
struct JournalCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "journal",
    abstract: "A case's journal and workflow, the event stream, notifications, the hash-chain check.",
    subcommands: [List.self, Workflow.self, Watch.self, Notifications.self, MarkRead.self, Verify.self, Checkpoint.self]
  )
}

extension JournalCommand {
  /// ListJournal.
  struct List: RPCCommand {
    static let configuration = CommandConfiguration(abstract: "The journal tab (Nhật ký) of a case.", aliases: ["list-journal"])

    @OptionGroup var global: GlobalOptions
    @OptionGroup var input: RequestInput
    @Argument(help: "The case: its id or its report code.") var caseReference: String?
    @Flag(name: .customLong("newest-first")) var newestFirst = false
    @Option(name: .customLong("page-size")) var pageSize: Int32?
    @Option(name: .customLong("page-token")) var pageToken: String?

    func build(_ request: inout Fieldreport_V1_ListJournalRequest, session: CLISession) async throws {
      if let caseReference { request.caseId = try await session.caseID(for: caseReference) }
      if newestFirst { request.newestFirst = true }
      if let pageSize { request.pageSize = pageSize }
      if let pageToken { request.pageToken = pageToken }
      if request.caseId.isEmpty { throw CLIError.usage("name the case (its id or report code)") }
    }

    func call(_ request: Fieldreport_V1_ListJournalRequest, session: CLISession) async throws -> Fieldreport_V1_ListJournalResponse {
      try await session.client.journal.listJournal(request)
    }

    func render(_ response: Fieldreport_V1_ListJournalResponse, session: CLISession) async throws -> String {
      Render.summaryLine(response.caseSummary) + "\n" + Render.journal(response.entries) + Render.nextPage(response.nextPageToken)
    }
  }

  /// GetWorkflow.
  struct Workflow: RPCCommand {
    static let configuration = CommandConfiguration(abstract: "The workflow tab (Quy trình): steps, holders, due, on time or late.", aliases: ["get-workflow"])

    @OptionGroup var global: GlobalOptions
    @OptionGroup var input: RequestInput
    @Argument(help: "The case: its id or its report code.") var caseReference: String?

    func build(_ request: inout Fieldreport_V1_GetWorkflowRequest, session: CLISession) async throws {
      if let caseReference { request.caseId = try await session.caseID(for: caseReference) }
      if request.caseId.isEmpty { throw CLIError.usage("name the case (its id or report code)") }
    }

    func call(_ request: Fieldreport_V1_GetWorkflowRequest, session: CLISession) async throws -> Fieldreport_V1_GetWorkflowResponse {
      try await session.client.journal.getWorkflow(request)
    }

    func render(_ response: Fieldreport_V1_GetWorkflowResponse, session: CLISession) async throws -> String {
      let holds = Render.clockHolds(response.clockHolds, totalHeldMs: response.totalHeldMs)
      return Render.summaryLine(response.caseSummary) + "\n" + Render.workflow(response.steps)
        + (holds.isEmpty ? "" : "\n" + holds)
    }
  }

  /// WatchEvents (server streaming): prints each event as it arrives.
  struct Watch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Stream journal events you may see, from a cursor (one line, or one JSON object per line with --json).",
      aliases: ["watch-events"])

    @OptionGroup var global: GlobalOptions
    @OptionGroup var input: RequestInput
    @Option(name: .customLong("after"), help: "Resume after this cursor.") var afterCursor: String?
    @Option(help: "Start at this time (date, time, Unix ms, or relative with '=': --since=-1d).") var since: String?
    @Option(name: .customLong("case"), help: "Only this case (id or report code).") var caseReference: String?
    @Option(help: "Only this unit (id, code or name).", completion: ServerCompletion.units) var unit: String?
    @Option(name: .customLong("action"), help: "Only these actions, repeatable (dispatch, approve, …).") var actions: [Fieldreport_V1_JournalAction] = []
    @Flag(name: .customLong("mobile-only"), help: "Only entries that asked for a mobile-app notification.") var mobileOnly = false
    @Option(name: .customLong("heartbeat"), help: "Heartbeat interval in seconds when idle.") var heartbeatSeconds: Int32?
    @Option(help: "Stop after this many events.") var limit: Int?
    @Flag(name: .customLong("show-heartbeats"), help: "Print heartbeats too.") var showHeartbeats = false

    mutating func run() async throws {
      let command = self
      try await CLISession.run(self.global) { session in
        var request = try command.input.load(Fieldreport_V1_WatchEventsRequest.self)
        if let afterCursor = command.afterCursor { request.start = .afterCursor(afterCursor) }
        if let since = command.since { request.start = .sinceMs(try TimeOption.parse(since, option: "--since")) }
        if let reference = command.caseReference { request.caseId = try await session.caseID(for: reference) }
        if let unit = command.unit { request.unitId = try await session.unitID(for: unit) }
        if !command.actions.isEmpty { request.actions = command.actions }
        if command.mobileOnly { request.mobileNotificationsOnly = true }
        if let heartbeat = command.heartbeatSeconds { request.heartbeatIntervalMs = heartbeat * 1000 }
        if session.dryRun {
          try session.printJSON(request)
          return
        }
        var options = CallOptions()
        // A stream lives until the user stops it: no deadline unless --timeout was given.
        options.timeout = command.global.timeout == 30 ? .seconds(365 * 86_400) : nil
        let limit = command.limit
        let counter = EventCounter()
        do {
          try await session.client.journal.watchEvents(request, options: options) { response in
            switch response.payload {
            case .caseEvent(let event)?:
              if session.json { session.print(try JSONOutput.encode(response, compact: true)) } else {
                session.print("[\(response.cursor)] " + Render.summaryLine(event.caseSummary) + " ← " +
                  (event.entry.map { "\($0.action.shortName) by \(Render.user($0.actor))" } ?? ""))
              }
              counter.count += 1
              if let limit, counter.count >= limit { throw StopWatching() }
            case .heartbeat(let heartbeat)?:
              if command.showHeartbeats {
                if session.json { session.print(try JSONOutput.encode(response, compact: true)) } else { session.print("[\(response.cursor)] heartbeat \(Render.time(heartbeat.serverTimeMs))") }
              }
            case nil:
              break
            }
          }
        } catch let error as RPCError where counter.reachedLimit(limit) && error.code != .unauthenticated {
          // Stopped on purpose after --limit events.
        }
      }
    }
  }

  /// ListNotifications.
  struct Notifications: RPCCommand {
    static let configuration = CommandConfiguration(abstract: "Your notifications, newest first.", aliases: ["list-notifications"])

    @OptionGroup var global: GlobalOptions
    @OptionGroup var input: RequestInput
    @Flag(name: .customLong("unread")) var unreadOnly = false
    @Option(name: .customLong("page-size")) var pageSize: Int32?
    @Option(name: .customLong("page-token")) var pageToken: String?

    func build(_ request: inout Fieldreport_V1_ListNotificationsRequest, session: CLISession) async throws {
      if unreadOnly { request.unreadOnly = true }
      if let pageSize { request.pageSize = pageSize }
      if let pageToken { request.pageToken = pageToken }
    }

    func call(_ request: Fieldreport_V1_ListNotificationsRequest, session: CLISession) async throws -> Fieldreport_V1_ListNotificationsResponse {
      try await session.client.journal.listNotifications(request)
    }

    func render(_ response: Fieldreport_V1_ListNotificationsResponse, session: CLISession) async throws -> String {
      "\(response.unreadTotal) unread\n" + Render.notifications(response.notifications) + Render.nextPage(response.nextPageToken)
    }
  }

  /// MarkNotificationsRead.
  struct MarkRead: RPCCommand {
    static let configuration = CommandConfiguration(commandName: "mark-read", abstract: "Mark notifications read (by id, or --all).", aliases: ["mark-notifications-read"])

    @OptionGroup var global: GlobalOptions
    @OptionGroup var input: RequestInput
    @Argument(help: "Notification ids.") var ids: [String] = []
    @Flag(help: "Mark everything up to now read.") var all = false

    func build(_ request: inout Fieldreport_V1_MarkNotificationsReadRequest, session: CLISession) async throws {
      if !ids.isEmpty { request.notificationIds = ids }
      if all { request.upToMs = LocalTime.nowMs() }
      if request.notificationIds.isEmpty && request.upToMs == nil { throw CLIError.usage("name notification ids or give --all") }
    }

    func call(_ request: Fieldreport_V1_MarkNotificationsReadRequest, session: CLISession) async throws -> Fieldreport_V1_MarkNotificationsReadResponse {
      try await session.client.journal.markNotificationsRead(request)
    }

    func render(_ response: Fieldreport_V1_MarkNotificationsReadResponse, session: CLISession) async throws -> String {
      "\(response.markedTotal) marked read, \(response.unreadTotal) unread."
    }
  }

  /// VerifyJournal.
  struct Verify: RPCCommand {
    static let configuration = CommandConfiguration(abstract: "Recompute a case's journal hash chain (IOC, system admin).", aliases: ["verify-journal"])

    @OptionGroup var global: GlobalOptions
    @OptionGroup var input: RequestInput
    @Argument(help: "The case: its id or its report code.") var caseReference: String?

    func build(_ request: inout Fieldreport_V1_VerifyJournalRequest, session: CLISession) async throws {
      if let caseReference { request.caseId = try await session.caseID(for: caseReference) }
      if request.caseId.isEmpty { throw CLIError.usage("name the case (its id or report code)") }
    }

    func call(_ request: Fieldreport_V1_VerifyJournalRequest, session: CLISession) async throws -> Fieldreport_V1_VerifyJournalResponse {
      try await session.client.journal.verifyJournal(request)
    }

    func render(_ response: Fieldreport_V1_VerifyJournalResponse, session: CLISession) async throws -> String {
      response.intact
        ? "Intact: \(response.entriesChecked) entries verified."
        : "BROKEN at entry \(response.firstBadSequence.map(String.init) ?? "?"): \(response.problem)"
    }
  }
}

/// Thrown from the stream callback to stop after `--limit` events.
struct StopWatching: Error {}

/// Counts streamed events (the callback cannot capture a `var`).
final class EventCounter: @unchecked Sendable {
  // Only touched from the stream callback, which the transport calls serially.
  var count = 0
  func reachedLimit(_ limit: Int?) -> Bool { limit.map { self.count >= $0 } ?? false }
}
