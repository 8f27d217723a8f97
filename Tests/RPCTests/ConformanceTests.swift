import NIOCore
import RPCCore
@testable import RPCNIO
import Synchronization
import Testing
import WireBridge

/// The conformance suite over real loopback sockets, modelled on gRPC's interop cases. Each
/// test asserts the exact status and, where the test could have hurt the server, that it
/// still serves a fresh connection afterwards.
@Suite("Conformance (loopback)", .timeLimit(.minutes(1)))
struct ConformanceTests {
  @Test func emptyUnary() async throws {
    try await TestServer.with { _, client in
      let response = try await client.call(TestService.emptyCall, Rpc_Testing_V1_Empty())
      #expect(response == Rpc_Testing_V1_Empty())
    }
  }

  @Test func largeUnary() async throws {
    try await TestServer.with { _, client in
      let response = try await client.call(
        TestService.unaryCall,
        .make(responseSize: 314_159, payloadSize: 271_828)
      )
      #expect(response.payload?.body.count == 314_159)
    }
  }

  @Test func serverStreaming() async throws {
    try await TestServer.with { _, client in
      let sizes: [Int32] = [31415, 9, 2653, 58979]
      let responses = try await client.collect(TestService.streamingOutputCall, .make(sizes: sizes))
      #expect(responses.map { Int32($0.payload?.body.count ?? -1) } == sizes)
    }
  }

  @Test func serverStreamingTrailers() async throws {
    try await TestServer.with { _, client in
      let trailers = try await client.serverStreaming(
        TestService.streamingOutputCall,
        request: .make(sizes: [1, 2, 3]),
        options: .defaults
      ) { _ in }
      #expect(trailers.firstText("x-stream-count") == "3")
    }
  }

  @Test func customMetadata() async throws {
    try await TestServer.with { _, client in
      var metadata = Metadata()
      metadata.add("x-grpc-test-echo-initial", text: "test_initial_metadata_value")
      metadata.add("x-trace-id", text: "Đường ☺")
      metadata.add("x-grpc-test-echo-trailing-bin", binary: [0x0A, 0x0B, 0x0A, 0x0B, 0x0A, 0x0B, 0x00, 0xFF])
      let response = try await client.unary(
        TestService.unaryCall,
        request: .make(responseSize: 10, echoMetadata: true),
        options: CallOptions(metadata: metadata)
      )
      #expect(response.trailers.firstText("x-grpc-test-echo-initial") == "test_initial_metadata_value")
      #expect(response.trailers.firstText("x-trace-id") == "Đường ☺")
      #expect(response.trailers.first("x-grpc-test-echo-trailing-bin") == .binary([0x0A, 0x0B, 0x0A, 0x0B, 0x0A, 0x0B, 0x00, 0xFF]))
    }
  }

  @Test func errorTrailersCarryMetadata() async throws {
    try await TestServer.with { _, client in
      let error = await #expect(throws: RPCError.self) {
        _ = try await client.unary(
          TestService.unaryCall,
          request: .make(code: .aborted, message: "stale", echoMetadata: true),
          options: CallOptions(metadata: ["idempotency-key": .text("k-1")])
        )
      }
      #expect(error?.code == .aborted)
      #expect(error?.metadata.firstText("idempotency-key") == "k-1")
    }
  }

  @Test(arguments: StatusCode.allCodes.filter { $0 != .ok })
  func statusCodeAndMessage(code: StatusCode) async throws {
    try await TestServer.with { _, client in
      let error = await #expect(throws: RPCError.self) {
        _ = try await client.call(TestService.unaryCall, .make(code: code, message: "test status message"))
      }
      #expect(error?.code == code)
      #expect(error?.message == "test status message")
      #expect(error?.details == TestService.failureDetails)
      #expect(error?.retryDelay == .milliseconds(1500))
      #expect(error?.fieldViolations.first?.field == "report.title")
    }
  }

  @Test func specialStatusMessage() async throws {
    let message = "\t\ttest with whitespace\r\nand Unicode BMP ☺ and non-BMP 😈\t\n Tiếng Việt: Lê Văn Đường, Phường Trần Phú"
    try await TestServer.with { _, client in
      let error = await #expect(throws: RPCError.self) {
        _ = try await client.call(TestService.unaryCall, .make(code: .unknown, message: message))
      }
      #expect(error?.code == .unknown)
      #expect(error?.message == message)
    }
  }

  @Test func unimplementedMethod() async throws {
    try await TestServer.with { _, client in
      let error = await #expect(throws: RPCError.self) {
        _ = try await client.call(TestService.unimplementedCall, Rpc_Testing_V1_Empty())
      }
      #expect(error?.code == .unimplemented)
      // Same client, same connection: still serves.
      _ = try await client.call(TestService.emptyCall, Rpc_Testing_V1_Empty())
    }
  }

  @Test func unimplementedService() async throws {
    try await TestServer.with { server, client in
      let error = await #expect(throws: RPCError.self) {
        _ = try await client.call(TestService.unimplementedServiceCall, Rpc_Testing_V1_Empty())
      }
      #expect(error?.code == .unimplemented)
      #expect(error?.message.contains("rpc.testing.v1.UnimplementedService") == true)
      _ = try await client.call(TestService.emptyCall, Rpc_Testing_V1_Empty())
      try await server.assertServing()
    }
  }

  @Test func cancelAfterBegin() async throws {
    try await TestServer.with { server, client in
      let task = Task {
        try await client.collect(TestService.streamingOutputCall, .make(sizes: [1, 2], intervalMs: 60_000))
      }
      #expect(await eventually { server.service.startedCount == 1 })
      task.cancel()
      let result = await task.result
      #expect(throws: RPCError(code: .cancelled, message: "The call was cancelled.")) { try result.get() }
      // The cancel frame reached the handler as task cancellation.
      #expect(await eventually { server.service.cancelledCount == 1 })
      try await server.assertServing()
    }
  }

  @Test func cancelAfterFirstResponse() async throws {
    struct Enough: Error {}
    try await TestServer.with { server, client in
      let received = Mutex(0)
      let error = await #expect(throws: RPCError.self) {
        _ = try await client.serverStreaming(
          TestService.streamingOutputCall,
          request: .make(sizes: [31415, 9, 2653, 58979], intervalsMs: [0, 60_000, 60_000, 60_000]),
          options: .defaults
        ) { _ in
          received.withLock { $0 += 1 }
          throw RPCError(code: .cancelled, message: "enough")
        }
      }
      #expect(error?.code == .cancelled)
      #expect(received.withLock { $0 } == 1)
      #expect(await eventually { server.service.cancelledCount == 1 })
      try await server.assertServing()
    }
  }

  @Test func timeoutOnSleepingServer() async throws {
    try await TestServer.with { server, client in
      let error = await #expect(throws: RPCError.self) {
        _ = try await client.call(
          TestService.unaryCall,
          .make(sleepMs: 60_000),
          options: CallOptions(timeout: .milliseconds(100))
        )
      }
      #expect(error?.code == .deadlineExceeded)
      // The server enforces the deadline too: the handler is cancelled.
      #expect(await eventually { server.service.cancelledCount == 1 })
      try await server.assertServing()
    }
  }

  @Test func serverEnforcesDeadlineItself() async throws {
    let server = try await TestServer.start()
    let raw = try await RawConnection(port: server.port)
    try await raw.sendPreface()
    try await raw.sendCall(id: 1, path: TestService.unaryCall.descriptor.path, timeoutUs: 50_000, message: Rpc_Testing_V1_SimpleRequest.make(sleepMs: 60_000))
    let status = try await raw.nextStatus()
    #expect(status?.0 == 1)
    #expect(status?.1.code == .deadlineExceeded)
    #expect(await eventually { server.service.cancelledCount == 1 })
    await raw.close()
    await server.server.shutdown(gracePeriod: .seconds(1))
  }

  @Test func concurrentLargeUnary() async throws {
    try await TestServer.with { _, client in
      let sizes = try await withThrowingTaskGroup(of: Int.self) { group in
        for _ in 0..<1000 {
          group.addTask {
            let response = try await client.call(
              TestService.unaryCall,
              .make(responseSize: 314_159, payloadSize: 271_828)
            )
            return response.payload?.body.count ?? -1
          }
        }
        return try await group.reduce(into: [Int]()) { $0.append($1) }
      }
      #expect(sizes.count == 1000)
      #expect(sizes.allSatisfy { $0 == 314_159 })
    }
  }

  @Test func callsCompleteOutOfOrder() async throws {
    try await TestServer.with { server, client in
      let slow = Task {
        try await client.call(TestService.unaryCall, .make(sleepMs: 60_000))
      }
      #expect(await eventually { server.service.startedCount == 1 })
      // A later call on the same connection completes while the first is still running.
      _ = try await client.call(TestService.unaryCall, .make(responseSize: 5))
      slow.cancel()
      await #expect(throws: RPCError.self) { try await slow.value }
    }
  }

  @Test func oversizedMessageIsResourceExhaustedAndConnectionStays() async throws {
    var limits = ConnectionLimits()
    limits.maxMessageSize = 1024
    let server = try await TestServer.start(limits: limits)
    let raw = try await RawConnection(port: server.port)
    try await raw.sendPreface()
    try await raw.sendCall(id: 1, path: TestService.unaryCall.descriptor.path, message: Rpc_Testing_V1_SimpleRequest.make(payloadSize: 4096))
    let status = try await raw.nextStatus()
    #expect(status?.0 == 1)
    #expect(status?.1.code == .resourceExhausted)
    // The same connection goes on serving.
    try await raw.sendCall(id: 2, path: TestService.emptyCall.descriptor.path, message: Rpc_Testing_V1_Empty())
    let (header, _) = try #require(try await raw.next(.message))
    #expect(header.callID == 2)
    await raw.close()
    await server.server.shutdown(gracePeriod: .seconds(1))
  }

  @Test func clientRefusesRequestOverServerLimit() async throws {
    var limits = ConnectionLimits()
    limits.maxMessageSize = 1024
    try await TestServer.with(limits: limits) { _, client in
      let error = await #expect(throws: RPCError.self) {
        _ = try await client.call(TestService.unaryCall, .make(payloadSize: 4096))
      }
      #expect(error?.code == .resourceExhausted)
    }
  }

  @Test func responseOverClientLimitIsResourceExhausted() async throws {
    let server = try await TestServer.start()
    var limits = ConnectionLimits()
    limits.maxMessageSize = 1024  // the smallest a peer may announce
    let client = server.client(limits: limits)
    let error = await #expect(throws: RPCError.self) {
      _ = try await client.call(TestService.unaryCall, .make(responseSize: 5000))
    }
    #expect(error?.code == .resourceExhausted)
    _ = try await client.call(TestService.unaryCall, .make(responseSize: 10))
    await client.close()
    await server.server.shutdown(gracePeriod: .seconds(1))
  }

  @Test func oversizedHeadersAreResourceExhausted() async throws {
    var limits = ConnectionLimits()
    limits.maxMetadataSize = 512
    let server = try await TestServer.start(limits: limits)
    let raw = try await RawConnection(port: server.port)
    try await raw.sendPreface()
    var headers = Rpc_V1_CallHeaders()
    headers.methodPath = TestService.emptyCall.descriptor.path
    var entry = Rpc_V1_MetadataEntry()
    entry.key = "x-big"
    entry.value = .text(String(repeating: "a", count: 2000))
    headers.metadata = [entry]
    var buffer = ByteBuffer()
    try headers.serializedBytes().withUnsafeBytes { buffer.writeFrame(type: .headers, callID: 1, payload: $0) }
    try await raw.write(buffer)
    let status = try await raw.nextStatus()
    #expect(status?.1.code == .resourceExhausted)
    try await raw.sendCall(id: 2, path: TestService.emptyCall.descriptor.path, message: Rpc_Testing_V1_Empty())
    let (header, _) = try #require(try await raw.next(.message))
    #expect(header.callID == 2)
    await raw.close()
    await server.server.shutdown(gracePeriod: .seconds(1))
  }

  @Test func maxConcurrentCallsPerConnection() async throws {
    var limits = ConnectionLimits()
    limits.maxConcurrentCalls = 2
    try await TestServer.with(limits: limits) { server, client in
      let slow = (0..<2).map { _ in
        Task { try await client.call(TestService.unaryCall, .make(sleepMs: 60_000)) }
      }
      #expect(await eventually { server.service.startedCount == 2 })
      let error = await #expect(throws: RPCError.self) {
        _ = try await client.call(TestService.emptyCall, Rpc_Testing_V1_Empty())
      }
      #expect(error?.code == .resourceExhausted)
      for task in slow { task.cancel() }
    }
  }

  @Test func undecodablePayloadIsInvalidArgument() async throws {
    let server = try await TestServer.start()
    let raw = try await RawConnection(port: server.port)
    try await raw.sendPreface()
    try await raw.sendCall(id: 1, path: TestService.unaryCall.descriptor.path, message: nil as Rpc_Testing_V1_Empty?)
    var buffer = ByteBuffer()
    let garbage: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]
    garbage.withUnsafeBytes { buffer.writeFrame(type: .message, flags: .endStream, callID: 1, payload: $0) }
    try await raw.write(buffer)
    let status = try await raw.nextStatus()
    #expect(status?.1.code == .invalidArgument)
    try await raw.sendCall(id: 2, path: TestService.emptyCall.descriptor.path, message: Rpc_Testing_V1_Empty())
    #expect(try await raw.next(.message)?.0.callID == 2)
    await raw.close()
    await server.server.shutdown(gracePeriod: .seconds(1))
  }

  @Test("a NUL in a request's string field or a metadata value is INVALID_ARGUMENT naming it")
  func embeddedNULIsRefused() async throws {
    let server = try await TestServer.start()
    let raw = try await RawConnection(port: server.port)
    try await raw.sendPreface()
    // The encoder refuses NUL, so the hostile bytes are a valid encoding with '~' made NUL.
    func nul(_ bytes: [UInt8]) -> [UInt8] { bytes.map { $0 == UInt8(ascii: "~") ? 0 : $0 } }

    var request = Rpc_Testing_V1_SimpleRequest()
    request.responseMessage = "thang.ld~anything"
    var headers = Rpc_V1_CallHeaders()
    headers.methodPath = TestService.unaryCall.descriptor.path
    var buffer = ByteBuffer()
    try headers.serializedBytes().withUnsafeBytes { buffer.writeFrame(type: .headers, callID: 1, payload: $0) }
    nul(try request.serializedBytes()).withUnsafeBytes {
      buffer.writeFrame(type: .message, flags: .endStream, callID: 1, payload: $0)
    }
    try await raw.write(buffer)
    let first = try await raw.nextStatus()
    #expect(first?.0 == 1)
    #expect(first?.1.code == .invalidArgument)
    #expect(first?.1.message.contains("response_message") == true, "\(first?.1.message ?? "")")

    var entry = Rpc_V1_MetadataEntry()
    entry.key = "authorization"
    entry.value = .text("Bearer token~junk")
    headers.metadata = [entry]
    buffer.clear()
    nul(try headers.serializedBytes()).withUnsafeBytes { buffer.writeFrame(type: .headers, callID: 3, payload: $0) }
    try Rpc_Testing_V1_Empty().serializedBytes().withUnsafeBytes {
      buffer.writeFrame(type: .message, flags: .endStream, callID: 3, payload: $0)
    }
    try await raw.write(buffer)
    let second = try await raw.nextStatus()
    #expect(second?.0 == 3)
    #expect(second?.1.code == .invalidArgument)
    #expect(second?.1.message.contains("metadata.text") == true, "\(second?.1.message ?? "")")

    // The connection still serves a well-formed call.
    try await raw.sendCall(id: 5, path: TestService.emptyCall.descriptor.path, message: Rpc_Testing_V1_Empty())
    #expect(try await raw.next(.message)?.0.callID == 5)
    await raw.close()
    await server.server.shutdown(gracePeriod: .seconds(1))
  }

  @Test("a result produced after the deadline is DEADLINE_EXCEEDED, even from a synchronous handler")
  func deadlineEnforcedForSynchronousHandlers() async throws {
    let server = try await TestServer.start()
    let raw = try await RawConnection(port: server.port)
    try await raw.sendPreface()
    // 1 µs: over before the handler (which answers without suspending) can finish.
    try await raw.sendCall(id: 1, path: TestService.emptyCall.descriptor.path, timeoutUs: 1, message: Rpc_Testing_V1_Empty())
    let status = try await raw.nextStatus()
    #expect(status?.0 == 1)
    #expect(status?.1.code == .deadlineExceeded)
    // A generous deadline is met.
    try await raw.sendCall(id: 3, path: TestService.emptyCall.descriptor.path, timeoutUs: 10_000_000, message: Rpc_Testing_V1_Empty())
    #expect(try await raw.nextStatus()?.1.code == .ok)
    await raw.close()
    await server.server.shutdown(gracePeriod: .seconds(1))
  }

  @Test("settings below their minimum are a protocol error; a status over the client's limit is replaced by one that fits")
  func settingsMinimumsAndStatusReplacement() async throws {
    let server = try await TestServer.start()
    func preface(_ settings: Rpc_V1_Settings) throws -> ByteBuffer {
      var buffer = ByteBuffer()
      buffer.writePreface(Preface(first: 1, second: 1, settings: try settings.serializedBytes()))
      return buffer
    }
    var tiny = Rpc_V1_Settings()
    tiny.maxMetadataSize = 100
    let refused = try await RawConnection(port: server.port)
    try await refused.write(try preface(tiny))
    let frames = await refused.drainToEOF()
    let goAway = frames.compactMap { frame -> Rpc_V1_GoAway? in
      guard case .frame(let header, let payload) = frame, header.type == .goAway else { return nil }
      return payload.withUnsafeReadableBytes { try? Rpc_V1_GoAway(serializedBytes: $0) }
    }.first
    #expect(goAway?.code == .protocolError)
    #expect(goAway?.reason.contains("max_metadata_size") == true)

    // At the minimum (1,024 bytes), an OK whose echoed trailers do not fit is answered with a
    // short RESOURCE_EXHAUSTED status, within the limit.
    var small = Rpc_V1_Settings()
    small.maxMetadataSize = 1024
    let raw = try await RawConnection(port: server.port)
    try await raw.write(try preface(small))
    var entry = Rpc_V1_MetadataEntry()
    entry.key = "x-big"
    entry.value = .text(String(repeating: "x", count: 2000))
    try await raw.sendCall(
      id: 1, path: TestService.unaryCall.descriptor.path, metadata: [entry],
      message: Rpc_Testing_V1_SimpleRequest.make(responseSize: 1, echoMetadata: true))
    let (header, payload) = try #require(try await raw.next(.status))
    #expect(header.length <= 1024)
    let status = try payload.withUnsafeReadableBytes { try Rpc_V1_Status(serializedBytes: $0) }
    #expect(status.code == .resourceExhausted)
    #expect(status.message.contains("trailers"))
    await raw.close()
    await server.server.shutdown(gracePeriod: .seconds(1))
  }

  @Test("PROTOCOL.md §3.5: malformed path, no END_STREAM, CANCEL racing the answer, HEADERS after the client's GOAWAY")
  func edgeCasesAnswered() async throws {
    let server = try await TestServer.start()
    let raw = try await RawConnection(port: server.port)
    // Frames right behind the client's own preface, without waiting for the server's.
    try await raw.sendPreface()
    try await raw.sendCall(id: 1, path: "no-slashes", message: Rpc_Testing_V1_Empty())
    let malformed = try await raw.nextStatus()
    #expect(malformed?.0 == 1)
    #expect(malformed?.1.code == .unimplemented)
    #expect(malformed?.1.message.contains("Malformed method path") == true)

    // A request MESSAGE without END_STREAM still starts the call.
    var buffer = ByteBuffer()
    var headers = Rpc_V1_CallHeaders()
    headers.methodPath = TestService.emptyCall.descriptor.path
    try headers.serializedBytes().withUnsafeBytes { buffer.writeFrame(type: .headers, callID: 3, payload: $0) }
    buffer.writeFrame(type: .message, flags: [], callID: 3, payload: UnsafeRawBufferPointer(start: nil, count: 0))
    try await raw.write(buffer)
    #expect(try await raw.nextStatus()?.1.code == .ok)

    // CANCEL in the same write as HEADERS+MESSAGE: a handler that answers without suspending
    // has answered before the CANCEL is read (documented); a suspended one is cancelled and
    // sends nothing.
    buffer.clear()
    try headers.serializedBytes().withUnsafeBytes { buffer.writeFrame(type: .headers, callID: 5, payload: $0) }
    buffer.writeFrame(type: .message, flags: .endStream, callID: 5, payload: UnsafeRawBufferPointer(start: nil, count: 0))
    buffer.writeFrame(type: .cancel, callID: 5, payload: UnsafeRawBufferPointer(start: nil, count: 0))
    var held = Rpc_V1_CallHeaders()
    held.methodPath = TestService.unaryCall.descriptor.path
    try held.serializedBytes().withUnsafeBytes { buffer.writeFrame(type: .headers, callID: 7, payload: $0) }
    try Rpc_Testing_V1_SimpleRequest.make(sleepMs: TestService.holdUntilReleased).serializedBytes().withUnsafeBytes {
      buffer.writeFrame(type: .message, flags: .endStream, callID: 7, payload: $0)
    }
    buffer.writeFrame(type: .cancel, callID: 7, payload: UnsafeRawBufferPointer(start: nil, count: 0))
    try await raw.write(buffer)
    let raced = try await raw.nextStatus()
    #expect(raced?.0 == 5)
    #expect(raced?.1.code == .ok)

    // The client's GOAWAY while call 9 runs: HEADERS after it are refused UNAVAILABLE,
    // retryable; call 9 finishes; then the server closes the connection.
    buffer.clear()
    try held.serializedBytes().withUnsafeBytes { buffer.writeFrame(type: .headers, callID: 9, payload: $0) }
    try Rpc_Testing_V1_SimpleRequest.make(sleepMs: TestService.holdUntilReleased).serializedBytes().withUnsafeBytes {
      buffer.writeFrame(type: .message, flags: .endStream, callID: 9, payload: $0)
    }
    var goAway = Rpc_V1_GoAway()
    goAway.lastCallId = 9
    try goAway.serializedBytes().withUnsafeBytes { buffer.writeFrame(type: .goAway, callID: 0, payload: $0) }
    try headers.serializedBytes().withUnsafeBytes { buffer.writeFrame(type: .headers, callID: 11, payload: $0) }
    try await raw.write(buffer)
    let after = try await raw.nextStatus()
    #expect(after?.0 == 11, "no STATUS for the cancelled call 7")
    #expect(after?.1.code == .unavailable)
    #expect(after?.1.details.isEmpty == false)
    server.service.releaseHeld()
    let finished = try await raw.nextStatus()
    #expect(finished?.0 == 9)
    #expect(finished?.1.code == .ok)
    #expect(await raw.drainToEOF().isEmpty, "closed once no call is in flight")
    await raw.close()
    await server.server.shutdown(gracePeriod: .seconds(1))
  }

  @Test("metadata keys are compared exactly: an uppercase key is invalid")
  func strictMetadata() async throws {
    let server = try await TestServer.start()
    let raw = try await RawConnection(port: server.port)
    try await raw.sendPreface()
    func entry(_ key: String, _ text: String) -> Rpc_V1_MetadataEntry {
      var entry = Rpc_V1_MetadataEntry()
      entry.key = key
      entry.value = .text(text)
      return entry
    }
    let refused: [(UInt32, [Rpc_V1_MetadataEntry], String)] = [
      (1, [entry("Authorization", "Bearer x")], "Authorization"),
      (5, [entry("x-trace-id", "ok"), entry("X-Other", "v")], "X-Other"),
    ]
    for (id, metadata, key) in refused {
      try await raw.sendCall(
        id: id, path: TestService.emptyCall.descriptor.path, metadata: metadata, message: Rpc_Testing_V1_Empty())
      let status = try await raw.nextStatus()
      #expect(status?.0 == id)
      #expect(status?.1.code == .invalidArgument)
      #expect(status?.1.message.contains(key) == true, "\(status?.1.message ?? "")")
    }
    // The same connection still serves a well-formed call.
    try await raw.sendCall(
      id: 7, path: TestService.emptyCall.descriptor.path, metadata: [entry("x-trace-id", "abc")],
      message: Rpc_Testing_V1_Empty())
    #expect(try await raw.next(.message)?.0.callID == 7)
    await raw.close()
    await server.server.shutdown(gracePeriod: .seconds(1))
  }

  @Test func truncatedFrameThenEOF() async throws {
    let server = try await TestServer.start()
    let raw = try await RawConnection(port: server.port)
    try await raw.sendPreface()
    // A whole call (HEADERS and MESSAGE with END_STREAM) whose MESSAGE announces 200 KiB
    // (over InboundMemoryBudget.freeBelow, so the server reserves room for it) and brings 10
    // bytes, then EOF: the call never completes, so it never runs.
    var buffer = ByteBuffer()
    var headers = Rpc_V1_CallHeaders()
    headers.methodPath = TestService.unaryCall.descriptor.path
    try headers.serializedBytes().withUnsafeBytes { buffer.writeFrame(type: .headers, callID: 1, payload: $0) }
    buffer.writeFrameHeader(type: .message, flags: .endStream, callID: 1, length: 200 * 1024)
    buffer.writeBytes([UInt8](repeating: 0x0A, count: 10))
    try await raw.write(buffer)
    #expect(await eventually { server.server.requestBudget.used == 200 * 1024 })
    try await raw.channel.close(mode: .output)
    // The server answered the preface and nothing else (no STATUS for a call it never had
    // whole), and closed the connection.
    let frames = await raw.drainToEOF()
    await raw.close()
    #expect(frames.count == 1, "\(frames)")
    if case .preface? = frames.first {} else { Issue.record("the server's first answer is its preface: \(frames)") }
    #expect(server.service.startedCount == 0)
    #expect(await eventually { server.server.connectionCount == 0 })
    // The room held for the partial MESSAGE went back to the server-wide budget.
    #expect(await eventually { server.server.requestBudget.used == 0 })
    try await server.assertServing()
    await server.server.shutdown(gracePeriod: .seconds(1))
  }

  @Test func garbagePreface() async throws {
    let server = try await TestServer.start()
    let raw = try await RawConnection(port: server.port)
    try await raw.write(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
    // The server closes without answering (nothing it could say would be understood).
    let frames = await raw.drainToEOF()
    #expect(frames.isEmpty)
    await raw.close()
    try await server.assertServing()
    await server.server.shutdown(gracePeriod: .seconds(1))
  }

  @Test func noCommonVersion() async throws {
    let server = try await TestServer.start()
    let raw = try await RawConnection(port: server.port)
    var buffer = ByteBuffer()
    buffer.writePreface(Preface(first: 7, second: 9, settings: []))
    try await raw.write(buffer)
    let frames = await raw.drainToEOF()
    #expect(frames == [.preface(Preface(first: 0, second: 0, settings: []))])
    await raw.close()
    try await server.assertServing()
    await server.server.shutdown(gracePeriod: .seconds(1))
  }

  private func expectGoAway(_ frames: [InboundFrame], code: Rpc_V1_GoAwayCode, reasonContains: String) throws {
    let goAway = try #require(
      frames.compactMap { frame -> Rpc_V1_GoAway? in
        guard case .frame(let header, let payload) = frame, header.type == .goAway else { return nil }
        return try? payload.withUnsafeReadableBytes { try Rpc_V1_GoAway(serializedBytes: $0) }
      }.first
    )
    #expect(goAway.code == code)
    #expect(goAway.reason.contains(reasonContains), "reason: \(goAway.reason)")
  }

  @Test func reusedCallIDIsProtocolError() async throws {
    let server = try await TestServer.start()
    let raw = try await RawConnection(port: server.port)
    try await raw.sendPreface()
    try await raw.sendCall(id: 5, path: TestService.unaryCall.descriptor.path, message: Rpc_Testing_V1_SimpleRequest.make(sleepMs: 60_000))
    #expect(await eventually { server.service.startedCount == 1 })
    try await raw.sendCall(id: 5, path: TestService.emptyCall.descriptor.path, message: Rpc_Testing_V1_Empty())
    let frames = await raw.drainToEOF()
    try self.expectGoAway(frames, code: .protocolError, reasonContains: "reused")
    // The in-flight handler on the closed connection was cancelled.
    #expect(await eventually { server.service.cancelledCount == 1 })
    await raw.close()
    try await server.assertServing()
    await server.server.shutdown(gracePeriod: .seconds(1))
  }

  @Test func theLastCallIDIsServedAndNoCallCanFollowIt() async throws {
    // Call ids only grow on a connection: a client that used the last one (2^32 - 1) must open
    // a new connection for its next call. The server serves that call; any HEADERS after it
    // can only carry an id that is not greater, a protocol error.
    let server = try await TestServer.start()
    let raw = try await RawConnection(port: server.port)
    try await raw.sendPreface()
    try await raw.sendCall(id: UInt32.max, path: TestService.unaryCall.descriptor.path, message: Rpc_Testing_V1_SimpleRequest.make(responseSize: 2))
    let (id, status) = try #require(try await raw.nextStatus())
    #expect(id == UInt32.max)
    #expect(status.code == .ok)
    try await raw.sendCall(id: 1, path: TestService.unaryCall.descriptor.path, message: Rpc_Testing_V1_SimpleRequest.make())
    let frames = await raw.drainToEOF()
    try self.expectGoAway(frames, code: .protocolError, reasonContains: "not greater than the last call id \(UInt32.max)")
    await raw.close()
    try await server.assertServing()
    await server.server.shutdown(gracePeriod: .seconds(1))
  }

  @Test func unknownFrameTypeIsProtocolError() async throws {
    let server = try await TestServer.start()
    let raw = try await RawConnection(port: server.port)
    try await raw.sendPreface()
    var buffer = ByteBuffer()
    buffer.writeFrameHeader(type: FrameType(rawValue: 0x7E), flags: [], callID: 0, length: 0)
    try await raw.write(buffer)
    let frames = await raw.drainToEOF()
    try self.expectGoAway(frames, code: .protocolError, reasonContains: "unknown frame type")
    await raw.close()
    try await server.assertServing()
    await server.server.shutdown(gracePeriod: .seconds(1))
  }

  @Test func pingIsAnswered() async throws {
    let server = try await TestServer.start()
    let raw = try await RawConnection(port: server.port)
    try await raw.sendPreface()
    var buffer = ByteBuffer()
    let opaque: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8]
    opaque.withUnsafeBytes { buffer.writeFrame(type: .ping, callID: 0, payload: $0) }
    try await raw.write(buffer)
    let (header, payload) = try #require(try await raw.next(.ping))
    #expect(header.flags.contains(.ack))
    #expect(Array(payload.readableBytesView) == opaque)
    await raw.close()
    await server.server.shutdown(gracePeriod: .seconds(1))
  }

  @Test func callAfterDrain() async throws {
    let server = try await TestServer.start()
    let raw = try await RawConnection(port: server.port)
    try await raw.sendPreface()
    // Held in flight until the test releases it, however slowly a loaded machine runs.
    try await raw.sendCall(
      id: 1, path: TestService.unaryCall.descriptor.path,
      message: Rpc_Testing_V1_SimpleRequest.make(responseSize: 3, sleepMs: TestService.holdUntilReleased))
    #expect(await eventually { server.service.startedCount == 1 })
    let shutdown = Task { await server.server.shutdown(gracePeriod: .seconds(60)) }
    var statuses: [UInt32: Rpc_V1_Status] = [:]
    var goAway: Rpc_V1_GoAway?
    while goAway == nil, let frame = try await raw.next() {
      guard case .frame(let header, let payload) = frame else { continue }
      if header.type == .goAway {
        goAway = try payload.withUnsafeReadableBytes { try Rpc_V1_GoAway(serializedBytes: $0) }
      } else if header.type == .status {
        statuses[header.callID] = try payload.withUnsafeReadableBytes { try Rpc_V1_Status(serializedBytes: $0) }
      }
    }
    #expect(goAway?.code == .noError)
    #expect(goAway?.lastCallId == 1)
    // A call after the drain began fails UNAVAILABLE, retryable.
    try await raw.sendCall(id: 2, path: TestService.emptyCall.descriptor.path, message: Rpc_Testing_V1_Empty())
    while statuses[2] == nil, let (id, status) = try await raw.nextStatus() { statuses[id] = status }
    #expect(statuses[2]?.code == .unavailable)
    #expect(statuses[2].map { RPCError(wireStatus: $0).retryDelay } == .zero)
    // The call in flight then completes normally, and the drain ends.
    server.service.releaseHeld()
    while statuses[1] == nil, let (id, status) = try await raw.nextStatus() { statuses[id] = status }
    #expect(statuses[1]?.code == .ok)
    _ = await raw.drainToEOF()
    await shutdown.value
    await raw.close()
  }

  @Test func clientSeesUnavailableAfterDrain() async throws {
    let server = try await TestServer.start()
    let client = server.client()
    _ = try await client.call(TestService.emptyCall, Rpc_Testing_V1_Empty())
    await server.server.shutdown(gracePeriod: .seconds(1))
    let error = await #expect(throws: RPCError.self) {
      _ = try await client.call(TestService.emptyCall, Rpc_Testing_V1_Empty())
    }
    #expect(error?.code == .unavailable)
    await client.close()
  }

  @Test func twoHundredConnectionsAtOnce() async throws {
    let server = try await TestServer.start()
    let clients = (0..<200).map { _ in server.client() }
    let results = try await withThrowingTaskGroup(of: Int.self) { group in
      for client in clients {
        group.addTask {
          let response = try await client.call(TestService.unaryCall, .make(responseSize: 100))
          return response.payload?.body.count ?? 0
        }
      }
      return try await group.reduce(into: [Int]()) { $0.append($1) }
    }
    #expect(results.count == 200)
    #expect(results.allSatisfy { $0 == 100 })
    #expect(server.server.connectionCount == 200)
    for client in clients { await client.close() }
    try await server.assertServing()
    await server.server.shutdown(gracePeriod: .seconds(1))
  }

  @Test func reconnectsAfterServerRestart() async throws {
    let first = try await TestServer.start()
    let client = first.client()
    _ = try await client.call(TestService.emptyCall, Rpc_Testing_V1_Empty())
    await first.server.shutdown(gracePeriod: .seconds(1))
    // Nothing listens: UNAVAILABLE, with a retry hint.
    let error = await #expect(throws: RPCError.self) {
      _ = try await client.call(TestService.emptyCall, Rpc_Testing_V1_Empty())
    }
    #expect(error?.code == .unavailable)
    #expect(error?.retryDelay != nil)
    // A new server on the same port: the same client reconnects (after its backoff).
    let second = try await TestServer.start(port: first.port)
    var succeeded = false
    for _ in 0..<100 where !succeeded {
      do {
        _ = try await client.call(TestService.emptyCall, Rpc_Testing_V1_Empty())
        succeeded = true
      } catch {
        try await Task.sleep(for: .milliseconds(50))
      }
    }
    #expect(succeeded)
    await client.close()
    await second.server.shutdown(gracePeriod: .seconds(1))
  }
}
