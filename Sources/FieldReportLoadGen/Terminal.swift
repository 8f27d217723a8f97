#if canImport(Glibc)
  import Glibc
#endif

/// The few operating-system services the generator needs, without Foundation: the terminal
/// test, stderr, files, the server's /proc figures.
enum Terminal {
  /// Whether stderr is a terminal (the live line and the prefill's progress redraw in place).
  static let stderrIsTerminal = isatty(2) == 1

  /// Writes text to stderr as it is.
  static func writeError(_ text: String) {
    var text = text
    text.withUTF8 { bytes in _ = write(2, bytes.baseAddress, bytes.count) }
  }

  /// Seconds of a duration, as a Double.
  static func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
  }

  /// A file's text, or nil when it cannot be read.
  static func readFile(_ path: String) -> String? {
    guard let file = fopen(path, "r") else { return nil }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
      let count = fread(&buffer, 1, buffer.count, file)
      if count <= 0 { break }
      bytes.append(contentsOf: buffer[0..<count])
    }
    return String(decoding: bytes, as: UTF8.self)
  }

  /// Writes `text` to `path` (replacing it).
  /// - Throws: ``LoadGenError/output(_:)``.
  static func writeFile(_ path: String, _ text: String) throws(LoadGenError) {
    guard let file = fopen(path, "w") else { throw .output("\(path): \(String(cString: strerror(errno)))") }
    var text = text
    let written = text.withUTF8 { bytes in fwrite(bytes.baseAddress, 1, bytes.count, file) }
    let closed = fclose(file)
    guard written == text.utf8.count, closed == 0 else { throw .output("\(path): short write") }
  }

  /// The resident set size of a process in kB (/proc/PID/status VmRSS), nil when unknown.
  static func residentKilobytes(pid: Int32) -> Int? {
    guard let status = self.readFile("/proc/\(pid)/status") else { return nil }
    for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
      return line.split(separator: " ").dropFirst().first.flatMap { Int($0) }
    }
    return nil
  }

  /// The CPU time (user + system) a process has used, in seconds (/proc/PID/stat; nil: this
  /// process), nil when unknown.
  static func cpuSeconds(pid: Int32?) -> Double? {
    guard let stat = self.readFile(pid.map { "/proc/\($0)/stat" } ?? "/proc/self/stat"), let close = stat.lastIndex(of: ")") else {
      return nil
    }
    // After "pid (comm)": state is field 3; utime and stime are fields 14 and 15.
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
    let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
    return (user + system) / (ticks > 0 ? ticks : 100)
  }
}

extension Terminal {
  /// The 1-minute load average of the machine (/proc/loadavg), nil when unknown.
  static func loadAverage() -> Double? {
    self.readFile("/proc/loadavg")?.split(separator: " ").first.flatMap { Double($0) }
  }
}

extension String {
  /// A number with one decimal (Foundation-free).
  init(format1 value: Double) {
    let tenths = Int((value * 10).rounded())
    let sign = tenths < 0 ? "-" : ""
    self = "\(sign)\(abs(tenths) / 10).\(abs(tenths) % 10)"
  }
}
