import Testing
import WireBridge
import WireFixtures

/// A deterministic generator (SplitMix64) so failures reproduce.
private struct SplitMix64: RandomNumberGenerator {
  var state: UInt64
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

/// Decodes `bytes` as `M`: must either succeed or throw a `WireError`, never anything else.
private func decodeOrWireError<M: WireMessage>(_ t: M.Type, _ bytes: [UInt8]) -> Bool {
  do {
    _ = try M(serializedBytes: bytes)
    return true
  } catch is WireError {
    return true
  } catch {
    return false
  }
}

@Suite("Malformed input")
struct MalformedInputTests {
  // Both tests are long loops of synchronous work: they yield between fixtures (and rounds)
  // so that the suite's other tests, timing-sensitive ones included, keep their share of the
  // few threads every test shares.
  @Test("every truncation of every fixture decodes or throws WireError")
  func truncations() async throws {
    for m in allFixtures() {
      func check<M: WireMessage>(_ m: M) throws {
        let bytes = try m.serializedBytes()
        var refused = 0
        var otherErrors: [Int] = []
        for cut in 0..<bytes.count {
          if !decodeOrWireError(M.self, Array(bytes[..<cut])) { otherErrors.append(cut) }
          if (try? M(serializedBytes: Array(bytes[..<cut]))) == nil { refused += 1 }
        }
        #expect(otherErrors.isEmpty, "\(M.protoFullName) cut at \(otherErrors) threw something other than WireError")
        // A length-delimited field cut in the middle can never decode.
        if bytes.count > 2 { #expect(refused > 0 || M.protoFullName.hasSuffix("Scalars")) }
      }
      try check(m)
      await Task.yield()
    }
  }

  @Test("random garbage never crashes", arguments: [1, 2, 3, 4])
  func garbage(seed: UInt64) async {
    var rng = SplitMix64(state: seed)
    for round in 0..<2000 {
      if round % 100 == 0 { await Task.yield() }
      let n = Int.random(in: 0..<64, using: &rng)
      let bytes = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
      for type in allMessageTypes {
        func check<M: WireMessage>(_ t: M.Type) { #expect(decodeOrWireError(t, bytes)) }
        check(type)
      }
    }
  }

  @Test("a wrong wire type and a length past the end are refused as malformed")
  func specific() {
    // field 1 (label, a string) sent as a varint; then a length longer than the input.
    for bytes: [UInt8] in [[0x08, 0x01, 0x0A, 0x10, 0x41], [0x0A, 0x05, 0x41], [0x1A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F]] {
      #expect(throws: WireError(.malformed, "wiretest.v1.Leaf")) {
        try Wiretest_V1_Leaf(serializedBytes: bytes)
      }
    }
  }

  @Test("invalid UTF-8 in a string field is an error naming the field")
  func invalidUTF8() {
    // field 1 (label), length 2, bytes C3 28 (an invalid two-byte sequence).
    #expect(throws: WireError(.invalidUTF8, "wiretest.v1.Leaf.label")) {
      try Wiretest_V1_Leaf(serializedBytes: [0x0A, 0x02, 0xC3, 0x28])
    }
    // A lone surrogate encoded in UTF-8 (ED A0 80) is invalid too.
    #expect(throws: WireError(.invalidUTF8, "wiretest.v1.Repeats.r_string")) {
      try Wiretest_V1_Repeats(serializedBytes: [0x22, 0x03, 0xED, 0xA0, 0x80])
    }
  }

  @Test("a NUL inside a string cannot be encoded, and says which field")
  func embeddedNUL() {
    var leaf = Wiretest_V1_Leaf()
    leaf.label = "before\u{0}after"
    #expect(throws: WireError(.embeddedNUL, "wiretest.v1.Leaf.label")) { try leaf.serializedBytes() }
  }

  @Test("input over the size limit is refused before protobuf-c sees it")
  func oversized() {
    let big = [UInt8](repeating: 0, count: WireLimits.maxMessageBytes + 1)
    #expect(throws: WireError(.tooLarge, "wiretest.v1.Leaf")) { try Wiretest_V1_Leaf(serializedBytes: big) }
  }

  @Test("hostile nesting depth is refused instead of overflowing the stack")
  func deepNesting() throws {
    // Envelope.child (field 4) nested 100,000 deep, built from the inside out.
    // Kept reversed while building so each level is an append, not a copy.
    var reversed: [UInt8] = []
    for _ in 0..<100_000 {
      var len = UInt64(reversed.count)
      var prefix: [UInt8] = [0x22]
      repeat {
        prefix.append(UInt8(len & 0x7F) | (len > 0x7F ? 0x80 : 0))
        len >>= 7
      } while len > 0
      reversed.append(contentsOf: prefix.reversed())
    }
    let bytes = Array(reversed.reversed())
    #expect(throws: WireError(.tooDeep, "wiretest.v1.Envelope")) { try Wiretest_V1_Envelope(serializedBytes: bytes) }
    // Within the limit it decodes.
    var e = Wiretest_V1_Envelope()
    for _ in 0..<(WireLimits.maxNestingDepth - 1) {
      var outer = Wiretest_V1_Envelope()
      outer.child = e
      e = outer
    }
    #expect(try Wiretest_V1_Envelope(serializedBytes: e.serializedBytes()) == e)
  }
}
