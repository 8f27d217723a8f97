import Metrics
import MetricsTestKit
import RPCCore
import Testing
import WireBridge

/// What `MetricsInterceptor` records: per call, one increment of `<prefix>_calls_total` by
/// method and final status code, and one duration in `<prefix>_call_duration` by method.
@Suite("MetricsInterceptor")
struct MetricsInterceptorTests {
  /// The process's metrics back end, bootstrapped once for the test process (swift-metrics
  /// allows one bootstrap per process: another test that needs a back end must share this
  /// one). Servers created later in the suite record into it too; this suite's interceptor
  /// uses a prefix of its own, so nothing else touches the series it reads.
  static let metrics: TestMetrics = {
    let metrics = TestMetrics()
    MetricsSystem.bootstrap(metrics)
    return metrics
  }()

  @Test func countsCallsByMethodAndCodeAndTimesThem() async throws {
    let metrics = Self.metrics
    let prefix = "metrics_interceptor_test"
    var router = RPCRouter()
    router.register(TestService())
    router.interceptors = [MetricsInterceptor(prefix: prefix)]
    let transport = InProcessTransport(router: router)

    _ = try await transport.call(TestService.emptyCall, Rpc_Testing_V1_Empty())
    _ = try await transport.call(TestService.emptyCall, Rpc_Testing_V1_Empty())
    let refused = await #expect(throws: RPCError.self) {
      _ = try await transport.call(TestService.unaryCall, .make(code: .notFound, message: "nope"))
    }
    #expect(refused?.code == .notFound)

    let empty = TestService.emptyCall.descriptor.path
    let unary = TestService.unaryCall.descriptor.path
    let okEmpty = try metrics.expectCounter("\(prefix)_calls_total", [("method", empty), ("code", "OK")])
    #expect(okEmpty.totalValue == 2)
    let notFound = try metrics.expectCounter("\(prefix)_calls_total", [("method", unary), ("code", "NOT_FOUND")])
    #expect(notFound.totalValue == 1)
    // No other code was counted for these methods.
    let all = metrics.counters(label: "\(prefix)_calls_total")
    #expect(all.count == 2)
    let emptyTimer = try metrics.expectTimer("\(prefix)_call_duration", [("method", empty)])
    #expect(emptyTimer.values.count == 2)
    #expect(emptyTimer.values.allSatisfy { $0 >= 0 })
    let unaryTimer = try metrics.expectTimer("\(prefix)_call_duration", [("method", unary)])
    #expect(unaryTimer.values.count == 1)
  }
}
