import Testing
import WireBridge

/// Replaces every `marker` byte of an encoding with NUL: the encoder refuses NUL itself, so a
/// hostile encoding is made from a valid one.
private func withNUL(_ bytes: [UInt8], marker: UInt8 = UInt8(ascii: "~")) -> [UInt8] {
  bytes.map { $0 == marker ? 0 : $0 }
}

/// The subject of the `WireError` that decoding `bytes` as `M` throws, if it is `.embeddedNUL`.
private func nulSubject<M: WireMessage>(_ type: M.Type, _ bytes: [UInt8]) -> String? {
  do {
    _ = try M(serializedBytes: bytes)
    return nil
  } catch let error as WireError where error.kind == .embeddedNUL {
    return error.subject
  } catch {
    return "unexpected: \(error)"
  }
}

@Suite("A NUL inside a decoded string is refused, naming the field, never cut short")
struct EmbeddedNULTests {
  @Test func topLevelString() throws {
    var leaf = Wiretest_V1_Leaf()
    leaf.label = "thang.ld~anything"
    let bytes = withNUL(try leaf.serializedBytes())
    #expect(nulSubject(Wiretest_V1_Leaf.self, bytes) == "wiretest.v1.Leaf.label")
  }

  @Test func stringAmongOtherScalars() throws {
    var scalars = Wiretest_V1_Scalars()
    scalars.fInt64 = 1 << 40
    scalars.fString = "a~"
    scalars.fBytes = [1, 2]
    let bytes = withNUL(try scalars.serializedBytes())
    #expect(nulSubject(Wiretest_V1_Scalars.self, bytes) == "wiretest.v1.Scalars.f_string")
  }

  @Test func repeatedStringAndNestedMessage() throws {
    var repeats = Wiretest_V1_Repeats()
    repeats.rString = ["fine", "cut~here"]
    #expect(nulSubject(Wiretest_V1_Repeats.self, withNUL(try repeats.serializedBytes())) == "wiretest.v1.Repeats.r_string")

    var nested = Wiretest_V1_Repeats()
    var first = Wiretest_V1_Leaf()
    first.label = "ok"
    var second = Wiretest_V1_Leaf()
    second.label = "a~.png"
    nested.rLeaf = [first, second]
    #expect(nulSubject(Wiretest_V1_Repeats.self, withNUL(try nested.serializedBytes())) == "wiretest.v1.Repeats.r_leaf.label")
  }

  @Test func oneofString() throws {
    var choices = Wiretest_V1_Choices()
    choices.pick = .pickText("x~")
    #expect(nulSubject(Wiretest_V1_Choices.self, withNUL(try choices.serializedBytes())) == "wiretest.v1.Choices.pick_text")
  }

  @Test("NUL bytes are fine in bytes fields and numbers; the value comes back whole")
  func bytesAndNumbersKeepTheirZeros() throws {
    var leaf = Wiretest_V1_Leaf()
    leaf.label = "Lê Đại Thắng"
    leaf.count = 0x100
    leaf.blob = [0, 0, 7, 0]
    let back = try Wiretest_V1_Leaf(serializedBytes: try leaf.serializedBytes())
    #expect(back == leaf)

    var repeats = Wiretest_V1_Repeats()
    repeats.rBytes = [[0], [1, 0, 2]]
    repeats.rInt64 = [0, 256, 0]
    repeats.rString = ["", "b"]
    #expect(try Wiretest_V1_Repeats(serializedBytes: try repeats.serializedBytes()) == repeats)
  }
}
