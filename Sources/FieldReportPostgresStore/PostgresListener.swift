import FieldReportStore
import Logging
import NIOCore
import NIOSSL
import PostgresNIO
import Synchronization

/// The store's own connection (outside the pool) that `LISTEN`s to what other replicas commit:
/// `fieldreport_events` (a journal entry; rings the ``EventBell``) and `fieldreport_reference`
/// (reference data changed; clears the ``PostgresReferenceCache``).
///
/// Notifications are delivered only to a session that was listening when the sender
/// committed: while this connection is down, nothing is heard. So the listener reports each
/// (re)established connection and each loss (``Events``): the store rings the bell and clears
/// the cache on both, and does not trust its cache while not listening. A lost connection is
/// re-established after a pause (0.1 s, doubling up to 5 s); a connection that stops answering
/// (a `SELECT 1` every 10 s, 5 s to answer) counts as lost.
///
/// # Thread safety
/// Runs in one task of its own; ``listeningSessions`` may be read from anywhere.
final class PostgresListener: Sendable {
  /// What the listener tells the store.
  struct Events: Sendable {
    /// A journal entry was committed (by any replica).
    var journalAppended: @Sendable () -> Void
    /// Reference data changed (by any replica); the payload is the new reference generation.
    var referenceChanged: @Sendable (Int64?) -> Void
    /// Listening started (true) or stopped (false).
    var listening: @Sendable (Bool) -> Void
  }

  static let eventsChannel = "fieldreport_events"
  /// The listening connection's `application_name`.
  static let applicationName = "fieldreport-listener"
  static let referenceChannel = "fieldreport_reference"

  private let configuration: PostgresStoreConfiguration
  private let logger: Logger
  private let events: Events
  /// How many times LISTEN was established (tests wait for a reconnection with it).
  private let sessions = Atomic<Int>(0)

  init(configuration: PostgresStoreConfiguration, logger: Logger, events: Events) {
    self.configuration = configuration
    self.logger = logger
    self.events = events
  }

  /// How many listening sessions have been established so far.
  var listeningSessions: Int { sessions.load(ordering: .relaxed) }

  /// Listens until the task is cancelled, reconnecting after every loss.
  func run() async {
    var pause = Duration.milliseconds(100)
    while !Task.isCancelled {
      do {
        let connection = try await PostgresConnection.connect(
          configuration: try connectionConfiguration(), id: 0, logger: logger)
        do {
          try await listen(on: connection) { pause = .milliseconds(100) }
        } catch {
          if !Task.isCancelled {
            logger.warning("the LISTEN connection was lost; reconnecting", metadata: ["error": "\(error)"])
          }
        }
        events.listening(false)
        try? await connection.close()
      } catch {
        if !Task.isCancelled {
          logger.warning("the LISTEN connection could not be opened; retrying", metadata: ["error": "\(error)"])
        }
      }
      if Task.isCancelled { break }
      try? await Task.sleep(for: pause)
      pause = min(pause * 2, .seconds(5))
    }
  }

  /// LISTENs on both channels until the connection fails (or the task is cancelled).
  private func listen(on connection: PostgresConnection, established: () -> Void) async throws {
    let events = self.events
    try await connection.listen(on: Self.eventsChannel) { journal in
      try await connection.listen(on: Self.referenceChannel) { reference in
        // Both LISTENs are active: anything committed from now on is heard.
        events.listening(true)
        sessions.add(1, ordering: .relaxed)
        established()
        try await withThrowingTaskGroup(of: Void.self) { group in
          group.addTask {
            for try await _ in journal { events.journalAppended() }
          }
          group.addTask {
            for try await notification in reference { events.referenceChanged(Int64(notification.payload)) }
          }
          group.addTask { [logger] in
            // A connection whose peer vanished without a reset would otherwise look alive forever.
            while true {
              try await Task.sleep(for: .seconds(10))
              try await Self.withTimeout(.seconds(5)) {
                _ = try await connection.query("SELECT 1", logger: logger).collect()
              }
            }
          }
          // Whichever ends first, the session is over.
          try await group.next()
          group.cancelAll()
        }
      }
    }
  }

  /// The connection did not answer in time.
  struct Unanswered: Error {}

  /// Runs `body`, failing it if it takes longer than `timeout`.
  private static func withTimeout(_ timeout: Duration, _ body: @escaping @Sendable () async throws -> Void)
    async throws
  {
    try await withThrowingTaskGroup(of: Bool.self) { group in
      group.addTask {
        try await body()
        return true
      }
      group.addTask {
        try await Task.sleep(for: timeout)
        return false
      }
      let finished = try await group.next() ?? false
      group.cancelAll()
      if !finished { throw Unanswered() }
    }
  }

  private func connectionConfiguration() throws -> PostgresConnection.Configuration {
    let tls: PostgresConnection.Configuration.TLS
    switch configuration.tls {
    case .disable: tls = .disable
    case .prefer: tls = .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
    case .require: tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
    }
    var settings = PostgresConnection.Configuration(
      host: configuration.host, port: configuration.port, username: configuration.username,
      password: configuration.password, database: configuration.database, tls: tls)
    settings.options.connectTimeout = .seconds(10)
    // Names the connection in pg_stat_activity (operators, and tests that cut it).
    settings.options.additionalStartupParameters = [("application_name", Self.applicationName)]
    return settings
  }
}
