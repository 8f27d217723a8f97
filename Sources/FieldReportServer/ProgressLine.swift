import Foundation

/// A progress line on stderr, redrawn in place at most ten times a second, only when stderr
/// is a terminal (a cron job's mail or a systemd journal gets no progress noise).
final class ProgressLine {
  let enabled = isatty(STDERR_FILENO) == 1
  private var lastDrawn: ContinuousClock.Instant?
  private var drawn = false

  /// Draws `text` unless a line was drawn less than 100 ms ago; `force` draws it anyway.
  func update(_ text: @autoclosure () -> String, force: Bool = false) {
    guard enabled else { return }
    let now = ContinuousClock.now
    if !force, let lastDrawn, now - lastDrawn < .milliseconds(100) { return }
    lastDrawn = now
    drawn = true
    Self.writeError("\r\u{1B}[K" + text())
  }

  /// Ends the line (if one was drawn), so later output starts on a fresh line.
  func finish() {
    if drawn { Self.writeError("\n") }
    drawn = false
  }

  /// Writes text to stderr as it is.
  static func writeError(_ text: String) {
    var text = text
    text.withUTF8 { bytes in _ = write(STDERR_FILENO, bytes.baseAddress, bytes.count) }
  }
}
