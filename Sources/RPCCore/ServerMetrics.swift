package import Metrics
import Synchronization

/// A server transport's metrics, through swift-metrics (the process bootstraps the back end;
/// without one they cost a few no-op calls): per method, calls by status code, latency, calls
/// in flight, request and response bytes; per server, open and refused connections.
///
/// Every metric object is made once, when the server is created (a call's status counter the
/// first time that code is seen), so recording a call allocates nothing and takes no label
/// array. Method labels are the registered paths only: an unregistered path, which a client
/// chooses freely, is counted under the method `unknown`.
///
/// Families (with the default prefix `rpc_server`):
/// - `rpc_server_calls_total{method,code}` (counter)
/// - `rpc_server_call_duration_seconds{method}` (timer: a histogram in Prometheus)
/// - `rpc_server_calls_in_flight{method}` (meter: a gauge)
/// - `rpc_server_request_bytes_total{method}`, `rpc_server_response_bytes_total{method}`
/// - `rpc_server_connections_open` (meter: a gauge)
/// - `rpc_server_connections_refused_total{reason}` (counter; see ``ConnectionRefusal``)
///
/// # Thread safety
/// All methods may be called from any thread.
package final class ServerMetrics: Sendable {
  /// The per-method metrics, by path; immutable after `init`, so lookups take no lock.
  private let methods: [String: MethodMetrics]
  /// Calls to paths no method is registered at.
  package let unknownMethod: MethodMetrics
  /// Open connections.
  package let connectionsOpen: Meter
  private let refusals: [Counter]
  /// Whether a back end other than swift-metrics' no-op one was bootstrapped when the metrics
  /// were made: without one, servers do not attach per-method metrics to their methods, and
  /// a call costs nothing for them.
  package let isRecording: Bool

  /// Creates the metrics of a server serving `paths`.
  /// - Parameters:
  ///   - paths: The registered method paths.
  ///   - prefix: The start of every family's name.
  package init(paths: [String], prefix: String = "rpc_server") {
    self.isRecording = !(MetricsSystem.factory is NOOPMetricsHandler)
    var methods: [String: MethodMetrics] = [:]
    for path in paths { methods[path] = MethodMetrics(method: path, prefix: prefix) }
    self.methods = methods
    self.unknownMethod = MethodMetrics(method: "unknown", prefix: prefix)
    self.connectionsOpen = Meter(label: "\(prefix)_connections_open")
    self.refusals = ConnectionRefusal.allCases.map {
      Counter(label: "\(prefix)_connections_refused_total", dimensions: [("reason", $0.rawValue)])
    }
  }

  /// The metrics of the method at `path` (``unknownMethod`` for an unregistered path).
  package func method(_ path: String) -> MethodMetrics {
    self.methods[path] ?? self.unknownMethod
  }

  /// Counts a connection the server refused or closed for a limit.
  package func refused(_ reason: ConnectionRefusal) {
    self.refusals[reason.index].increment()
  }
}

/// Why a server refused or closed a connection (the `reason` label of
/// `rpc_server_connections_refused_total`).
package enum ConnectionRefusal: String, CaseIterable, Sendable {
  /// Past the server's connection limit (or the descriptor limit).
  case maxConnections = "max_connections"
  /// Past the per-address limit.
  case maxConnectionsPerPeer = "max_connections_per_peer"
  /// No preface within the handshake timeout.
  case handshakeTimeout = "handshake_timeout"
  /// A frame stopped arriving for longer than the frame progress timeout.
  case frameTimeout = "frame_timeout"
  /// Closed to free the request memory budget it held.
  case memoryBudget = "memory_budget"
  /// A protocol error (malformed frames, a frame out of place).
  case protocolError = "protocol_error"
  /// No PING ACK within the keepalive timeout.
  case keepaliveTimeout = "keepalive_timeout"

  var index: Int {
    switch self {
    case .maxConnections: 0
    case .maxConnectionsPerPeer: 1
    case .handshakeTimeout: 2
    case .frameTimeout: 3
    case .memoryBudget: 4
    case .protocolError: 5
    case .keepaliveTimeout: 6
    }
  }
}

/// One method's metrics (see ``ServerMetrics``).
package final class MethodMetrics: Sendable {
  private let method: String
  private let prefix: String
  private let inFlight: Meter
  private let duration: Timer
  private let requestBytes: Counter
  private let responseBytes: Counter
  /// OK, the usual outcome, without a lock.
  private let ok: Counter
  /// The other codes' counters, made the first time each is seen (so the exposition lists
  /// only codes that happened), indexed by the code's number.
  private let others = Mutex<[Counter?]>(Array(repeating: nil, count: StatusCode.allCodes.count))

  init(method: String, prefix: String) {
    self.method = method
    self.prefix = prefix
    let label = [("method", method)]
    self.inFlight = Meter(label: "\(prefix)_calls_in_flight", dimensions: label)
    self.duration = Timer(label: "\(prefix)_call_duration_seconds", dimensions: label)
    self.requestBytes = Counter(label: "\(prefix)_request_bytes_total", dimensions: label)
    self.responseBytes = Counter(label: "\(prefix)_response_bytes_total", dimensions: label)
    self.ok = Counter(label: "\(prefix)_calls_total", dimensions: [("method", method), ("code", "OK")])
  }

  /// A handler started.
  package func started() {
    self.inFlight.increment()
  }

  /// A call whose handler started has ended.
  package func ended(_ summary: CallSummary) {
    self.inFlight.decrement()
    self.count(summary.code)
    let (seconds, attoseconds) = summary.duration.components
    self.duration.recordNanoseconds(seconds &* 1_000_000_000 &+ attoseconds / 1_000_000_000)
    if summary.requestBytes > 0 { self.requestBytes.increment(by: Int64(summary.requestBytes)) }
    if summary.responseBytes > 0 { self.responseBytes.increment(by: Int64(summary.responseBytes)) }
  }

  /// Counts a call's final status (also for calls answered without running a handler).
  package func count(_ code: StatusCode) {
    if code == .ok { return self.ok.increment() }
    let counter = self.others.withLock { counters -> Counter in
      if let counter = counters[code.rawValue] { return counter }
      let counter = Counter(
        label: "\(self.prefix)_calls_total", dimensions: [("method", self.method), ("code", code.description)])
      counters[code.rawValue] = counter
      return counter
    }
    counter.increment()
  }
}
