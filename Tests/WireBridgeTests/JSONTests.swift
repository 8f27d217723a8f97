import Foundation
import Testing
import WireBridge
import WireFixtures

@Suite("proto3 JSON")
struct JSONTests {
  @Test("every fixture survives JSON encoding and decoding")
  func roundTrip() throws {
    for m in allFixtures() {
      func check<M: WireMessage>(_ m: M) throws {
        let data = try JSONEncoder().encode(m)
        #expect(try JSONDecoder().decode(M.self, from: data) == m, "\(M.protoFullName)")
      }
      try check(m)
    }
  }

  @Test("field names are lowerCamelCase, enums are names, bytes are base64, defaults are left out")
  func shape() throws {
    var s = Wiretest_V1_Scalars()
    s.fString = "Đường"
    s.fEnum = .green
    s.fBytes = [0xFF, 0x00, 0x10]
    s.fSint64 = -5
    let enc = JSONEncoder()
    enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    let text = String(decoding: try enc.encode(s), as: UTF8.self)
    #expect(text == #"{"fBytes":"/wAQ","fEnum":"COLOR_GREEN","fSint64":-5,"fString":"Đường"}"#)
    let back = try JSONDecoder().decode(Wiretest_V1_Scalars.self, from: Data(#"{"fEnum":1000,"fBytes":"_wAQ","unknown":1}"#.utf8))
    #expect(back.fEnum == .ultraviolet)
    #expect(back.fBytes == [0xFF, 0x00, 0x10])
    var c = Wiretest_V1_Choices()
    c.pick = .pickNumber(0)
    c.note = ""
    #expect(String(decoding: try enc.encode(c), as: UTF8.self) == #"{"note":"","pickNumber":0}"#)
  }

  @Test("64-bit integers decode from numbers and from decimal strings")
  func int64Strings() throws {
    let json = #"{"fInt64":"-9223372036854775808","fUint64":"18446744073709551615","fSint64":7}"#
    let s = try JSONDecoder().decode(Wiretest_V1_Scalars.self, from: Data(json.utf8))
    #expect(s.fInt64 == .min)
    #expect(s.fUint64 == .max)
    #expect(s.fSint64 == 7)
    let r = try JSONDecoder().decode(Wiretest_V1_Repeats.self, from: Data(#"{"rInt64":["1",2,"-3"]}"#.utf8))
    #expect(r.rInt64 == [1, 2, -3])
    #expect(throws: DecodingError.self) {
      try JSONDecoder().decode(Wiretest_V1_Scalars.self, from: Data(#"{"fInt64":"12x"}"#.utf8))
    }
  }

  @Test("an unknown enum name is an error")
  func unknownName() {
    #expect(throws: DecodingError.self) {
      try JSONDecoder().decode(Wiretest_V1_Scalars.self, from: Data(#"{"fEnum":"COLOR_PUCE"}"#.utf8))
    }
  }
}
