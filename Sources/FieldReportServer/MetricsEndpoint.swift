import Foundation
import Metrics
import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus

#if canImport(Glibc)
  import Glibc
#endif

/// `fieldreport-server --metrics-port`: the Prometheus text exposition of the process's
/// metrics at `GET /metrics`, over HTTP/1.1 on its own listener.
///
/// ``bootstrap()`` makes swift-prometheus the swift-metrics back end, once per process: the
/// RPC runtime and the store record through swift-metrics and never name the back end.
/// Process gauges (resident memory, open descriptors) are read from `/proc/self` at each
/// scrape.
final class MetricsEndpoint: Sendable {
  private let registry: PrometheusCollectorRegistry
  private let residentMemory: Prometheus.Gauge
  private let openDescriptors: Prometheus.Gauge
  private let channel: any Channel
  /// The endpoint's own event loop: a scrape (rendering every family, reading `/proc`) never
  /// holds up an RPC connection's loop.
  private let group: MultiThreadedEventLoopGroup

  /// The bound address.
  var localAddress: SocketAddress? { self.channel.localAddress }

  private init(
    registry: PrometheusCollectorRegistry, channel: any Channel, group: MultiThreadedEventLoopGroup,
    residentMemory: Prometheus.Gauge, openDescriptors: Prometheus.Gauge
  ) {
    self.registry = registry
    self.channel = channel
    self.group = group
    self.residentMemory = residentMemory
    self.openDescriptors = openDescriptors
  }

  /// Bootstraps the swift-metrics back end: a Prometheus registry, with histogram buckets
  /// fitted to each family. Call once, before anything records a metric.
  static func bootstrap() -> PrometheusCollectorRegistry {
    let registry = PrometheusCollectorRegistry()
    var factory = PrometheusMetricsFactory(registry: registry)
    let micro: (Int) -> Duration = { .microseconds($0) }
    factory.durationHistogramBuckets = [
      // A call here takes from tens of microseconds (health) to seconds (a scrypt login).
      "rpc_server_call_duration_seconds": [
        micro(100), micro(250), micro(500), .milliseconds(1), micro(2_500), .milliseconds(5), .milliseconds(10),
        .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .milliseconds(2_500), .seconds(5), .seconds(10),
      ],
      "fieldreport_store_commit_duration_seconds": [
        micro(50), micro(100), micro(250), micro(500), .milliseconds(1), micro(2_500), .milliseconds(5),
        .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .seconds(1),
      ],
      "fieldreport_store_reader_wait_seconds": [
        micro(10), micro(50), micro(100), micro(500), .milliseconds(1), .milliseconds(5), .milliseconds(10),
        .milliseconds(50), .milliseconds(100), .milliseconds(500), .seconds(1),
      ],
    ]
    factory.valueHistogramBuckets["fieldreport_store_write_batch_size"] = [1, 2, 4, 8, 16, 32, 64]
    MetricsSystem.bootstrap(factory)
    return registry
  }

  /// Starts listening.
  /// - Parameters:
  ///   - registry: The registry ``bootstrap()`` returned.
  ///   - host: The address to listen on.
  ///   - port: The port; 0 for any free one (``localAddress`` tells which).
  /// - Throws: If binding fails.
  static func start(registry: PrometheusCollectorRegistry, host: String, port: Int) async throws -> MetricsEndpoint {
    let residentMemory = registry.makeGauge(
      descriptor: MetricNameDescriptor(
        namespace: "process", metricName: "resident_memory", unitName: "bytes",
        helpText: "Resident set size of the server process, in bytes."))
    let openDescriptors = registry.makeGauge(
      descriptor: MetricNameDescriptor(
        namespace: "process", metricName: "open", unitName: "fds",
        helpText: "File descriptors the server process has open."))
    let scrape: @Sendable () -> [UInt8] = {
      if let bytes = ProcessStatistics.residentBytes() { residentMemory.set(Int64(bytes)) }
      if let count = ProcessStatistics.openDescriptors() { openDescriptors.set(Int64(count)) }
      return registry.emitToBuffer()
    }
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let bootstrap = ServerBootstrap(group: group)
      .serverChannelOption(.backlog, value: 16)
      .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
      .childChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
          // A scraper connects, asks, reads; a connection idle for 30 s is closed.
          try channel.pipeline.syncOperations.addHandler(IdleStateHandler(allTimeout: .seconds(30)))
          try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
          try channel.pipeline.syncOperations.addHandler(MetricsHTTPHandler(scrape: scrape))
        }
      }
    let channel: any Channel
    do {
      channel = try await bootstrap.bind(host: host, port: port).get()
    } catch {
      try? await group.shutdownGracefully()
      throw error
    }
    return MetricsEndpoint(
      registry: registry, channel: channel, group: group, residentMemory: residentMemory,
      openDescriptors: openDescriptors)
  }

  /// Stops listening and closes open scrape connections.
  func close() async {
    try? await self.channel.close()
    try? await self.group.shutdownGracefully()
  }
}

/// Answers `GET /metrics` (and `HEAD`) with the exposition; 404 for other paths, 405 for
/// other methods. Keeps the connection open when the client asks to, until it is idle for
/// the `IdleStateHandler`'s timeout.
final class MetricsHTTPHandler: ChannelInboundHandler {
  typealias InboundIn = HTTPServerRequestPart
  typealias OutboundOut = HTTPServerResponsePart

  private let scrape: @Sendable () -> [UInt8]
  private var request: HTTPRequestHead?

  init(scrape: @escaping @Sendable () -> [UInt8]) {
    self.scrape = scrape
  }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    switch self.unwrapInboundIn(data) {
    case .head(let head):
      self.request = head
    case .body:
      break
    case .end:
      guard let head = self.request else { return }
      self.request = nil
      self.respond(to: head, context: context)
    }
  }

  func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
    if event is IdleStateHandler.IdleStateEvent {
      context.close(promise: nil)
    } else {
      context.fireUserInboundEventTriggered(event)
    }
  }

  func errorCaught(context: ChannelHandlerContext, error: any Error) {
    // A reset or a malformed request (already answered 400 by NIO's error handler): drop it.
    context.close(promise: nil)
  }

  private func respond(to head: HTTPRequestHead, context: ChannelHandlerContext) {
    let path = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
    var headers = HTTPHeaders()
    let status: HTTPResponseStatus
    var body: [UInt8]
    if path != "/metrics" {
      status = .notFound
      body = Array("Not found: the metrics are at /metrics.\n".utf8)
      headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
    } else if head.method != .GET && head.method != .HEAD {
      status = .methodNotAllowed
      body = Array("Only GET and HEAD are allowed.\n".utf8)
      headers.add(name: "Allow", value: "GET, HEAD")
      headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
    } else {
      status = .ok
      body = self.scrape()
      headers.add(name: "Content-Type", value: "text/plain; version=0.0.4; charset=utf-8")
    }
    headers.add(name: "Content-Length", value: "\(body.count)")
    let keepAlive = head.isKeepAlive
    headers.add(name: "Connection", value: keepAlive ? "keep-alive" : "close")
    if head.method == .HEAD { body = [] }
    context.write(self.wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
    if !body.isEmpty {
      context.write(self.wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
    }
    guard !keepAlive else { return context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil) }
    let written = context.eventLoop.makePromise(of: Void.self)
    context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: written)
    written.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
  }
}

/// The process's resident memory and open descriptors, from `/proc/self` (Linux; `nil`
/// elsewhere or if unreadable).
enum ProcessStatistics {
  /// Resident set size in bytes: `/proc/self/statm`'s second field, in pages.
  static func residentBytes() -> Int? {
    guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
    let fields = statm.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
  }

  /// Entries of `/proc/self/fd`, not counting the descriptor used to list them.
  static func openDescriptors() -> Int? {
    guard let directory = opendir("/proc/self/fd") else { return nil }
    defer { closedir(directory) }
    var count = 0
    while let entry = readdir(directory) {
      let isDot = withUnsafeBytes(of: entry.pointee.d_name) { name in name.first == UInt8(ascii: ".") }
      if !isDot { count += 1 }
    }
    return max(0, count - 1)
  }
}
