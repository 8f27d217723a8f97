import Foundation

/// Small helpers for reading what the user points at.
enum FileInput {
  /// The text of a file ('-' for stdin), which must be UTF-8.
  static func text(_ path: String, option: String) throws(CLIError) -> String {
    let data = try self.bytes(path, option: option)
    guard let text = String(bytes: data, encoding: .utf8) else { throw .usage("\(option) \(path) is not UTF-8 text") }
    return text
  }

  /// The bytes of a file ('-' for stdin).
  static func bytes(_ path: String, option: String) throws(CLIError) -> [UInt8] {
    if path == "-" { return [UInt8](FileHandle.standardInput.readDataToEndOfFile()) }
    do {
      return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    } catch {
      throw .usage("cannot read \(option) \(path): \(error.localizedDescription)")
    }
  }
}

/// Random keys for idempotency.
enum UUIDText {
  static func random() -> String { UUID().uuidString.lowercased() }
}
