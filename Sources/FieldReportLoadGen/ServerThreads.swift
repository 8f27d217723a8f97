#if canImport(Glibc)
  import Glibc
#endif

/// The server's CPU time thread by thread, from `/proc/PID/task/TID/schedstat` (Linux): how
/// long each thread ran on a core and how long it was ready but waited for one. It tells which
/// thread limits a run: the store's one writer (`sqlite-writer`) running most of the window
/// means writes are bound by it; a thread that waits for a core about as long as it runs means
/// the machine's cores are the limit (docs/PERFORMANCE.md, "How to measure").
struct ServerThreads: Sendable {
  /// One thread's counters at a reading.
  struct Thread: Sendable {
    /// The thread's name (`comm`; at most 15 bytes).
    var name: String
    /// Nanoseconds on a core.
    var runNanoseconds: UInt64
    /// Nanoseconds ready to run but waiting for a core.
    var waitNanoseconds: UInt64
  }

  /// What threads of one name used over a window.
  struct Usage: Sendable, Equatable {
    /// Seconds on a core.
    var cpuSeconds: Double
    /// Seconds ready to run but waiting for a core.
    var waitSeconds: Double
    /// How many threads carried the name.
    var threads: Int
  }

  /// Every thread read, by process and thread id.
  var threads: [ProcessThread: Thread]

  /// A thread of a process.
  struct ProcessThread: Hashable, Sendable {
    var pid: Int32
    var tid: Int32
  }

  /// Reads every thread of `pids`; nil if a process cannot be read (gone, or not Linux).
  static func read(pids: [Int32]) -> ServerThreads? {
    guard !pids.isEmpty else { return nil }
    var threads: [ProcessThread: Thread] = [:]
    for pid in pids {
      guard let tids = Self.threadIDs(of: pid) else { return nil }
      for tid in tids {
        let folder = "/proc/\(pid)/task/\(tid)"
        // A thread that ended between the listing and the reading is left out.
        guard let stat = Terminal.readFile(folder + "/schedstat"), let comm = Terminal.readFile(folder + "/comm") else {
          continue
        }
        let fields = stat.split(separator: " ")
        guard fields.count >= 2, let run = UInt64(fields[0]), let wait = UInt64(fields[1]) else { continue }
        let name = comm.hasSuffix("\n") ? String(comm.dropLast()) : comm
        threads[ProcessThread(pid: pid, tid: tid)] = Thread(name: name, runNanoseconds: run, waitNanoseconds: wait)
      }
    }
    return ServerThreads(threads: threads)
  }

  /// What each thread name used between `earlier` and this reading. A thread that started in
  /// between counts from zero; one that ended in between is left out (its last figures are
  /// unknown).
  func usage(since earlier: ServerThreads) -> [String: Usage] {
    var usage: [String: Usage] = [:]
    for (key, now) in self.threads {
      let before = earlier.threads[key]
      let run = now.runNanoseconds &- (before?.runNanoseconds ?? 0)
      let wait = now.waitNanoseconds &- (before?.waitNanoseconds ?? 0)
      var figures = usage[now.name] ?? Usage(cpuSeconds: 0, waitSeconds: 0, threads: 0)
      figures.cpuSeconds += Double(run) / 1e9
      figures.waitSeconds += Double(wait) / 1e9
      figures.threads += 1
      usage[now.name] = figures
    }
    return usage
  }

  /// The thread ids of process `pid` (/proc/PID/task), nil if it cannot be listed.
  private static func threadIDs(of pid: Int32) -> [Int32]? {
    guard let directory = opendir("/proc/\(pid)/task") else { return nil }
    defer { closedir(directory) }
    var ids: [Int32] = []
    while let entry = readdir(directory) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
        String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
      }
      if let id = Int32(name) { ids.append(id) }
    }
    return ids
  }
}

extension ServerThreads {
  /// The busiest names first: one line per name that ran at least 1 % of the window or of the
  /// busiest name, `name ×N: 1.23 s CPU (45.6 µs per call), waited 0.50 s for a core`.
  static func lines(_ usage: [String: Usage], calls: Int, seconds: Double) -> [String] {
    let busiest = usage.values.map(\.cpuSeconds).max() ?? 0
    return usage.sorted { ($0.value.cpuSeconds, $1.key) > ($1.value.cpuSeconds, $0.key) }
      .filter { $0.value.cpuSeconds >= max(0.01 * seconds, 0.01 * busiest) }
      .map { name, figures in
        let count = figures.threads > 1 ? " ×\(figures.threads)" : ""
        let perCall = calls > 0 ? " (\(String(format1: figures.cpuSeconds * 1e6 / Double(calls))) µs per call)" : ""
        return "\(name)\(count): \(String(format2: figures.cpuSeconds)) s CPU\(perCall), waited \(String(format2: figures.waitSeconds)) s for a core"
      }
  }

  /// The JSON object: `{name: {"cpu_s", "run_queue_wait_s", "threads", "cpu_us_per_call"}}`.
  static func json(_ usage: [String: Usage], calls: Int) -> JSON {
    .object(
      usage.sorted { $0.key < $1.key }.map { name, figures in
        (
          name,
          .object([
            ("cpu_s", .double(figures.cpuSeconds)),
            ("run_queue_wait_s", .double(figures.waitSeconds)),
            ("threads", .int(figures.threads)),
            ("cpu_us_per_call", calls > 0 ? .double(figures.cpuSeconds * 1e6 / Double(calls)) : .null),
          ])
        )
      })
  }
}
