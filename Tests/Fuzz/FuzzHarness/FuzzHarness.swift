// The fuzz targets' bodies, as a library: scripts/fuzz.sh links them into libFuzzer
// executables (FuzzDecode, FuzzConnection, built only with FIELDREPORT_FUZZ=1), and the
// normal test suite runs them over their seeds and random mutations (FuzzHarnessTests), so
// the harness itself can never rot.

import Logging
import NIOCore
import NIOEmbedded
import RPCCore
import RPCNIO
import WireBridge
import WireFixtures

#if canImport(Glibc)
  import Glibc
#endif

/// Decoding every message type of the contract through the bridge.
///
/// The input's first byte picks the type (one per fixture: every message of every .proto),
/// the rest is decoded as it. Any input must either decode or throw `WireError`; a decoded
/// message must encode, and its encoding must be stable (encode → decode → encode gives the
/// same bytes). A violation traps, which libFuzzer reports as a crash.
public enum FuzzDecode {
  static let fixtures = allFixtures()

  public static func run(_ input: UnsafeRawBufferPointer) {
    guard let selector = input.first else { return }
    let fixture = Self.fixtures[Int(selector) % Self.fixtures.count]
    let bytes = UnsafeRawBufferPointer(rebasing: input.dropFirst())
    func check<M: WireMessage>(_: M) {
      let message: M
      do {
        message = try M(serializedBytes: bytes)
      } catch is WireError {
        return
      } catch {
        fatalError("decoding \(M.protoFullName) threw a non-WireError: \(error)")
      }
      do {
        let encoded = try message.serializedBytes()
        let again = try M(serializedBytes: encoded).serializedBytes()
        precondition(encoded == again, "\(M.protoFullName): the encoding is not stable")
      } catch {
        fatalError("\(M.protoFullName) decoded but does not re-encode: \(error)")
      }
    }
    check(fixture)
  }

  /// One seed per message type: its selector byte and its fixture's encoding.
  public static func seeds() -> [[UInt8]] {
    Self.fixtures.enumerated().compactMap { index, fixture in
      guard let bytes = try? fixture.serializedBytes() else { return nil }
      return [UInt8(index % 256)] + bytes
    }
  }
}

/// The server's connection logic (frame reader, call bookkeeping, limits, timers) over an
/// `EmbeddedChannel`, fed arbitrary bytes as the client's side of a connection.
///
/// Input: byte 0 bit 0 set means "prepend a valid client preface" (so that mutations explore
/// frames, not only the magic); byte 1 chooses the size of each read the bytes are split into
/// (1–16 bytes, or multiples of 64 up to 15 KiB); the rest is the stream. Nothing may trap;
/// the connection may close.
public enum FuzzConnection {
  /// A server whose connections answer health, reflection and two echo methods (one
  /// synchronous, one asynchronous).
  static let server: RPCServer = {
    var router = RPCRouter()
    router.registerSynchronous(Self.echoSync) { request, _ in Self.answer(request) }
    router.register(Self.echoAsync) { request, _ in Self.answer(request) }
    var limits = ConnectionLimits()
    limits.maxMessageSize = 256 * 1024
    limits.maxRequestSize = 16 * 1024
    limits.requestSizeLimits = [Self.echoAsync.descriptor.path: 128 * 1024]
    limits.keepaliveInterval = .seconds(60)
    limits.idleTimeout = .seconds(60)
    return RPCServer(
      router: router,
      configuration: .init(limits: limits, maxBufferedRequestBytes: 256 * 1024),
      logger: Logger(label: "fuzz") { _ in SwiftLogNoOpLogHandler() })
  }()

  static let echoSync = UnaryMethod<Rpc_Testing_V1_SimpleRequest, Rpc_Testing_V1_SimpleResponse>(
    service: "rpc.testing.v1.TestService", method: "UnaryCall")
  static let echoAsync = UnaryMethod<Rpc_Testing_V1_SimpleRequest, Rpc_Testing_V1_SimpleResponse>(
    service: "rpc.testing.v1.TestService", method: "AsyncUnaryCall")

  static func answer(_ request: Rpc_Testing_V1_SimpleRequest) -> Rpc_Testing_V1_SimpleResponse {
    var response = Rpc_Testing_V1_SimpleResponse()
    response.payload = request.payload
    return response
  }

  /// - Returns: How many bytes the server wrote back.
  @discardableResult
  public static func run(_ input: UnsafeRawBufferPointer) -> Int {
    guard input.count >= 2 else { return 0 }
    let loop = EmbeddedEventLoop()
    let channel = EmbeddedChannel(loop: loop)
    do {
      try channel.pipeline.syncOperations.addHandler(Self.server.makeConnectionHandler(eventLoop: loop))
      try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 40_000)).wait()
    } catch {
      fatalError("the embedded connection could not be set up: \(error)")
    }
    var written = 0
    var stream = ByteBuffer()
    if input[0] & 1 == 1 { stream.writeBytes(Self.preface) }
    stream.writeBytes(UnsafeRawBufferPointer(rebasing: input.dropFirst(2)))
    // 1 to 16 bytes a read for the small values (frame boundaries split everywhere), up to
    // 15 KiB for the rest (whole frames per read, as a real client's writes arrive).
    let readSize = input[1] < 16 ? Int(input[1]) + 1 : (Int(input[1]) - 15) * 64
    while stream.readableBytes > 0, channel.isActive {
      let chunk = stream.readSlice(length: min(readSize, stream.readableBytes))!
      // A closed channel refuses the write: the connection ended, which is allowed.
      guard (try? channel.writeInbound(chunk)) != nil else { break }
      loop.run()
      while let out = try? channel.readOutbound(as: ByteBuffer.self) { written += out.readableBytes }
    }
    // Timers (handshake, frame progress, keepalive, idle) fire too.
    loop.advanceTime(by: .seconds(120))
    while let out = try? channel.readOutbound(as: ByteBuffer.self) { written += out.readableBytes }
    _ = try? channel.finish()
    return written
  }

  /// The client preface with empty settings.
  static let preface: [UInt8] = [0x89, 0x52, 0x50, 0x43, 0x0D, 0x0A, 0x1A, 0x0A, 0, 1, 0, 1, 0, 0, 0, 0]

  /// Streams that exercise every frame type: calls (sync, async, unknown, deadline,
  /// oversized), cancel, ping, GOAWAY.
  public static func seeds() -> [[UInt8]] {
    func frame(_ type: UInt8, _ flags: UInt8, _ id: UInt32, _ payload: [UInt8]) -> [UInt8] {
      var header: [UInt8] = [1, type, flags, 0]
      for value in [id, UInt32(payload.count)] {
        header += [UInt8(value >> 24), UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)]
      }
      return header + payload
    }
    func headers(_ path: String, timeoutUs: Int64? = nil, metadata: [Rpc_V1_MetadataEntry] = []) -> [UInt8] {
      var headers = Rpc_V1_CallHeaders()
      headers.methodPath = path
      headers.timeoutUs = timeoutUs
      headers.metadata = metadata
      return (try? headers.serializedBytes()) ?? []
    }
    var request = Rpc_Testing_V1_SimpleRequest()
    var payload = Rpc_Testing_V1_Payload()
    payload.body = Array(repeating: 7, count: 40)
    request.payload = payload
    let body = (try? request.serializedBytes()) ?? []
    var entry = Rpc_V1_MetadataEntry()
    entry.key = "authorization"
    entry.value = .text("Bearer x")
    let (headersType, messageType, cancelType, pingType, goAwayType): (UInt8, UInt8, UInt8, UInt8, UInt8) = (1, 2, 4, 5, 6)
    let streams: [[UInt8]] = [
      frame(headersType, 0, 1, headers(Self.echoSync.descriptor.path)) + frame(messageType, 1, 1, body),
      frame(headersType, 0, 1, headers(Self.echoAsync.descriptor.path, timeoutUs: 1_000_000, metadata: [entry]))
        + frame(messageType, 1, 1, body) + frame(cancelType, 0, 1, []),
      frame(headersType, 0, 1, headers("/rpc.v1.Health/Check")) + frame(messageType, 1, 1, [])
        + frame(pingType, 0, 0, [1, 2, 3, 4, 5, 6, 7, 8]) + frame(goAwayType, 0, 0, []),
      frame(headersType, 0, 3, headers("/no.such/Method")) + frame(messageType, 1, 3, [0x0A, 0x00]),
      frame(headersType, 0, 5, headers(Self.echoSync.descriptor.path)) + Array(frame(messageType, 1, 5, Array(repeating: 0x41, count: 70_000)).prefix(15_000)),
    ]
    // Selector: prepend the preface; reads of 64 bytes.
    return streams.map { [1, 63] + $0 }
  }
}

/// What each libFuzzer executable's `LLVMFuzzerInitialize` does: with
/// `FIELDREPORT_FUZZ_WRITE_SEEDS=DIR`, writes `seeds` into DIR (`seed-0`, `seed-1`, …) and exits;
/// otherwise returns and fuzzing starts.
public func writeSeedsIfAsked(_ seeds: [[UInt8]]) {
  guard let dir = getenv("FIELDREPORT_FUZZ_WRITE_SEEDS").map({ String(cString: $0) }) else { return }
  for (index, seed) in seeds.enumerated() {
    guard let file = fopen("\(dir)/seed-\(index)", "wb") else { continue }
    _ = seed.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
    fclose(file)
  }
  exit(0)
}
