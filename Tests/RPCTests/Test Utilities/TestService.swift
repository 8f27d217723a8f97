import RPCCore
import Synchronization
import WireBridge

/// The conformance suite's service (`rpc.testing.v1.TestService`), modelled on gRPC's
/// interop test service, with probes that let tests observe handler cancellation.
final class TestService: RPCService {
  static let emptyCall = UnaryMethod(Rpc_Testing_V1_TestService.EmptyCall.self)
  static let unaryCall = UnaryMethod(Rpc_Testing_V1_TestService.UnaryCall.self)
  static let streamingOutputCall = ServerStreamingMethod(Rpc_Testing_V1_TestService.StreamingOutputCall.self)
  static let unimplementedCall = UnaryMethod(Rpc_Testing_V1_TestService.UnimplementedCall.self)
  static let unimplementedServiceCall = UnaryMethod(Rpc_Testing_V1_UnimplementedService.UnimplementedCall.self)

  /// The details a failing UnaryCall attaches.
  static let failureDetails: [ErrorDetail] = [
    .badRequest([FieldViolation(field: "report.title", explanation: "Tiêu đề không được để trống")]),
    .preconditionFailure([PreconditionViolation(kind: "STATE", subject: "cases/060326001", explanation: "already closed")]),
    .retryInfo(delay: .milliseconds(1500)),
    .errorInfo(reason: "TEST_FAILURE", domain: "rpc.testing.v1", metadata: ["k": .text("v")]),
  ]

  private struct Counters {
    var started = 0
    var cancelled = 0
  }

  private let counters = Mutex(Counters())
  private let holding = Mutex(true)

  /// `sleepMs` that makes UnaryCall wait until `releaseHeld()` instead of a fixed time, so
  /// tests about calls in flight do not depend on how fast a loaded machine runs.
  static let holdUntilReleased: Int64 = -1

  /// Lets every UnaryCall sent with `holdUntilReleased` finish.
  func releaseHeld() { self.holding.withLock { $0 = false } }

  /// Handlers that started.
  var startedCount: Int { self.counters.withLock { $0.started } }
  /// Handlers that observed cancellation.
  var cancelledCount: Int { self.counters.withLock { $0.cancelled } }

  private func sleep(milliseconds: Int64) async throws {
    if milliseconds == Self.holdUntilReleased {
      while self.holding.withLock({ $0 }) {
        try await self.sleep(milliseconds: 5)
      }
      return
    }
    guard milliseconds > 0 else { return }
    do {
      try await Task.sleep(for: .milliseconds(milliseconds))
    } catch {
      self.counters.withLock { $0.cancelled += 1 }
      throw error
    }
  }

  func register(into router: inout RPCRouter) {
    router.register(Self.emptyCall) { _, _ in Rpc_Testing_V1_Empty() }
    router.register(Self.unaryCall) { request, context in
      self.counters.withLock { $0.started += 1 }
      try await self.sleep(milliseconds: request.sleepMs)
      if request.echoMetadata {
        for entry in context.metadata where entry.key != "x-ignored" {
          context.addTrailer(entry.key, entry.value)
        }
      }
      if request.responseCode != 0 {
        throw RPCError(
          code: StatusCode(rawValue: Int(request.responseCode)) ?? .unknown,
          message: request.responseMessage,
          details: Self.failureDetails
        )
      }
      var response = Rpc_Testing_V1_SimpleResponse()
      var payload = Rpc_Testing_V1_Payload()
      payload.body = [UInt8](repeating: 0, count: Int(max(request.responseSize, 0)))
      response.payload = payload
      return response
    }
    router.register(Self.streamingOutputCall) { request, context, writer in
      self.counters.withLock { $0.started += 1 }
      for parameters in request.responseParameters {
        try await self.sleep(milliseconds: Int64(parameters.intervalMs))
        var response = Rpc_Testing_V1_StreamingOutputCallResponse()
        var payload = Rpc_Testing_V1_Payload()
        payload.body = [UInt8](repeating: 0, count: Int(max(parameters.size, 0)))
        response.payload = payload
        try await writer.write(response)
      }
      context.addTrailer("x-stream-count", .text("\(request.responseParameters.count)"))
    }
  }
}

extension Rpc_Testing_V1_SimpleRequest {
  static func make(
    responseSize: Int32 = 0,
    payloadSize: Int = 0,
    sleepMs: Int64 = 0,
    code: StatusCode? = nil,
    message: String = "",
    echoMetadata: Bool = false
  ) -> Self {
    var request = Self()
    request.responseSize = responseSize
    if payloadSize > 0 {
      var payload = Rpc_Testing_V1_Payload()
      payload.body = [UInt8](repeating: 1, count: payloadSize)
      request.payload = payload
    }
    request.sleepMs = sleepMs
    request.responseCode = Int32(code?.rawValue ?? 0)
    request.responseMessage = message
    request.echoMetadata = echoMetadata
    return request
  }
}

extension Rpc_Testing_V1_StreamingOutputCallRequest {
  static func make(sizes: [Int32], intervalMs: Int32 = 0) -> Self {
    self.make(sizes: sizes, intervalsMs: Array(repeating: intervalMs, count: sizes.count))
  }

  static func make(sizes: [Int32], intervalsMs: [Int32]) -> Self {
    var request = Self()
    request.responseParameters = zip(sizes, intervalsMs).map { size, interval in
      var parameters = Rpc_Testing_V1_ResponseParameters()
      parameters.size = size
      parameters.intervalMs = interval
      return parameters
    }
    return request
  }
}
