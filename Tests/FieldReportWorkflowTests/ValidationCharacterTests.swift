@testable import FieldReportWorkflow
import Testing

@Suite("Validation's character rules") struct ValidationCharacterTests {
  /// The byte-range check is exactly Unicode's general category Cc, over every scalar.
  @Test func controlCharactersAreCategoryCc() {
    var checked = 0
    for value in UInt32(0)...0x10FFFF {
      guard let scalar = Unicode.Scalar(value) else { continue }
      let isControl = scalar.properties.generalCategory == .control
      let text = String(Character(scalar))
      if Validation.containsAnyControlCharacter(text) != isControl
        || Validation.containsControlCharacters(text) != (isControl && !"\t\n\r".unicodeScalars.contains(scalar))
      {
        Issue.record("U+\(String(value, radix: 16)): category says \(isControl)")
      }
      checked += 1
    }
    #expect(checked > 1_000_000)
  }
}
