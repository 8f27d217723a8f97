import NIOCore
import WireBridge

/// Keepalive and idle-timeout bookkeeping of one side of a connection, as a value: the
/// connection handler feeds it events and runs one timer at the deadline it asks for.
///
/// - Keepalive: after `keepaliveInterval` with nothing received, send a PING; if its ACK
///   has not arrived `keepaliveTimeout` later, the peer is gone: GOAWAY `KEEPALIVE_TIMEOUT`
///   and close.
/// - Idle timeout: after `idleTimeout` with no call in flight, GOAWAY `IDLE_TIMEOUT` and
///   close.
///
/// Events cost a clock read only when the corresponding feature is on; deadlines that move
/// later (every read, every call) re-arm nothing: the timer fires at the old deadline and
/// asks again.
struct ConnectionLiveness {
  /// What the handler does when the timer fires.
  enum Action: Equatable {
    /// Send a PING carrying this payload.
    case sendPing(UInt64)
    /// Close the connection with a GOAWAY of this code.
    case close(Rpc_V1_GoAwayCode)
  }

  private let keepaliveInterval: TimeAmount?
  private let keepaliveTimeout: TimeAmount
  private let idleTimeout: TimeAmount?
  private var lastRead: NIODeadline
  /// When the last call ended with none left, or `nil` while calls are in flight.
  private var idleSince: NIODeadline?
  /// The payload and deadline of the PING awaiting its ACK.
  private var outstandingPing: (payload: UInt64, deadline: NIODeadline)?
  private var pingsSent: UInt64 = 0

  /// - Parameter idleUntilFirstCall: whether the idle clock runs before the first call. A
  ///   server's does (a connection that never calls is closed); a client's does not: it opens
  ///   a connection because a call wants one, and a caller slow to get that call out (a
  ///   process short of CPU) must not find the connection it asked for closed under it.
  init(limits: ConnectionLimits, now: NIODeadline, idleUntilFirstCall: Bool = true) {
    self.keepaliveInterval = limits.keepaliveInterval.map { .microseconds($0.microseconds) }
    self.keepaliveTimeout = .microseconds(limits.keepaliveTimeout.microseconds)
    self.idleTimeout = limits.idleTimeout.map { .microseconds($0.microseconds) }
    self.lastRead = now
    self.idleSince = idleUntilFirstCall ? now : nil
  }

  /// Whether either feature is on (otherwise no timer is needed at all).
  var isEnabled: Bool { self.keepaliveInterval != nil || self.idleTimeout != nil }
  /// Whether reads must be timed.
  var tracksReads: Bool { self.keepaliveInterval != nil }
  /// Whether call counts must be reported.
  var tracksCalls: Bool { self.idleTimeout != nil }

  /// Bytes arrived.
  mutating func readReceived(now: NIODeadline) {
    self.lastRead = now
  }

  /// A PING ACK arrived; only the outstanding PING's ACK counts.
  mutating func pingAckReceived(payload: UInt64) {
    if self.outstandingPing?.payload == payload { self.outstandingPing = nil }
  }

  /// A call started (the connection is no longer idle).
  mutating func callStarted() {
    self.idleSince = nil
  }

  /// The last call in flight ended.
  mutating func callsEnded(now: NIODeadline) {
    if self.idleSince == nil { self.idleSince = now }
  }

  /// When the timer should fire next, or `nil` if nothing is pending.
  var nextDeadline: NIODeadline? {
    var next: NIODeadline?
    func consider(_ deadline: NIODeadline) {
      if next.map({ deadline < $0 }) ?? true { next = deadline }
    }
    if let ping = self.outstandingPing {
      consider(ping.deadline)
    } else if let interval = self.keepaliveInterval {
      consider(self.lastRead + interval)
    }
    if let idle = self.idleTimeout, let since = self.idleSince {
      consider(since + idle)
    }
    return next
  }

  /// The timer fired: what to do now (then re-arm at ``nextDeadline``).
  mutating func timerFired(now: NIODeadline) -> Action? {
    if let ping = self.outstandingPing, now >= ping.deadline {
      return .close(.keepaliveTimeout)
    }
    if let idle = self.idleTimeout, let since = self.idleSince, now >= since + idle {
      return .close(.idleTimeout)
    }
    if self.outstandingPing == nil, let interval = self.keepaliveInterval, now >= self.lastRead + interval {
      self.pingsSent &+= 1
      self.outstandingPing = (self.pingsSent, now + self.keepaliveTimeout)
      return .sendPing(self.pingsSent)
    }
    return nil
  }
}
