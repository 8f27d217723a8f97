import Testing
import WireBridge
import WireFixtures

/// Encodes and decodes `m`, both through the owned and the borrowed API.
private func roundTrip<M: WireMessage>(_ m: M) throws -> (M, [UInt8]) {
  let bytes = try m.serializedBytes()
  let borrowed = try m.withSerializedBytes { Array($0) }
  #expect(borrowed == bytes, "\(M.protoFullName): both encoders agree")
  var packed: [UInt8] = []
  var announced = -1
  try m.serialize { size, pack in
    announced = size
    packed = [UInt8](unsafeUninitializedCapacity: max(size, 1)) { buffer, count in
      count = pack(buffer.baseAddress!)
    }
  }
  #expect(packed == bytes && announced == bytes.count, "\(M.protoFullName): serialize(_:) packs the same bytes, of the size it announced")
  return (try M(serializedBytes: bytes), bytes)
}

private func roundTripAny(_ m: any WireMessage) throws -> Bool {
  func open<M: WireMessage>(_ m: M) throws -> Bool { try roundTrip(m).0 == m }
  return try open(m)
}

@Suite("Round trips")
struct RoundTripTests {
  @Test("every message type of every .proto, in four variants")
  func everyFixture() throws {
    let all = allFixtures()
    #expect(all.count == allMessageTypes.count * 4)
    for m in all {
      #expect(try roundTripAny(m), "\(type(of: m).protoFullName)")
    }
  }

  @Test("defaults encode to zero bytes and decode from zero bytes")
  func defaults() throws {
    for type in allMessageTypes {
      func check<M: WireMessage>(_ t: M.Type) throws {
        #expect(try M().serializedBytes().isEmpty, "\(M.protoFullName)")
        #expect(try M(serializedBytes: [UInt8]()) == M())
      }
      try check(type)
    }
  }

  @Test("Vietnamese text, emoji, control characters and empty strings survive")
  func strings() throws {
    var leaf = Wiretest_V1_Leaf()
    for text in [
      "Lê Đại Thắng", "Gây mất trật tự Công cộng 🚨👮🏽‍♀️", "", "tab\there\r\nnew line",
      "Kính gửi: Quý Ông/Bà.\nVấn đề quý Ông/Bà phản ánh…", String(repeating: "Đường ", count: 5000),
    ] {
      leaf.label = text
      let (back, _) = try roundTrip(leaf)
      #expect(back.label == text)
    }
  }

  @Test("integer extremes and special floating-point values")
  func extremes() throws {
    var s = Wiretest_V1_Scalars()
    s.fInt64 = .min
    s.fUint64 = .max
    s.fInt32 = .min
    s.fUint32 = .max
    s.fSint64 = .min
    s.fSint32 = .max
    s.fSfixed64 = .min
    s.fFixed64 = .max
    s.fDouble = -.infinity
    s.fFloat = .greatestFiniteMagnitude
    #expect(try roundTrip(s).0 == s)
    s.fInt64 = .max
    s.fSint64 = .max
    s.fInt32 = -1
    s.fDouble = -0.0
    #expect(try roundTrip(s).0 == s)
  }

  @Test("empty and 10,000-element repeated fields of every kind")
  func repeated() throws {
    var r = Wiretest_V1_Repeats()
    #expect(try roundTrip(r).0 == r)
    let n = 10_000
    r.rInt64 = (0..<n).map { Int64($0) * 1_000_000_007 - 5 }
    r.rBool = (0..<n).map { $0 % 3 == 0 }
    r.rDouble = (0..<n).map { Double($0) / 7 }
    r.rString = (0..<n).map { "mục \($0) – Đ" }
    r.rBytes = (0..<n).map { [UInt8(truncatingIfNeeded: $0), 0, 255] }
    r.rEnum = (0..<n).map { Wiretest_V1_Color(rawValue: Int32($0 % 5)) }
    r.rLeaf = (0..<n).map { var l = Wiretest_V1_Leaf(); l.count = Int64($0); l.label = "\($0)"; return l }
    r.rUint32 = (0..<n).map { UInt32($0) &* 2_654_435_761 }
    r.rFloat = (0..<n).map { Float($0) * 0.5 }
    r.rSint32 = (0..<n).map { Int32($0) - 5000 }
    let (back, bytes) = try roundTrip(r)
    #expect(back == r)
    #expect(bytes.count > n * 10)
  }

  // The encoder's arena starts with 1 KiB on the stack and overflows into 4 KiB heap chunks:
  // fields that end just before, at and after each boundary, and one larger than a chunk.
  @Test("fields around the encoder's stack and heap chunk boundaries", arguments: [
    0, 1, 900, 1000, 1015, 1016, 1017, 1023, 1024, 1025, 2048, 4079, 4080, 4081, 4096, 4097, 10_000,
  ])
  func chunkBoundaries(size: Int) throws {
    var leaf = Wiretest_V1_Leaf()
    leaf.label = String(repeating: "đ", count: size / 2) + String(repeating: "a", count: size % 2)
    leaf.blob = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31) }
    #expect(try roundTrip(leaf).0 == leaf)
    var r = Wiretest_V1_Repeats()
    r.rString = [leaf.label, "x", leaf.label]
    r.rBytes = [leaf.blob, [], leaf.blob, leaf.blob]
    r.rLeaf = [leaf, Wiretest_V1_Leaf(), leaf]
    #expect(try roundTrip(r).0 == r)
  }

  @Test("every oneof case, including empty and zero values, is kept apart from 'unset'")
  func oneofs() throws {
    let picks: [Wiretest_V1_Choices.Pick?] = [
      nil, .pickText(""), .pickText("Phường Trần Phú"), .pickNumber(0), .pickNumber(.min),
      .pickLeaf(Wiretest_V1_Leaf()), .pickLeaf(.fixture(1)), .pickBytes([]), .pickBytes([0, 1]),
      .pickColor(.unspecified), .pickColor(.ultraviolet), .pickColor(.unrecognized(77)),
      .pickFlag(false), .pickFlag(true),
    ]
    for pick in picks {
      var c = Wiretest_V1_Choices()
      c.pick = pick
      #expect(try roundTrip(c).0.pick == pick, "\(String(describing: pick))")
    }
    var c = Wiretest_V1_Choices()
    for due: Int64? in [nil, 0, -1, .max] {
      c.dueAtMs = due
      #expect(try roundTrip(c).0.dueAtMs == due)
    }
    for note: String? in [nil, "", "ghi chú"] {
      c.note = note
      #expect(try roundTrip(c).0.note == note)
    }
    for leaf: Wiretest_V1_Leaf? in [nil, Wiretest_V1_Leaf(), .fixture(2)] {
      c.maybeLeaf = leaf
      #expect(try roundTrip(c).0.maybeLeaf == leaf)
    }
  }

  @Test("unknown enum values round-trip as .unrecognized")
  func unknownEnums() throws {
    var s = Wiretest_V1_Scalars()
    s.fEnum = .unrecognized(12345)
    #expect(try roundTrip(s).0.fEnum == .unrecognized(12345))
    #expect(Wiretest_V1_Color(rawValue: 1000) == .ultraviolet)
    #expect(Wiretest_V1_Color.ultraviolet.protoName == "COLOR_ULTRAVIOLET")
    var r = Wiretest_V1_Repeats()
    r.rEnum = [.red, .unrecognized(-3), .unrecognized(99)]
    #expect(try roundTrip(r).0.rEnum == r.rEnum)
  }

  @Test("nested and self-referencing messages keep value semantics")
  func nesting() throws {
    var e = Wiretest_V1_Envelope.fixture(0)
    var child = Wiretest_V1_Envelope.fixture(1)
    child.child = .fixture(2)
    e.child = child
    let copy = e
    e.child?.scalars?.fString = "changed"
    #expect(copy.child?.scalars?.fString != "changed")
    #expect(try roundTrip(e).0 == e)
    #expect(try roundTrip(copy).0 == copy)
  }
}
