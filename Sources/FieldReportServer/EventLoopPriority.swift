import NIOCore
import NIOPosix

#if canImport(Glibc)
  import Glibc
#endif

/// How the kernel schedules the server's event loops against its other threads (the store's
/// writer, readers and checkpointer) and the host's other processes: the one place that sets
/// it (`--event-loop-priority`).
///
/// The event loops read requests, answer the calls served from memory (GetCase of a case
/// held in memory) on the spot, prepare writes and write every response. With the store's
/// threads busy (a write load) a loop that has a request to read waits for a core like any
/// other thread, and a read answered in microseconds waits milliseconds. Raising the loops'
/// priority shortens that wait, at the cost of throughput: a loop that runs as soon as a
/// request arrives handles fewer calls per wake-up and per system call, and the store's
/// threads get the cores later. Measured (docs/PERFORMANCE.md, twentieth session: 10k cases,
/// 64 in flight, two cores shared with the load generator, two rounds each):
///
/// | priority | GetCase p99 in the default mix (alone) | the mix | SubmitReport | IOC inbox | lifecycle |
/// |---|---|---|---|---|---|
/// | `normal` | 18.0–18.5 ms (3.9–4.7) | — | — | — | — |
/// | `raised` (nice −10) | 14.4–16.4 ms (5.1–5.2) | −4 to +7 % | −6 to +2 % | −17 to −23 % | −4 to −8 % |
/// | `realtime` (`SCHED_FIFO` 1) | 8.3–9.1 ms (4.7–5.1) | −4 to −9 % | −13 to −18 % | −27 to −36 % | −5 to −15 % |
///
/// `normal` is the default: throughput is the scarcer resource. Both others need the
/// privilege to raise a thread's priority: `CAP_SYS_NICE`, or for `raised` a nice limit
/// (systemd `LimitNICE=-10`) and for `realtime` a real-time priority limit
/// (`LimitRTPRIO=1`). `realtime` threads run before every ordinary thread of the host; the
/// kernel's real-time throttling still leaves ordinary threads 5 % of each second, and a loop
/// sleeps whenever it has nothing to read, but use it only on a host that serves this server
/// alone.
enum EventLoopPriority: String, Sendable, CustomStringConvertible {
  /// The kernel's default for an ordinary thread (nice 0, `SCHED_OTHER`).
  case normal
  /// nice −10: a larger share of the cores when the loops and other threads are all ready.
  case raised
  /// `SCHED_FIFO` priority 1: the loops run before any ordinary thread.
  case realtime

  /// The nice value of `raised`.
  static let raisedNice: Int32 = -10
  /// The `SCHED_FIFO` priority of `realtime` (the lowest real-time priority).
  static let realtimePriority: Int32 = 1

  /// `normal`, `raised (nice -10)`, `realtime (SCHED_FIFO 1)`: the banner's and the log's form.
  var description: String {
    switch self {
    case .normal: "normal"
    case .raised: "raised (nice \(Self.raisedNice))"
    case .realtime: "realtime (SCHED_FIFO \(Self.realtimePriority))"
    }
  }

  /// Why a priority could not be set, in the operator's words.
  struct Refused: Error, CustomStringConvertible {
    let description: String
  }

  /// Sets this priority on every loop of `group`, each loop setting its own thread's.
  /// - Throws: ``Refused`` if the kernel refuses (no privilege), naming the flag and what to grant.
  func apply(to group: MultiThreadedEventLoopGroup) async throws {
    guard self != .normal else { return }
    for loop in group.makeIterator() {
      try await loop.submit { try self.applyToCurrentThread() }.get()
    }
  }

  /// Sets this priority on the calling thread.
  func applyToCurrentThread() throws {
    #if os(Linux)
      let code: Int32
      switch self {
      case .normal:
        return
      case .raised:
        // On Linux a nice value belongs to a thread, and `who` 0 is the calling one.
        code = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, Self.raisedNice) == 0 ? 0 : errno
      case .realtime:
        var parameters = sched_param(sched_priority: Self.realtimePriority)
        // pid 0 is the calling thread (Linux).
        code = sched_setscheduler(0, SCHED_FIFO, &parameters) == 0 ? 0 : errno
      }
      guard code == 0 else {
        let why = code == EPERM || code == EACCES ? "not permitted" : String(cString: strerror(code))
        let grant =
          self == .raised
          ? "CAP_SYS_NICE or a nice limit of -10 (systemd LimitNICE=-10)"
          : "CAP_SYS_NICE or a real-time priority limit (systemd LimitRTPRIO=1)"
        throw Refused(
          description:
            "--event-loop-priority \(rawValue): the kernel refused to set the event loops' priority (\(why)); grant the server \(grant), or use --event-loop-priority normal"
        )
      }
    #else
      throw Refused(description: "--event-loop-priority \(rawValue) is supported on Linux only")
    #endif
  }
}
