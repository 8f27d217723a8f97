import ArgumentParser
import FieldReportPostgresStore
import FieldReportServices
import FieldReportStore
import FieldReportWorkflow
import Foundation
import Logging
import NIOCore
import NIOPosix
import RPCCore
import RPCNIO
import ServiceLifecycle
import UnixSignals

#if canImport(Glibc)
  import Glibc
#endif

/// `fieldreport-server serve` (the default subcommand: `fieldreport-server --port 0` is
/// `fieldreport-server serve --port 0`): serves the fieldreport.v1 API over the project's RPC
/// protocol.
///
/// Every option can also be given in the environment (the flag wins). Logs (swift-log,
/// structured, one line per event with the call's trace id) go to standard error; the
/// start-up banner and any secret generated at start-up (the first admin's password, demo
/// passwords, the demo platform's API key) go to standard output, once, and never to logs.
struct FieldReportServer: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "serve",
    abstract: "Serve the fieldreport API (citizens' field reports, Hà Tĩnh IOC).",
    discussion: """
      Environment: FIELDREPORT_HOST, FIELDREPORT_PORT, FIELDREPORT_DATABASE, FIELDREPORT_LOG_LEVEL,
      FIELDREPORT_MAX_MESSAGE_BYTES, FIELDREPORT_MAX_CONCURRENT_CALLS, FIELDREPORT_DRAIN_SECONDS,
      FIELDREPORT_SESSION_HOURS, FIELDREPORT_SCRYPT_LOG_N, FIELDREPORT_DEMO (1 = --demo);
      FIELDREPORT_DATABASE_PASSWORD_FILE or FIELDREPORT_DATABASE_PASSWORD, FIELDREPORT_DATABASE_POOL_SIZE,
      FIELDREPORT_DATABASE_TLS (PostgreSQL);
      FIELDREPORT_ADMIN_PASSWORD (first run: the `admin` password, else one is generated and printed once);
      FIELDREPORT_DEMO_PASSWORD (--demo: every demo person's password, else generated and printed once);
      FIELDREPORT_METRICS_PORT, FIELDREPORT_METRICS_HOST (Prometheus metrics at http://HOST:PORT/metrics, off by default).
      SIGTERM or SIGINT drains: new calls are refused (UNAVAILABLE), calls in flight finish.
      """)

  @Option(help: "Listen address (env FIELDREPORT_HOST; default 127.0.0.1).")
  var host: String?

  @Option(help: "Listen port, 0 for any free port (env FIELDREPORT_PORT; default 7443).")
  var port: Int?

  @Option(
    help: """
      SQLite database file, its folder created (default ./data/fieldreport.sqlite), or postgres://user@host:port/db \
      for PostgreSQL (several replicas on one database); never a password in the URL (env FIELDREPORT_DATABASE).
      """)
  var database: String?

  @Option(
    help: """
      PostgreSQL: a file whose first line is the password (env FIELDREPORT_DATABASE_PASSWORD_FILE; \
      or the password itself in FIELDREPORT_DATABASE_PASSWORD).
      """)
  var databasePasswordFile: String?

  @Option(help: "PostgreSQL: most pooled connections this server opens, besides one that listens for the other replicas' notifications (env FIELDREPORT_DATABASE_POOL_SIZE; default 8).")
  var databasePoolSize: Int?

  @Option(help: "PostgreSQL: disable, prefer or require TLS to the database (env FIELDREPORT_DATABASE_TLS; default disable).")
  var databaseTls: String?

  @Option(help: "Cases whose decoded body and journal are kept in memory, per generation of two, 0 to 1000000: GetCase, inboxes and actions on a case held are answered without decoding it again, and with SQLite without a reader thread; more costs memory. Journals kept are bounded by 16 entries per case of it (env FIELDREPORT_CASE_CACHE; default 4096).")
  var caseCache: Int?

  @Option(help: "Cases held in listing pages (inboxes, searches, public lists) answered again from memory until the next write commits, per generation of two, 0 to 1000000; SQLite only. 0 turns it off (env FIELDREPORT_LISTING_CACHE; default 2048).")
  var listingCache: Int?

  @Option(help: "trace, debug, info, notice, warning, error or critical (env FIELDREPORT_LOG_LEVEL; default info).")
  var logLevel: String?

  @Option(help: "Largest message in bytes; must exceed the 8 MiB attachment limit (env FIELDREPORT_MAX_MESSAGE_BYTES; default 12 MiB).")
  var maxMessageBytes: Int?

  @Option(help: "Most concurrent calls per connection (env FIELDREPORT_MAX_CONCURRENT_CALLS; default 1024).")
  var maxConcurrentCalls: Int?

  @Option(help: "Most connections open at once; more are closed on accept (env FIELDREPORT_MAX_CONNECTIONS; default 4096).")
  var maxConnections: Int?

  @Option(help: "Most connections open at once from one address (env FIELDREPORT_MAX_CONNECTIONS_PER_PEER; default 512).")
  var maxConnectionsPerPeer: Int?

  @Option(help: "Seconds a new connection gets to send its preface before it is closed; 0 for no limit (env FIELDREPORT_HANDSHAKE_TIMEOUT_SECONDS; default 10).")
  var handshakeTimeoutSeconds: Int?

  @Option(help: "Seconds a frame that has started may go without a byte before the connection is closed; 0 for no limit (env FIELDREPORT_FRAME_TIMEOUT_SECONDS; default 30).")
  var frameTimeoutSeconds: Int?

  @Option(help: "Seconds a connection with no call in flight stays open, announced to clients; 0 for forever (env FIELDREPORT_IDLE_TIMEOUT_SECONDS; default 600).")
  var idleTimeoutSeconds: Int?

  @Option(help: "Seconds of silence after which the server pings a connection (closed if the ping is not answered within 20 s), announced; 0 for never (env FIELDREPORT_KEEPALIVE_SECONDS; default 120).")
  var keepaliveSeconds: Int?

  @Option(help: "Most bytes of unfinished request frames held at once by all connections; past it large requests are refused RESOURCE_EXHAUSTED and stalled holders closed (env FIELDREPORT_MAX_BUFFERED_REQUEST_BYTES; default 64 MiB).")
  var maxBufferedRequestBytes: Int?

  @Option(help: "PEM certificate chain (leaf first): serve TLS, with --tls-key; reloaded on SIGHUP (env FIELDREPORT_TLS_CERT).")
  var tlsCert: String?

  @Option(help: "PEM private key of --tls-cert (env FIELDREPORT_TLS_KEY).")
  var tlsKey: String?

  @Option(help: "PEM CA file: require client certificates that chain to it (mutual TLS); a registered certificate authenticates as its service account (env FIELDREPORT_TLS_CLIENT_CA).")
  var tlsClientCa: String?

  @Option(help: "Seconds calls in flight get to finish on SIGTERM (env FIELDREPORT_DRAIN_SECONDS; default 30).")
  var drainSeconds: Int?

  @Option(help: "Session lifetime in hours (env FIELDREPORT_SESSION_HOURS; default 12).")
  var sessionHours: Int?

  @Option(help: "log2 of scrypt's N for new password hashes, 10 to 20 (env FIELDREPORT_SCRYPT_LOG_N; default 15).")
  var scryptLogN: Int?

  @Option(help: "New reports accepted per reporter per hour; 0 for no limit (env FIELDREPORT_REPORTS_PER_REPORTER_HOUR; default 20).")
  var reportsPerReporterHour: Int?

  @Option(help: "Hours after receipt a unit may return a case to the IOC, unless the IOC sets another window when dispatching; 1 to 720 (env FIELDREPORT_RETURN_WINDOW_HOURS; default 24).")
  var returnWindowHours: Int?

  @Option(help: "Serve Prometheus metrics at http://<metrics-host>:<port>/metrics, 0 for any free port; off unless given (env FIELDREPORT_METRICS_PORT).")
  var metricsPort: Int?

  @Option(help: "Listen address of the metrics endpoint (env FIELDREPORT_METRICS_HOST; default 127.0.0.1: metrics are not authenticated).")
  var metricsHost: String?

  @Option(help: "Ed25519 key file signing journal checkpoints; created (mode 0600) if missing (env FIELDREPORT_CHECKPOINT_KEY; default: <database>.checkpoint-key beside a SQLite file; none for PostgreSQL).")
  var checkpointKey: String?

  @Option(help: "Seconds between periodic journal checkpoints (made only when a journal grew); 0 for none (env FIELDREPORT_CHECKPOINT_INTERVAL; default 3600).")
  var checkpointInterval: Int?

  @Option(help: "normal, raised (nice -10) or realtime (SCHED_FIFO 1): how the kernel schedules the event loops against the store's threads. Higher answers reads held in memory sooner while writes load the cores, at a cost in throughput; raised and realtime need CAP_SYS_NICE (or systemd LimitNICE=-10 / LimitRTPRIO=1); realtime only on a host that serves this server alone (docs/PERFORMANCE.md) (env FIELDREPORT_EVENT_LOOP_PRIORITY; default normal).")
  var eventLoopPriority: String?

  @Flag(help: "Load the demo province (Hà Tĩnh: IOC, departments, Xã Đồng Lộc, Phường Trần Phú, people, categories, groups) once.")
  var demo = false

  func run() async throws {
    MemoryAllocator.configure()
    let allocator = MemoryAllocator.current()
    #if canImport(Glibc)
      // With glibc's allocator (a build or a run without mimalloc), request buffers over
      // 256 KiB (attachments, unfinished large frames) are mapped and
      // go back to the system when freed. glibc's default threshold rises after the first such
      // free, after which they come from the heap and stay resident once their connections
      // close; a fixed threshold keeps it from rising.
      // (`mallopt` is declared in <malloc.h>, which the Glibc module does not import.)
      typealias MallOpt = @convention(c) (Int32, Int32) -> Int32
      let mmapThreshold: Int32 = -3  // M_MMAP_THRESHOLD
      if !allocator.isMimalloc, let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") {
        _ = unsafeBitCast(symbol, to: MallOpt.self)(mmapThreshold, 256 * 1024)
      }
    #endif
    let environment = ProcessInfo.processInfo.environment
    func setting(_ flag: String?, _ name: String, _ fallback: String) -> String {
      flag ?? environment[name].flatMap { $0.isEmpty ? nil : $0 } ?? fallback
    }
    func number(_ flag: Int?, _ name: String, _ fallback: Int) throws -> Int {
      if let flag { return flag }
      guard let text = environment[name], !text.isEmpty else { return fallback }
      guard let value = Int(text) else { throw ValidationError("\(name) must be a whole number, got \(text)") }
      return value
    }

    let host = setting(self.host, "FIELDREPORT_HOST", "127.0.0.1")
    let port = try number(self.port, "FIELDREPORT_PORT", 7443)
    let databasePath = DatabaseLocation.path(flag: self.database)
    let databasePoolSize = try number(self.databasePoolSize, "FIELDREPORT_DATABASE_POOL_SIZE", 8)
    let databaseTLSText = setting(self.databaseTls, "FIELDREPORT_DATABASE_TLS", "disable")
    guard let databaseTLS = PostgresStoreConfiguration.TLSMode(rawValue: databaseTLSText) else {
      throw ValidationError("--database-tls must be disable, prefer or require, got \(databaseTLSText)")
    }
    guard databasePoolSize >= 1 else { throw ValidationError("--database-pool-size must be at least 1") }
    let caseCache = try number(self.caseCache, "FIELDREPORT_CASE_CACHE", StoreConfiguration.defaultDecodedCaseCacheSize)
    guard (0...1_000_000).contains(caseCache) else {
      throw ValidationError("--case-cache must be 0 to 1000000, got \(caseCache)")
    }
    let listingCache = try number(self.listingCache, "FIELDREPORT_LISTING_CACHE", StoreConfiguration.defaultListingCacheSize)
    guard (0...1_000_000).contains(listingCache) else {
      throw ValidationError("--listing-cache must be 0 to 1000000, got \(listingCache)")
    }
    let postgresSettings = OpenedStore.PostgresSettings(
      passwordFile: self.databasePasswordFile
        ?? environment["FIELDREPORT_DATABASE_PASSWORD_FILE"].flatMap { $0.isEmpty ? nil : $0 },
      passwordFromEnvironment: environment["FIELDREPORT_DATABASE_PASSWORD"].flatMap { $0.isEmpty ? nil : $0 },
      poolSize: databasePoolSize, tls: databaseTLS)
    let levelText = setting(self.logLevel, "FIELDREPORT_LOG_LEVEL", "info")
    let maxMessageBytes = try number(self.maxMessageBytes, "FIELDREPORT_MAX_MESSAGE_BYTES", 12 << 20)
    let maxConcurrentCalls = try number(self.maxConcurrentCalls, "FIELDREPORT_MAX_CONCURRENT_CALLS", 1024)
    let maxConnections = try number(self.maxConnections, "FIELDREPORT_MAX_CONNECTIONS", 4096)
    let maxConnectionsPerPeer = try number(self.maxConnectionsPerPeer, "FIELDREPORT_MAX_CONNECTIONS_PER_PEER", 512)
    let handshakeSeconds = try number(self.handshakeTimeoutSeconds, "FIELDREPORT_HANDSHAKE_TIMEOUT_SECONDS", 10)
    guard maxConnections >= 1, maxConnectionsPerPeer >= 1, handshakeSeconds >= 0 else {
      throw ValidationError(
        "--max-connections and --max-connections-per-peer must be at least 1, --handshake-timeout-seconds at least 0")
    }
    let frameSeconds = try number(self.frameTimeoutSeconds, "FIELDREPORT_FRAME_TIMEOUT_SECONDS", 30)
    let idleSeconds = try number(self.idleTimeoutSeconds, "FIELDREPORT_IDLE_TIMEOUT_SECONDS", 600)
    let keepaliveSeconds = try number(self.keepaliveSeconds, "FIELDREPORT_KEEPALIVE_SECONDS", 120)
    guard frameSeconds >= 0, idleSeconds >= 0, keepaliveSeconds >= 0 else {
      throw ValidationError("--frame-timeout-seconds, --idle-timeout-seconds and --keepalive-seconds must be 0 or more")
    }
    let tlsCert = self.tlsCert ?? environment["FIELDREPORT_TLS_CERT"].flatMap { $0.isEmpty ? nil : $0 }
    let tlsKey = self.tlsKey ?? environment["FIELDREPORT_TLS_KEY"].flatMap { $0.isEmpty ? nil : $0 }
    let tlsClientCA = self.tlsClientCa ?? environment["FIELDREPORT_TLS_CLIENT_CA"].flatMap { $0.isEmpty ? nil : $0 }
    var tls: ServerTLS?
    switch (tlsCert, tlsKey) {
    case (let cert?, let key?):
      do {
        tls = try ServerTLS(certificateChainPath: cert, privateKeyPath: key, clientCAPath: tlsClientCA)
      } catch {
        throw ValidationError("\(error)")
      }
    case (nil, nil):
      guard tlsClientCA == nil else { throw ValidationError("--tls-client-ca needs --tls-cert and --tls-key") }
    default:
      throw ValidationError("--tls-cert and --tls-key go together")
    }
    let maxBufferedRequestBytes = try number(self.maxBufferedRequestBytes, "FIELDREPORT_MAX_BUFFERED_REQUEST_BYTES", 64 << 20)
    let drainSeconds = try number(self.drainSeconds, "FIELDREPORT_DRAIN_SECONDS", 30)
    let sessionHours = try number(self.sessionHours, "FIELDREPORT_SESSION_HOURS", 12)
    let demo = self.demo || environment["FIELDREPORT_DEMO"] == "1"
    let scryptLogN = try number(self.scryptLogN, "FIELDREPORT_SCRYPT_LOG_N", PasswordHashing.standard.logRounds)
    guard (10...20).contains(scryptLogN) else { throw ValidationError("scrypt log N must be 10 to 20") }
    let reportsPerReporter = try number(self.reportsPerReporterHour, "FIELDREPORT_REPORTS_PER_REPORTER_HOUR", 20)
    guard reportsPerReporter >= 0 else { throw ValidationError("reports per reporter per hour must be 0 or more") }
    let returnWindowHours = try number(self.returnWindowHours, "FIELDREPORT_RETURN_WINDOW_HOURS", 24)
    var policy = WorkflowPolicy.standard
    policy.returnWindowMilliseconds = Int64(returnWindowHours) * Timestamp.millisecondsPerHour
    guard policy.returnWindowRange.contains(policy.returnWindowMilliseconds) else {
      throw ValidationError("--return-window-hours must be 1 to 720, got \(returnWindowHours)")
    }

    guard let level = Logger.Level(rawValue: levelText.lowercased()) else {
      throw ValidationError("log level must be one of trace, debug, info, notice, warning, error, critical")
    }
    guard (0...65_535).contains(port) else { throw ValidationError("port must be 0 to 65535") }
    let metricsPort = try self.metricsPort ?? environment["FIELDREPORT_METRICS_PORT"].flatMap { text -> Int? in
      guard !text.isEmpty else { return nil }
      guard let value = Int(text) else { throw ValidationError("FIELDREPORT_METRICS_PORT must be a whole number, got \(text)") }
      return value
    }
    let metricsHost = setting(self.metricsHost, "FIELDREPORT_METRICS_HOST", "127.0.0.1")
    if let metricsPort {
      guard (0...65_535).contains(metricsPort) else { throw ValidationError("--metrics-port must be 0 to 65535") }
      if metricsPort != 0 && metricsPort == port && metricsHost == host {
        throw ValidationError("--metrics-port must differ from --port (\(port))")
      }
    } else if self.metricsHost != nil {
      throw ValidationError("--metrics-host needs --metrics-port (the metrics endpoint is off without it)")
    }
    let limits = ServiceLimits(
      sessionLifetimeMilliseconds: Int64(sessionHours) * Timestamp.millisecondsPerHour,
      passwordHashing: PasswordHashing(logRounds: scryptLogN),
      // 0 turns the limit off: no reporter reaches Int.max reports in an hour.
      submissionsPerReporter: reportsPerReporter == 0 ? Int.max : reportsPerReporter)
    guard maxMessageBytes > limits.maximumAttachmentBytes + 64 * 1024 else {
      throw ValidationError(
        "max message size must exceed the \(limits.maximumAttachmentBytes)-byte attachment limit plus headroom")
    }
    let largestRequest = ServiceRouter.requestSizeLimits(limits).values.max() ?? 0
    guard maxBufferedRequestBytes >= largestRequest else {
      throw ValidationError(
        "--max-buffered-request-bytes must be at least \(largestRequest) (one attachment upload), got \(maxBufferedRequestBytes)")
    }
    guard maxConcurrentCalls >= 1, drainSeconds >= 0, sessionHours >= 1 else {
      throw ValidationError("max concurrent calls and session hours must be at least 1, drain seconds at least 0")
    }
    let priorityText = setting(self.eventLoopPriority, "FIELDREPORT_EVENT_LOOP_PRIORITY", "normal")
    guard let loopPriority = EventLoopPriority(rawValue: priorityText) else {
      throw ValidationError("--event-loop-priority must be normal, raised or realtime, got \(priorityText)")
    }

    LoggingSystem.bootstrap { label in
      var handler = StreamLogHandler.standardError(label: label)
      handler.logLevel = level
      return handler
    }
    let logger = Logger(label: "fieldreport-server")
    // Once per process, before the store and the server make their metrics: without
    // --metrics-port nothing is bootstrapped and every metric is swift-metrics' no-op.
    let metricsRegistry = metricsPort == nil ? nil : MetricsEndpoint.bootstrap()

    // The event loops the server runs on. Their priority is set before the database is
    // touched: a priority the kernel refuses stops the start.
    let loops = MultiThreadedEventLoopGroup.singleton
    do {
      try await loopPriority.apply(to: loops)
    } catch {
      throw StartupError(message: "\(error)")
    }
    let opened = try await OpenedStore.open(
      databasePath, postgres: postgresSettings, policy: policy, caseCache: caseCache, listingCache: listingCache,
      logger: logger)
    let store = opened.store
    let checkpointInterval = try number(self.checkpointInterval, "FIELDREPORT_CHECKPOINT_INTERVAL", 3_600)
    guard checkpointInterval >= 0 else { throw ValidationError("--checkpoint-interval must be 0 or more seconds") }
    let checkpointKeyPath =
      self.checkpointKey ?? environment["FIELDREPORT_CHECKPOINT_KEY"].flatMap { $0.isEmpty ? nil : $0 }
      ?? (PostgresStoreConfiguration.isURL(databasePath) ? nil : databasePath + ".checkpoint-key")
    var signer: CheckpointSigner?
    if let checkpointKeyPath {
      do {
        let (loaded, created) = try CheckpointSigner.loadOrCreate(path: checkpointKeyPath)
        signer = loaded
        print("Checkpoint key: \(checkpointKeyPath)\(created ? " (created now)" : "")")
        print("Checkpoint public key: \(loaded.publicKeyHex)")
        print("Checkpoint key fingerprint (SHA-256): \(loaded.fingerprint)")
      } catch {
        throw StartupError(message: "checkpoint key: \(error) (--checkpoint-key)")
      }
    } else {
      logger.notice("no checkpoint key: journal checkpoints are off (give --checkpoint-key)")
    }
    // Password checks (scrypt) run on a thread of their own, one at a time, never on an event
    // loop (BlockingWork).
    let passwordThread = NIOThreadPool(numberOfThreads: 1)
    passwordThread.start()
    let env = ServiceEnvironment(
      store: store, policy: policy, logger: logger, limits: limits, checkpointSigner: signer,
      blockingWork: BlockingWork { work in try await passwordThread.runIfActive(work) })
    let now = env.now()

    if demo {
      let demoPassword = environment["FIELDREPORT_DEMO_PASSWORD"].flatMap { $0.isEmpty ? nil : $0 }
      let password = demoPassword ?? DemoPasswords.generate()
      let result = try await DemoProvince.load(
        into: store, password: password, hashing: limits.passwordHashing, now: now)
      if result.createdAnything {
        print("Demo province loaded (Hà Tĩnh). Demo people (username / name):")
        for person in DemoProvince.people where person.kind != .serviceAccount {
          print("  \(person.username.padding(toLength: 10, withPad: " ", startingAt: 0)) \(person.fullName)")
        }
        if demoPassword == nil {
          print("Demo password for every demo person (shown once): \(password)")
        } else {
          print("Demo password: the value of FIELDREPORT_DEMO_PASSWORD.")
        }
        if let key = result.platformAPIKey {
          print("Platform API key (shown once; send as 'authorization: ApiKey <key>'): \(key)")
        }
      } else {
        print("Demo province already loaded (passwords and the platform key were shown at the first load).")
      }
    }

    let adminPassword = environment["FIELDREPORT_ADMIN_PASSWORD"].flatMap { $0.isEmpty ? nil : $0 }
    switch try await SystemAdminBootstrap.ensureSystemAdmin(
      store: store, password: adminPassword, hashing: limits.passwordHashing, now: now)
    {
    case .alreadyPresent: break
    case .created: print("Created the system admin 'admin' with the password from FIELDREPORT_ADMIN_PASSWORD.")
    case .createdWithGeneratedPassword(let password):
      print("Created the system admin 'admin'. Its password (shown once, change it with ChangePassword): \(password)")
    }

    var connectionLimits = ConnectionLimits()
    connectionLimits.maxMessageSize = maxMessageBytes
    connectionLimits.maxConcurrentCalls = maxConcurrentCalls
    connectionLimits.handshakeTimeout = handshakeSeconds == 0 ? nil : .seconds(handshakeSeconds)
    connectionLimits.frameProgressTimeout = frameSeconds == 0 ? nil : .seconds(frameSeconds)
    connectionLimits.idleTimeout = idleSeconds == 0 ? nil : .seconds(idleSeconds)
    connectionLimits.keepaliveInterval = keepaliveSeconds == 0 ? nil : .seconds(keepaliveSeconds)
    connectionLimits.requestSizeLimits = ServiceRouter.requestSizeLimits(limits)
    let server = RPCServer(
      router: makeRouter(env: env),
      configuration: .init(
        host: host, port: port, limits: connectionLimits, drainGracePeriod: .seconds(drainSeconds),
        maxConnections: maxConnections, maxConnectionsPerPeer: maxConnectionsPerPeer,
        maxBufferedRequestBytes: maxBufferedRequestBytes, tls: tls),
      fileDescriptorSet: ServiceRouter.fileDescriptorSet, group: loops, logger: logger)
    var metricsEndpoint: MetricsEndpoint?
    if let metricsRegistry, let metricsPort {
      do {
        metricsEndpoint = try await MetricsEndpoint.start(registry: metricsRegistry, host: metricsHost, port: metricsPort)
      } catch {
        await opened.close()
        throw StartupError(message: "cannot listen for metrics on \(metricsHost):\(metricsPort): \(error)")
      }
    }
    let address: SocketAddress
    do {
      address = try await server.start()
    } catch {
      await metricsEndpoint?.close()
      throw error
    }
    let boundPort = address.port ?? port
    if let metricsEndpoint {
      let metricsAddress = "\(metricsHost):\(metricsEndpoint.localAddress?.port ?? metricsPort ?? 0)"
      print("fieldreport-server metrics on http://\(metricsAddress)/metrics")
      logger.info("metrics endpoint listening", metadata: ["address": "\(metricsAddress)"])
    }
    print("Memory allocator: \(allocator)")
    if loopPriority != .normal { print("Event loops: \(loopPriority)") }
    print("fieldreport-server listening on \(host):\(boundPort)")
    if let tls {
      print(tls.requiresClientCertificate ? "TLS: mutual (clients present a certificate from --tls-client-ca)" : "TLS: on")
    }
    print("Database: \(opened.description)")
    print("Log in: fieldreport login --server \(host):\(boundPort) --user admin\(demo ? "  (or --user <one of the demo people above>)" : "")")
    fflush(nil)  // all C streams: the banner must reach a pipe (a supervisor, a test) now
    logger.info(
      "serving",
      metadata: [
        "address": "\(host):\(boundPort)", "database": "\(opened.description)", "demo": "\(demo)",
        "allocator": "\(allocator)", "event_loops": "\(loopPriority)",
      ])
    if !allocator.isMimalloc {
      logger.notice(
        "the memory allocator is not mimalloc: writes and listings cost more CPU (a build without libmimalloc-dev, or another LD_PRELOAD)",
        metadata: ["allocator": "\(allocator)"])
    }
    if tls == nil && !Self.isLoopback(host) {
      logger.warning(
        "listening on a non-loopback address without TLS: passwords, tokens and citizens' data cross the network in clear text; use --tls-cert and --tls-key",
        metadata: ["address": "\(host):\(boundPort)"])
    }

    var checkpointServices: [ServiceGroupConfiguration.ServiceConfiguration] = []
    if let signer, checkpointInterval > 0 {
      checkpointServices.append(
        .init(
          service: PeriodicCheckpoints(
            signer: signer, env: env, interval: .seconds(checkpointInterval), logger: logger)))
    }
    let group = ServiceGroup(
      configuration: .init(
        services: [
          .init(
            service: DrainingServer(server: server, drain: env.drain, gracePeriod: .seconds(drainSeconds)),
            successTerminationBehavior: .gracefullyShutdownGroup)
        ] + (tls.map { [.init(service: TLSReloader(tls: $0, logger: logger))] } ?? []) + checkpointServices,
        gracefulShutdownSignals: [.sigterm, .sigint],
        logger: logger))
    try await group.run()
    await metricsEndpoint?.close()
    await opened.close()
    try? await passwordThread.shutdownGracefully()
    logger.info("stopped")
  }
}

extension FieldReportServer {
  /// Whether `host` is a loopback address (or `localhost`).
  static func isLoopback(_ host: String) -> Bool {
    host == "localhost" || host == "::1" || host.hasPrefix("127.")
  }
}

/// Reads the TLS files again on SIGHUP: new connections get the new certificate, open ones
/// keep theirs; a file that cannot be used is logged and the current certificate kept.
struct TLSReloader: Service {
  let tls: ServerTLS
  let logger: Logger

  func run() async throws {
    let signals = await UnixSignalsSequence(trapping: .sighup)
    for await _ in signals.cancelOnGracefulShutdown() {
      do {
        try self.tls.reload()
        self.logger.notice("TLS certificate reloaded", metadata: ["cert": "\(self.tls.certificateChainPath)"])
      } catch {
        self.logger.error("TLS reload failed; the current certificate stays", metadata: ["error": "\(error)"])
      }
    }
  }
}

/// Signs a journal checkpoint every `interval` while some journal grew since the last one
/// (``CheckpointSigner/makeCheckpoint(store:origin:by:now:skipIfUnchanged:)``); a failure is
/// logged and the next tick tries again.
struct PeriodicCheckpoints: Service {
  let signer: CheckpointSigner
  let env: ServiceEnvironment
  let interval: Duration
  let logger: Logger

  func run() async throws {
    while !Task.isCancelled {
      do {
        // A graceful shutdown ends the wait (and the service) at once.
        try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
      } catch {
        return
      }
      do {
        if let made = try await signer.makeCheckpoint(
          store: env.store, origin: .periodic, by: nil, now: env.now(), skipIfUnchanged: true)
        {
          logger.info(
            "journal checkpoint signed",
            metadata: ["checkpoint": "\(made.id)", "cases": "\(made.caseCount)", "entries": "\(made.entryCount)"])
        }
      } catch {
        logger.error("journal checkpoint failed; the next tick tries again", metadata: ["error": "\(error)"])
      }
    }
  }
}

/// Runs until a graceful shutdown is requested, then drains the server.
struct DrainingServer: Service {
  let server: RPCServer
  let drain: DrainSignal
  let gracePeriod: Duration

  func run() async throws {
    // Returns when SIGTERM/SIGINT asks the group to shut down; throws if cancelled instead.
    try? await gracefulShutdown()
    // Event streams end (UNAVAILABLE, resumable) as soon as every connection has sent its
    // GOAWAY, so the drain is not held up by them and clients read the GOAWAY first.
    let drain = self.drain
    await self.server.shutdown(gracePeriod: self.gracePeriod, goAwaySent: { drain.begin() })
  }
}

/// Random passwords for the demo people.
enum DemoPasswords {
  static func generate() -> String {
    let alphabet = Array("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
    var generator = SystemRandomNumberGenerator()
    return String((0..<16).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
  }
}

/// A start-up failure, said plainly (ArgumentParser prints it as `Error: <message>`).
struct StartupError: Error, CustomStringConvertible {
  let message: String
  var description: String { self.message }
}
