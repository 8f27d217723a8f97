import Testing
import WireBridge

/// Messages with `reserved` numbers and names (a contract change that retires fields): the
/// bridge generates them like any other, and decoding skips the retired fields an older
/// peer may still send. (A crash decoding an empty response was once reported after a field
/// was replaced by `reserved`; these pin the behaviour.)
@Suite("Reserved fields")
struct ReservedFieldTests {
  @Test func emptyBytesDecodeToDefaults() throws {
    #expect(try Wiretest_V1_Retired(serializedBytes: [UInt8]()) == Wiretest_V1_Retired())
    #expect(try Wiretest_V1_AllRetired(serializedBytes: [UInt8]()) == Wiretest_V1_AllRetired())
    #expect(try Wiretest_V1_AllRetired().serializedBytes() == [])
  }

  @Test func retiredFieldsFromAnOlderPeerAreSkipped() throws {
    // kept = "k" (1), then the retired 2 (varint 7), 10 (string "old") and 15 (fixed32).
    let bytes: [UInt8] = [
      0x0A, 0x01, 0x6B,
      0x10, 0x07,
      0x52, 0x03, 0x6F, 0x6C, 0x64,
      0x7D, 0x01, 0x02, 0x03, 0x04,
    ]
    let decoded = try Wiretest_V1_Retired(serializedBytes: bytes)
    #expect(decoded.kept == "k")
    // Unknown (retired) fields are not carried over: re-encoding gives only `kept`.
    #expect(try decoded.serializedBytes() == [0x0A, 0x01, 0x6B])
    let all = try Wiretest_V1_AllRetired(serializedBytes: Array(bytes[3...]))
    #expect(all == Wiretest_V1_AllRetired())
  }
}
