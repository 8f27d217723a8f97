import Foundation
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

  /// docs/PROTOCOL.md, found from this file's place in the repository.
  static func document() throws -> String {
    let url = URL(fileURLWithPath: #filePath)
      .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("docs/PROTOCOL.md")
    return try String(contentsOf: url, encoding: .utf8)
  }

  /// The example frames of the document's §6: each `#### name` heading and the hex dump in
  /// the code block after it.
  static func documented() throws -> [String: String] {
    let text = try document()
    guard let section = text.range(of: "\n## 6. Example frames\n") else { return [:] }
    let rest = text[section.upperBound...]
    let body = rest.range(of: "\n## ").map { rest[..<$0.lowerBound] } ?? rest
    var vectors: [String: String] = [:]
    var name: String?
    var dump: [String]?
    for line in body.split(separator: "\n", omittingEmptySubsequences: false) {
      if line.hasPrefix("#### ") {
        name = String(line.dropFirst(5)).trimmingCharacters(in: .whitespaces)
      } else if line.hasPrefix("```") {
        if let lines = dump {
          if let name { vectors[name] = lines.joined(separator: "\n") }
          dump = nil
          name = nil
        } else if name != nil {
          dump = []
        }
      } else if dump != nil {
        dump?.append(String(line))
      }
    }
    return vectors
  }

  @Test func vectorsMatchTheDocument() throws {
    let documented = try Self.documented()
    let built = try Self.vectors()
    // The document has exactly the vectors the code builds, no more, no fewer.
    #expect(Set(documented.keys) == Set(built.map(\.name)), "the vectors of docs/PROTOCOL.md §6")
    for (name, bytes) in built {
      let dump = Self.hex(bytes)
      #expect(documented[name] == dump, "vector \(name): the code builds\n\(dump)")
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
