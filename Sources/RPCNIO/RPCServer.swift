import Logging
import NIOCore
import NIOPosix
import RPCCore
import Synchronization
#if canImport(Glibc)
  import Glibc
#endif
import WireBridge

/// The RPC server on SwiftNIO: accepts connections, speaks the protocol of
/// docs/PROTOCOL.md, runs the router's handlers, serves health and reflection.
///
/// ```swift
/// var router = RPCRouter()
/// router.register(MyService())
/// let server = RPCServer(router: router, configuration: .init(host: "127.0.0.1", port: 8443),
///                        logger: logger)
/// let address = try await server.start()
/// ...
/// await server.shutdown()          // GOAWAY, drain, close (use on SIGTERM)
/// ```
///
/// Design: a plain `ChannelHandler` per connection (no per-frame async hop); handlers start
/// with `Task.immediate` on the connection's event loop. A connection's error closes only that
/// connection. The health service (`rpc.v1.Health`) and reflection (`rpc.v1.Reflection`) are
/// registered automatically.
///
/// # Thread safety
/// All methods may be called from any task.
public final class RPCServer: Sendable {
  /// Server settings.
  public struct Configuration: Sendable {
    /// The address to listen on.
    public var host: String
    /// The port (0: any free port; ``start()`` returns the bound address).
    public var port: Int
    /// Per-connection limits.
    public var limits: ConnectionLimits
    /// How long ``shutdown(gracePeriod:)`` waits by default for calls in flight.
    public var drainGracePeriod: Duration
    /// The listen backlog.
    public var backlog: Int32
    /// The most connections open at once; a connection past it is closed as soon as it is
    /// accepted (default 4,096).
    public var maxConnections: Int
    /// The most connections open at once from one peer address (any port); past it a new
    /// connection from that address is closed as soon as it is accepted (default 512).
    public var maxConnectionsPerPeer: Int
    /// The most bytes of incomplete request frames all connections may hold at once
    /// (default 64 MiB; see ``InboundMemoryBudget``): past it a new large request is answered
    /// `RESOURCE_EXHAUSTED` and the longest-stalled holder is closed.
    public var maxBufferedRequestBytes: Int
    /// TLS (and, with a client CA, mutual TLS) on every connection; `nil`: plain TCP.
    public var tls: ServerTLS?

    /// Creates a configuration.
    public init(
      host: String = "127.0.0.1",
      port: Int = 0,
      limits: ConnectionLimits = ConnectionLimits(),
      drainGracePeriod: Duration = .seconds(30),
      backlog: Int32 = 1024,
      maxConnections: Int = 4_096,
      maxConnectionsPerPeer: Int = 512,
      maxBufferedRequestBytes: Int = 64 << 20,
      tls: ServerTLS? = nil
    ) {
      self.host = host
      self.port = port
      self.limits = limits
      self.drainGracePeriod = drainGracePeriod
      self.backlog = backlog
      self.maxConnections = maxConnections
      self.maxConnectionsPerPeer = maxConnectionsPerPeer
      self.maxBufferedRequestBytes = maxBufferedRequestBytes
      self.tls = tls
    }
  }

  private enum State {
    case idle
    case running(listener: any Channel, connections: [ObjectIdentifier: any Channel])
    case stopped
  }

  private let router: RPCRouter
  private let configuration: Configuration
  /// The budget of buffered request bytes shared by every connection.
  public let requestBudget: InboundMemoryBudget
  private let group: any EventLoopGroup
  private let logger: Logger
  private let state = Mutex(State.idle)
  /// ``Configuration/maxConnections``, lowered to what the process's descriptor limit
  /// allows (soft `RLIMIT_NOFILE` less ``reservedDescriptors``): connections past it are
  /// accepted and closed at once, so `accept` never fails with EMFILE — a failing accept
  /// leaves the listening socket registered and the event loop spinning on it (NIO 2.101:
  /// `readPending` stays set when the first accept of a read fails).
  private let effectiveMaxConnections: Int

  /// Descriptors kept for everything but connections: the database and its WAL and SHM per
  /// connection of the store, event loops, pipes, the listener, log files.
  public static let reservedDescriptors = 64

  /// The connections the descriptor limit leaves room for, or nil when it cannot be read.
  static func descriptorBudget() -> Int? {
    var limit = rlimit()
    #if canImport(Glibc)
      guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return nil }
    #else
      guard getrlimit(RLIMIT_NOFILE, &limit) == 0 else { return nil }
    #endif
    guard limit.rlim_cur != rlim_t.max else { return nil }  // RLIM_INFINITY
    return max(1, Int(clamping: limit.rlim_cur) - Self.reservedDescriptors)
  }

  /// Open connections per peer address (``Configuration/maxConnectionsPerPeer``).
  private let perPeer = Mutex<[String: Int]>([:])
  private let settingsBytes: [UInt8]

  /// The health service; set services' statuses here.
  public let health: HealthService
  /// Calls and connections, through swift-metrics (``ServerMetrics``).
  private let metrics: ServerMetrics

  /// Creates a server.
  /// - Parameters:
  ///   - router: The services to serve.
  ///   - configuration: Address, limits, drain period.
  ///   - fileDescriptorSet: The encoded `FileDescriptorSet` reflection serves.
  ///   - group: The event loops to run on.
  ///   - logger: Where connection-level events are logged.
  /// - Throws: `WireError` only if the settings cannot be encoded (they always can).
  public init(
    router: RPCRouter,
    configuration: Configuration = Configuration(),
    fileDescriptorSet: [UInt8] = [],
    group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
    logger: Logger
  ) {
    let health = HealthService()
    var router = router
    router.register(health)
    router.register(ReflectionService(fileDescriptorSet: fileDescriptorSet))
    // Every service this server serves is known to the health service by its full name
    // (its own `rpc.v1.Health` included) and SERVING until the drain begins.
    for name in router.serviceNamesSorted { health.setStatus(.serving, for: name) }
    // Metrics are made here, after the process bootstrapped its back end (if any): with
    // none, the methods carry no metrics and calls skip them.
    let metrics = ServerMetrics(paths: router.descriptors.map(\.path))
    if metrics.isRecording { router.attach(metrics) }
    self.router = router
    self.health = health
    self.metrics = metrics
    self.configuration = configuration
    self.effectiveMaxConnections = min(configuration.maxConnections, Self.descriptorBudget() ?? Int.max)
    if self.effectiveMaxConnections < configuration.maxConnections {
      logger.notice(
        "connection limit lowered to what the descriptor limit allows",
        metadata: [
          "max_connections": "\(self.effectiveMaxConnections)",
          "configured": "\(configuration.maxConnections)",
          "reserved_descriptors": "\(Self.reservedDescriptors)",
        ])
    }
    self.group = group
    self.logger = logger
    self.requestBudget = InboundMemoryBudget(limit: configuration.maxBufferedRequestBytes)
    var settings = Rpc_V1_Settings()
    settings.maxFrameSize = UInt32(clamping: configuration.limits.maxMessageSize)
    settings.maxConcurrentCalls = UInt32(clamping: configuration.limits.maxConcurrentCalls)
    settings.maxMetadataSize = UInt32(clamping: configuration.limits.maxMetadataSize)
    settings.keepaliveIntervalMs = UInt32(clamping: configuration.limits.keepaliveInterval?.milliseconds ?? 0)
    settings.idleTimeoutMs = UInt32(clamping: configuration.limits.idleTimeout?.milliseconds ?? 0)
    settings.implementation = "fieldreport-rpc/1"
    self.settingsBytes = (try? settings.serializedBytes()) ?? []
  }

  /// The protocol handler one accepted connection gets, for driving the server's connection
  /// logic without sockets (an `EmbeddedChannel` in tests and fuzzing). The caller adds it to
  /// the channel's pipeline; bytes written inbound are read as the client's side.
  public func makeConnectionHandler(eventLoop: any EventLoop) -> any ChannelHandler {
    ServerConnectionHandler(
      eventLoop: eventLoop,
      router: self.router,
      limits: self.configuration.limits,
      serverSettings: self.settingsBytes,
      requestBudget: self.requestBudget,
      metrics: self.metrics,
      logger: self.logger
    )
  }

  /// Binds and starts accepting connections.
  /// - Returns: The bound address.
  /// - Throws: If binding fails, or the server was already started.
  @discardableResult
  public func start() async throws -> SocketAddress {
    let router = self.router
    let limits = self.configuration.limits
    let settings = self.settingsBytes
    let logger = self.logger
    let budget = self.requestBudget
    let tls = self.configuration.tls
    let metrics = self.metrics
    let acceptWarnings = AcceptFailureLog(logger: logger)
    let bootstrap = ServerBootstrap(group: self.group)
      .serverChannelInitializer { channel in
        // Out of file descriptors (EMFILE/ENFILE) or another accept failure: pause accepting
        // for a moment instead of retrying in a loop (which burnt a core), and say so.
        channel.eventLoop.makeCompletedFuture {
          try channel.pipeline.syncOperations.addHandler(
            AcceptBackoffHandler(shouldForwardIOErrorCaught: false) { error in
              acceptWarnings.note(error)
              return .milliseconds(250)
            })
        }
      }
      .serverChannelOption(.backlog, value: self.configuration.backlog)
      .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
      .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
      .childChannelOption(.maxMessagesPerRead, value: 16)
      .childChannelInitializer { [weak self] channel in
        channel.eventLoop.makeCompletedFuture {
          let handler = ServerConnectionHandler(
            eventLoop: channel.eventLoop,
            router: router,
            limits: limits,
            serverSettings: settings,
            requestBudget: budget,
            metrics: metrics,
            logger: logger
          )
          if let tls { try channel.pipeline.syncOperations.addHandler(tls.makeHandler()) }
          try channel.pipeline.syncOperations.addHandler(handler)
          self?.track(channel)
        }
      }
    let listener = try await bootstrap.bind(host: self.configuration.host, port: self.configuration.port).get()
    let started = self.state.withLock { state -> Bool in
      guard case .idle = state else { return false }
      state = .running(listener: listener, connections: [:])
      return true
    }
    guard started else {
      try? await listener.close()
      throw RPCError(code: .failedPrecondition, message: "The server was already started.")
    }
    guard let address = listener.localAddress else {
      throw RPCError(code: .internal, message: "The listener has no local address.")
    }
    self.logger.info("RPC server listening", metadata: ["address": "\(address)"])
    return address
  }

  private func track(_ channel: any Channel) {
    let id = ObjectIdentifier(channel)
    let peer = channel.remoteAddress?.ipAddress ?? "unknown"
    let maxConnections = self.effectiveMaxConnections
    let maxPerPeer = self.configuration.maxConnectionsPerPeer
    enum Admission { case accepted, notRunning, tooMany, tooManyFromPeer }
    let admission = self.state.withLock { state -> Admission in
      guard case .running(let listener, var connections) = state else { return .notRunning }
      guard connections.count < maxConnections else { return .tooMany }
      guard self.perPeer.withLock({ ($0[peer] ?? 0) < maxPerPeer }) else { return .tooManyFromPeer }
      connections[id] = channel
      self.perPeer.withLock { $0[peer, default: 0] += 1 }
      state = .running(listener: listener, connections: connections)
      return .accepted
    }
    switch admission {
    case .accepted:
      break
    case .notRunning:
      channel.close(promise: nil)
      return
    case .tooMany, .tooManyFromPeer:
      self.metrics.refused(admission == .tooMany ? .maxConnections : .maxConnectionsPerPeer)
      self.logger.warning(
        "connection refused",
        metadata: [
          "rpc.peer": "\(peer)",
          "reason": "\(admission == .tooMany ? "\(maxConnections) connections open" : "\(maxPerPeer) connections open from this address")",
        ])
      channel.close(promise: nil)
      return
    }
    let connectionsOpen = self.metrics.connectionsOpen
    connectionsOpen.increment()
    channel.closeFuture.whenComplete { [weak self] _ in
      connectionsOpen.decrement()
      guard let self else { return }
      self.perPeer.withLock { counts in
        let left = (counts[peer] ?? 1) - 1
        counts[peer] = left > 0 ? left : nil
      }
      self.state.withLock { state in
        guard case .running(let listener, var connections) = state else { return }
        connections.removeValue(forKey: id)
        state = .running(listener: listener, connections: connections)
      }
    }
  }

  /// The number of open connections.
  public var connectionCount: Int {
    self.state.withLock { state in
      if case .running(_, let connections) = state { return connections.count }
      return 0
    }
  }

  /// Drains and stops: stops accepting, marks every service NOT_SERVING, sends GOAWAY on
  /// every connection (later calls fail UNAVAILABLE), waits up to `gracePeriod` for calls in
  /// flight, then closes what is left.
  /// - Parameter goAwaySent: Called once every connection has written its GOAWAY (or was
  ///   already gone): what ends long-lived calls (event streams) goes here, so that a client
  ///   reads the GOAWAY before its stream's end.
  public func shutdown(gracePeriod: Duration? = nil, goAwaySent: (@Sendable () -> Void)? = nil) async {
    let taken = self.state.withLock { state -> (any Channel, [any Channel])? in
      guard case .running(let listener, let connections) = state else { return nil }
      state = .stopped
      return (listener, Array(connections.values))
    }
    guard let (listener, connections) = taken else {
      goAwaySent?()
      return
    }
    self.health.setAll(.notServing)
    try? await listener.close()
    var written: [EventLoopFuture<Void>] = []
    for connection in connections {
      // The connection handler succeeds the promise after writing and flushing its GOAWAY.
      let promise = connection.eventLoop.makePromise(of: Void.self)
      connection.triggerUserOutboundEvent(DrainEvent(), promise: promise)
      written.append(promise.futureResult)
    }
    for future in written { try? await future.get() }
    goAwaySent?()
    let grace = gracePeriod ?? self.configuration.drainGracePeriod
    await withTaskGroup(of: Void.self) { group in
      for connection in connections {
        group.addTask {
          let closed = connection.closeFuture
          let timeout = connection.eventLoop.scheduleTask(in: .microseconds(grace.microseconds)) {
            connection.close(promise: nil)
          }
          try? await closed.get()
          timeout.cancel()
        }
      }
    }
    self.logger.info("RPC server stopped")
  }
}

/// Logs accept failures as warnings, at most one line every 10 seconds (with how many were
/// suppressed), so a descriptor shortage is visible without flooding the log.
final class AcceptFailureLog: Sendable {
  private let logger: Logger
  private let state = Mutex<(last: ContinuousClock.Instant?, suppressed: Int)>((nil, 0))

  init(logger: Logger) {
    self.logger = logger
  }

  func note(_ error: IOError) {
    let now = ContinuousClock.now
    let suppressed: Int? = self.state.withLock { state in
      if let last = state.last, now - last < .seconds(10) {
        state.suppressed += 1
        return nil
      }
      let count = state.suppressed
      state = (now, 0)
      return count
    }
    guard let suppressed else { return }
    self.logger.warning(
      "accepting connections failed; pausing accepts for 250 ms",
      metadata: ["error": "\(error)", "suppressed_since_last": "\(suppressed)"])
  }
}
