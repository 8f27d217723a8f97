import Foundation

/// Times given as options.
enum TimeOption {
  /// Parses a time option (see ``LocalTime/parse(_:nowMs:)``).
  /// - Throws: ``CLIError/usage(_:)`` naming the option.
  static func parse(_ text: String, option: String) throws(CLIError) -> Int64 {
    guard let ms = LocalTime.parse(text) else {
      throw .usage("\(option) '\(text)': use now, +3d / +12h / -30m, 2026-03-10, 2026-03-10T17:00, 10/03/2026 17:00 (Asia/Ho_Chi_Minh) or Unix milliseconds")
    }
    return ms
  }
}

/// Media types guessed from file extensions (those the server allows by default).
enum MediaType {
  static func guess(fileName: String) -> String {
    switch fileName.split(separator: ".").last?.lowercased() ?? "" {
    case "jpg", "jpeg": "image/jpeg"
    case "png": "image/png"
    case "heic": "image/heic"
    case "webp": "image/webp"
    case "pdf": "application/pdf"
    case "mp4": "video/mp4"
    default: "application/octet-stream"
    }
  }
}

/// Writes downloads.
enum FileOutput {
  static func write(_ bytes: [UInt8], to path: String) throws(CLIError) {
    do {
      try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
    } catch {
      throw .configuration("cannot write \(path): \(error.localizedDescription)")
    }
  }
}
