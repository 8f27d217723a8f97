import NIOCore
@testable import RPCNIO
import RPCCore
import Testing
import WireBridge

/// The example frames of docs/PROTOCOL.md, built by the real code. If this test fails, the
/// document and the code disagree: fix whichever is wrong (and update the other).
@Suite("Protocol test vectors")
struct ProtocolVectorTests {
  static func vectors() throws -> [(name: String, bytes: [UInt8])] {
    var out: [(String, [UInt8])] = []
    func add(_ name: String, _ build: (inout ByteBuffer) throws -> Void) rethrows {
      var buffer = ByteBuffer()
      try build(&buffer)
      out.append((name, Array(buffer.readableBytesView)))
    }
    var settings = Rpc_V1_Settings()
    settings.maxFrameSize = 4_194_304
    settings.maxMetadataSize = 16_384
    try add("client preface") { $0.writePreface(Preface(first: 1, second: 1, settings: try settings.serializedBytes())) }
    settings.maxConcurrentCalls = 1024
    try add("server preface") { $0.writePreface(Preface(first: 1, second: 0, settings: try settings.serializedBytes())) }
    var headers = Rpc_V1_CallHeaders()
    headers.methodPath = "/rpc.v1.Health/Check"
    headers.timeoutUs = 1_000_000
    let metadata: Metadata = ["authorization": .text("Bearer t0k")]
    headers.metadata = metadata.wire
    try add("HEADERS, call 1") { buffer in
      try headers.serializedBytes().withUnsafeBytes { buffer.writeFrame(type: .headers, callID: 1, payload: $0) }
    }
    var request = Rpc_V1_HealthCheckRequest()
    request.service = "rpc.v1.Health"
    try add("MESSAGE (request), call 1") { buffer in
      try request.serializedBytes().withUnsafeBytes { buffer.writeFrame(type: .message, flags: .endStream, callID: 1, payload: $0) }
    }
    var response = Rpc_V1_HealthCheckResponse()
    response.status = .serving
    try add("MESSAGE (response), call 1") { buffer in
      try response.serializedBytes().withUnsafeBytes { buffer.writeFrame(type: .message, callID: 1, payload: $0) }
    }
    add("STATUS OK, call 1") { $0.writeFrameHeader(type: .status, flags: [], callID: 1, length: 0) }
    let error = RPCError(
      code: .invalidArgument,
      message: "Tiêu đề trống",
      details: [.badRequest([FieldViolation(field: "title", explanation: "empty")])]
    )
    try add("STATUS INVALID_ARGUMENT with a field violation, call 3") { buffer in
      try error.wireStatus.serializedBytes().withUnsafeBytes { buffer.writeFrame(type: .status, callID: 3, payload: $0) }
    }
    add("CANCEL, call 5") { $0.writeFrameHeader(type: .cancel, flags: [], callID: 5, length: 0) }
    add("PING") { buffer in
      [UInt8]([0, 0, 0, 0, 0, 0, 0, 42]).withUnsafeBytes { buffer.writeFrame(type: .ping, callID: 0, payload: $0) }
    }
    var goAway = Rpc_V1_GoAway()
    goAway.lastCallId = 7
    goAway.code = .noError
    goAway.reason = "draining"
    try add("GOAWAY, last call 7") { buffer in
      try goAway.serializedBytes().withUnsafeBytes { buffer.writeFrame(type: .goAway, callID: 0, payload: $0) }
    }
    return out
  }

  static func hex(_ bytes: [UInt8]) -> String {
    stride(from: 0, to: bytes.count, by: 16).map { start in
      bytes[start..<min(start + 16, bytes.count)].map { String(format2($0)) }.joined(separator: " ")
    }.joined(separator: "\n")
  }

  private static func format2(_ byte: UInt8) -> String {
    let digits = Array("0123456789abcdef")
    return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
  }

  static let expected: [String: String] = [
    "client preface":
      """
      89 52 50 43 0d 0a 1a 0a 00 01 00 01 00 00 00 09
      08 80 80 80 02 18 80 80 01
      """,
    "server preface":
      """
      89 52 50 43 0d 0a 1a 0a 00 01 00 00 00 00 00 0c
      08 80 80 80 02 10 80 08 18 80 80 01
      """,
    "HEADERS, call 1":
      """
      01 01 00 00 00 00 00 01 00 00 00 37 0a 14 2f 72
      70 63 2e 76 31 2e 48 65 61 6c 74 68 2f 43 68 65
      63 6b 10 c0 84 3d 1a 1b 0a 0d 61 75 74 68 6f 72
      69 7a 61 74 69 6f 6e 12 0a 42 65 61 72 65 72 20
      74 30 6b
      """,
    "MESSAGE (request), call 1":
      """
      01 02 01 00 00 00 00 01 00 00 00 0f 0a 0d 72 70
      63 2e 76 31 2e 48 65 61 6c 74 68
      """,
    "MESSAGE (response), call 1":
      """
      01 02 00 00 00 00 00 01 00 00 00 02 08 01
      """,
    "STATUS OK, call 1":
      """
      01 03 00 00 00 00 00 01 00 00 00 00
      """,
    "STATUS INVALID_ARGUMENT with a field violation, call 3":
      """
      01 03 00 00 00 00 00 03 00 00 00 2b 08 03 12 13
      54 69 c3 aa 75 20 c4 91 e1 bb 81 20 74 72 e1 bb
      91 6e 67 1a 12 0a 10 0a 0e 0a 05 74 69 74 6c 65
      12 05 65 6d 70 74 79
      """,
    "CANCEL, call 5":
      """
      01 04 00 00 00 00 00 05 00 00 00 00
      """,
    "PING":
      """
      01 05 00 00 00 00 00 00 00 00 00 08 00 00 00 00
      00 00 00 2a
      """,
    "GOAWAY, last call 7":
      """
      01 06 00 00 00 00 00 00 00 00 00 0c 08 07 1a 08
      64 72 61 69 6e 69 6e 67
      """,
  ]

  @Test func vectorsMatchTheDocument() throws {
    for (name, bytes) in try Self.vectors() {
      let dump = Self.hex(bytes)
      print("### \(name)\n```\n\(dump)\n```")
      #expect(Self.expected[name] == dump, "vector \(name)")
    }
  }

  @Test func vectorsDecode() throws {
    // Every vector but the prefaces decodes as exactly one frame.
    for (name, bytes) in try Self.vectors() where !name.contains("preface") {
      var decoder = FrameDecoder(limits: .init(maxMessageSize: 1 << 20, maxMetadataSize: 1 << 20), expectPreface: false)
      var buffer = ByteBuffer(bytes: bytes)
      guard case .frame(let header, _) = try decoder.decode(buffer: &buffer) else {
        Issue.record("\(name) did not decode")
        continue
      }
      #expect(buffer.readableBytes == 0)
      #expect(Int(header.length) == bytes.count - FrameHeader.size)
    }
  }
}
