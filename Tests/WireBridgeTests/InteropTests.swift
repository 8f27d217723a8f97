import Foundation
import TestSupport
import Testing
import WireBridge
import WireFixtures

/// Byte-level interoperability with an independent protobuf implementation: Google's own
/// `protoc` (C++), through its `--decode` and `--encode` text-format modes.
@Suite("Interop with protoc", .enabled(if: Protoc.available))
struct InteropTests {
  @Test("our bytes decode with protoc, and protoc re-encodes them to the same bytes")
  func oursToProtoc() async throws {
    // The first two variants of every message type.
    for (i, fixture) in allFixtures().prefix(allMessageTypes.count * 2).enumerated() {
      let variant = i / allMessageTypes.count
      do {
        func check<M: WireMessage>(_ m: M) throws {
          let ours = try m.serializedBytes()
          let text = try Protoc.run(["--decode=\(M.protoFullName)"], input: ours)
          let theirs = try Protoc.run(["--encode=\(M.protoFullName)"], input: text)
          #expect(theirs == ours, "\(M.protoFullName) variant \(variant):\n\(String(decoding: text, as: UTF8.self))")
          #expect(try M(serializedBytes: theirs) == m)
        }
        try check(fixture)
      }
      // Two protoc runs per fixture, each a blocking wait: let other tests run in between.
      await Task.yield()
    }
  }

  @Test("a message written by protoc decodes with our bridge")
  func protocToOurs() throws {
    let text = """
      scalars { f_int64: -9223372036854775808 f_string: "Lê Văn Đường 🏮" f_enum: COLOR_ULTRAVIOLET f_bool: true }
      repeats { r_string: "a" r_string: "" r_string: "Phường Trần Phú" r_enum: COLOR_RED r_enum: 7 r_leaf { label: "x" count: 3 } }
      choices { pick_text: "" due_at_ms: 0 }
      child { child { scalars { f_uint64: 18446744073709551615 } } }
      """
    let bytes = try Protoc.run(["--encode=wiretest.v1.Envelope"], input: Array(text.utf8))
    let e = try Wiretest_V1_Envelope(serializedBytes: bytes)
    #expect(e.scalars?.fInt64 == .min)
    #expect(e.scalars?.fString == "Lê Văn Đường 🏮")
    #expect(e.scalars?.fEnum == .ultraviolet)
    #expect(e.scalars?.fBool == true)
    #expect(e.repeats?.rString == ["a", "", "Phường Trần Phú"])
    #expect(e.repeats?.rEnum == [.red, .unrecognized(7)])
    #expect(e.repeats?.rLeaf.first?.count == 3)
    #expect(e.choices?.pick == .pickText(""))
    #expect(e.choices?.dueAtMs == 0)
    #expect(e.choices?.note == nil)
    #expect(e.child?.child?.scalars?.fUint64 == .max)
  }
}

/// Runs Google's `protoc` over the project's .proto files.
enum Protoc {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()
  static let executable = ["/usr/bin/protoc", "/usr/local/bin/protoc"].first {
    FileManager.default.isExecutableFile(atPath: $0)
  }
  static var available: Bool { executable != nil }

  static var protoFiles: [String] {
    let dir = root.appendingPathComponent("proto")
    let e = FileManager.default.enumerator(atPath: dir.path)
    var out: [String] = []
    while let p = e?.nextObject() as? String { if p.hasSuffix(".proto") { out.append(p) } }
    return out.sorted()
  }

  struct Failed: Error, CustomStringConvertible {
    let description: String
  }

  static func run(_ args: [String], input: [UInt8]) throws -> [UInt8] {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: executable!)
    p.arguments = args + ["-I", root.appendingPathComponent("proto").path] + protoFiles
    let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
    p.standardInput = stdin
    p.standardOutput = stdout
    p.standardError = stderr
    try p.runSerialized()
    // Write and read concurrently so neither side blocks on a full pipe.
    let writer = Thread {
      stdin.fileHandleForWriting.write(Data(input))
      try? stdin.fileHandleForWriting.close()
    }
    writer.start()
    let out = stdout.fileHandleForReading.readDataToEndOfFile()
    let err = stderr.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    guard p.terminationStatus == 0 else {
      throw Failed(description: "protoc \(args) failed: \(String(decoding: err, as: UTF8.self))")
    }
    return Array(out)
  }
}
