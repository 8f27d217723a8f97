// wire-selfcheck: encodes and decodes a fixture of every message type, and feeds the decoder
// malformed input, then reports. Synchronous on purpose: it is the program the leak check
// runs under valgrind (which cannot follow Swift's async main).
#if canImport(Glibc)
  import Glibc
#endif
import WireBridge
import WireFixtures

/// Round-trips `m` through its encoding; returns whether the decoded value is equal.
func roundTrips<M: WireMessage>(_ m: M) throws -> Bool {
  let bytes = try m.serializedBytes()
  let back = try M(serializedBytes: bytes)
  let viaBorrowed = try m.withSerializedBytes { try M(serializedBytes: $0) }
  // Packed straight into caller memory, as the RPC runtime does into its I/O buffers.
  var packed: [UInt8] = []
  try m.serialize { size, pack in
    packed = [UInt8](unsafeUninitializedCapacity: max(size, 1)) { buffer, count in
      count = pack(buffer.baseAddress!)
    }
  }
  return back == m && viaBorrowed == m && packed == bytes
}

/// Decodes garbage as `M`; returns how many inputs were refused with a `WireError`.
func refusals<M: WireMessage>(_ type: M.Type, _ inputs: [[UInt8]]) -> Int {
  var refused = 0
  for input in inputs {
    do { _ = try M(serializedBytes: input) } catch is WireError { refused += 1 } catch {}
  }
  return refused
}

let rounds = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 3 : 3
var failures = 0
var count = 0
for _ in 0..<rounds {
  for fixture in allFixtures() {
    count += 1
    do {
      if try !roundTrips(fixture) {
        failures += 1
        print("MISMATCH: \(type(of: fixture).protoFullName)")
      }
    } catch {
      failures += 1
      print("ERROR: \(type(of: fixture).protoFullName): \(error)")
    }
  }
}
// Malformed inputs exercise protobuf-c's error paths (which must free what they allocated).
let garbage: [[UInt8]] = [
  [0xFF], [0x0A, 0x05, 0x41], [0x08, 0x80, 0x80], [0x0A, 0x02, 0xC3, 0x28],
  [0x12, 0x7F] + [UInt8](repeating: 0x08, count: 20), [0x07, 0x01],
]
var refused = 0
for type in allMessageTypes {
  refused += refusals(type, garbage)
}
print("wire self-check: \(allMessageTypes.count) message types, \(count) round trips, \(failures) failures, \(refused) malformed inputs refused")
if failures > 0 { exit(1) }
