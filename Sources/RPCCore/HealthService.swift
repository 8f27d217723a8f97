import Synchronization
import WireBridge

/// The health service (`rpc.v1.Health`, like grpc.health.v1): Check answers a service's
/// current status, Watch streams it and every change.
///
/// The server as a whole is the service named `""`. Statuses are set with
/// ``setStatus(_:for:)``; a server marks everything `NOT_SERVING` when it starts draining.
public final class HealthService: RPCService {
  /// `/rpc.v1.Health/Check`.
  public static let check = UnaryMethod<Rpc_V1_HealthCheckRequest, Rpc_V1_HealthCheckResponse>(
    service: "rpc.v1.Health", method: "Check")
  /// `/rpc.v1.Health/Watch`.
  public static let watch = ServerStreamingMethod<Rpc_V1_HealthCheckRequest, Rpc_V1_HealthCheckResponse>(
    service: "rpc.v1.Health", method: "Watch")

  private struct State {
    var statuses: [String: Rpc_V1_ServingStatus] = ["": .serving]
    var watchers: [Int: (service: String, continuation: AsyncStream<Rpc_V1_ServingStatus>.Continuation)] = [:]
    var nextWatcher = 0
  }

  private let state = Mutex(State())

  /// Creates the service; the server as a whole starts `SERVING`.
  public init() {}

  /// Sets a service's status and tells its watchers.
  public func setStatus(_ status: Rpc_V1_ServingStatus, for service: String) {
    let watchers = self.state.withLock { state in
      state.statuses[service] = status
      return state.watchers.values.filter { $0.service == service }.map(\.continuation)
    }
    for watcher in watchers { watcher.yield(status) }
  }

  /// Sets every known service's status (used when draining).
  public func setAll(_ status: Rpc_V1_ServingStatus) {
    let services = self.state.withLock { Array($0.statuses.keys) }
    for service in services { self.setStatus(status, for: service) }
  }

  /// The current status of a service, or `nil` if it is unknown.
  public func status(of service: String) -> Rpc_V1_ServingStatus? {
    self.state.withLock { $0.statuses[service] }
  }

  public func register(into router: inout RPCRouter) {
    router.register(Self.check) { request, _ in
      guard let status = self.status(of: request.service) else {
        throw RPCError(code: .notFound, message: "Unknown service \"\(request.service)\".")
      }
      var response = Rpc_V1_HealthCheckResponse()
      response.status = status
      return response
    }
    router.register(Self.watch) { request, _, writer in
      let (stream, continuation) = AsyncStream<Rpc_V1_ServingStatus>.makeStream(bufferingPolicy: .bufferingNewest(16))
      let id = self.state.withLock { state in
        let id = state.nextWatcher
        state.nextWatcher += 1
        state.watchers[id] = (request.service, continuation)
        continuation.yield(state.statuses[request.service] ?? .serviceUnknown)
        return id
      }
      defer { _ = self.state.withLock { $0.watchers.removeValue(forKey: id) } }
      var last: Rpc_V1_ServingStatus?
      for await status in stream {
        guard status != last else { continue }
        last = status
        var response = Rpc_V1_HealthCheckResponse()
        response.status = status
        try await writer.write(response)
      }
      try Task.checkCancellation()
    }
  }
}
