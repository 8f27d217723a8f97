import NIOCore
import RPCCore

/// The per-call bookkeeping of one server connection, as a value: the connection's phase,
/// the call-id rules, and every call's state — opened by HEADERS and awaiting its request,
/// starting inline, or running — with its deadline.
///
/// ``ServerConnectionHandler`` feeds it the events of the frames it reads and of its handlers
/// and its deadline timer, and does what the answers say (write a STATUS, start a handler, arm
/// the timer, close). It does no I/O and reads no clock: the time is passed in (the handler
/// passes its event loop's `now`, which an `EmbeddedEventLoop` controls). The only effect it
/// has is cancelling the tasks of calls it drops, which it owns. One timer serves every
/// call's deadline (``CallDeadlineTimer``).
///
/// A call is in exactly one place:
/// - *pending*: opened by the last HEADERS handled; if its MESSAGE is the very next frame (a
///   client writes both together) it starts without ever entering the table;
/// - *starting*: its handler is being started inline; a handler that does not suspend ends
///   the call before `start` returns, and the call is never stored;
/// - in the table: awaiting its MESSAGE, or running.
struct ServerCallStateMachine {
  enum Phase: Equatable {
    /// The client's preface has not arrived.
    case awaitingPreface
    /// Calls are accepted.
    case active
    /// GOAWAY sent (server drain) or received (client done): no new calls; close when none is
    /// left.
    case draining
    /// The connection is closing; nothing more is done.
    case closing
  }

  /// One call.
  struct Call {
    enum State {
      /// HEADERS arrived; the request MESSAGE has not.
      case awaitingMessage(RegisteredMethod, ServerContext)
      /// The handler runs (its task, once known).
      case running(Task<Void, Never>?)
    }

    var state: State
    /// The caller's deadline: the connection's deadline timer ends the call when it passes
    /// (``deadlinesPassed(now:)``), and a result produced after it is answered
    /// `DEADLINE_EXCEEDED` whatever the handler's kind (the timer alone cannot stop a handler
    /// that runs synchronously on the event loop).
    var deadline: NIODeadline?

    /// Cancels the handler's task, if it runs.
    func cancel() {
      if case .running(let task) = self.state { task?.cancel() }
    }
  }

  private(set) var phase = Phase.awaitingPreface
  /// The highest call id seen: ids must be non-zero and strictly increasing.
  private(set) var lastCallID: UInt32 = 0
  private var calls: [UInt32: Call] = [:]
  private var pendingOpenID: UInt32 = 0
  private var pendingOpen: Call?
  private var startingCallID: UInt32 = 0
  private var startingCallEnded = false
  private var startingCallDeadline: NIODeadline?
  /// When the connection's one deadline timer fires.
  private var deadlineTimer = CallDeadlineTimer()
  private let maxConcurrentCalls: Int

  init(maxConcurrentCalls: Int) {
    self.maxConcurrentCalls = maxConcurrentCalls
  }

  // MARK: Phase

  /// The client's preface was accepted.
  mutating func prefaceAccepted() {
    if self.phase == .awaitingPreface { self.phase = .active }
  }

  enum DrainAction: Equatable {
    /// Nothing was said yet (no preface): close without a word.
    case close
    /// Send GOAWAY `NO_ERROR`, then close once no call is left.
    case goAway
    /// Already draining or closing.
    case none
  }

  /// The server drains (shutdown).
  mutating func drainRequested() -> DrainAction {
    switch self.phase {
    case .awaitingPreface: return .close
    case .active:
      self.phase = .draining
      return .goAway
    case .draining, .closing: return .none
    }
  }

  /// The client sent GOAWAY: it opens no more calls.
  mutating func peerWentAway() {
    if self.phase == .active { self.phase = .draining }
  }

  /// The connection closes: every call left is cancelled (its task), and the deadline timer
  /// is no longer armed (the handler cancels it).
  mutating func close() {
    self.phase = .closing
    self.deadlineTimer.disarm()
    self.commitPendingOpen()
    let calls = self.calls
    self.calls.removeAll()
    for call in calls.values { call.cancel() }
  }

  // MARK: HEADERS

  /// Takes a new call id: non-zero and greater than every earlier one.
  /// - Returns: The protocol error's reason if the id breaks the rules.
  mutating func acceptNewCallID(_ id: UInt32) -> String? {
    guard id != 0 else { return "call id 0 is reserved for the connection" }
    guard id > self.lastCallID else {
      return self.calls[id] != nil || (self.pendingOpen != nil && self.pendingOpenID == id)
        ? "call id \(id) reused while in flight"
        : "call id \(id) is not greater than the last call id \(self.lastCallID)"
    }
    self.lastCallID = id
    return nil
  }

  enum HeadersAction {
    /// Decode the headers and open the call (``opened(_:_:)``).
    case open
    /// Answer this STATUS; the call never opens.
    case refuse(RPCError)
    /// Close the connection with GOAWAY `PROTOCOL_ERROR`.
    case protocolError(String)
  }

  /// HEADERS for `id` arrived.
  mutating func receivedHeaders(_ id: UInt32) -> HeadersAction {
    if let reason = self.acceptNewCallID(id) { return .protocolError(reason) }
    if self.phase == .draining {
      return .refuse(
        RPCError(
          code: .unavailable,
          message: "The server is draining; retry on a new connection.",
          details: [.retryInfo(delay: .zero)]))
    }
    guard self.calls.count < self.maxConcurrentCalls else {
      return .refuse(
        RPCError(
          code: .resourceExhausted,
          message: "Too many calls in flight on this connection (limit \(self.maxConcurrentCalls))."))
    }
    return .open
  }

  /// The call `id` is open and awaits its MESSAGE (pending until another frame arrives).
  /// - Returns: When to arm the connection's deadline timer, replacing the armed one (nil: it
  ///   is armed early enough, or the call has no deadline).
  mutating func opened(_ id: UInt32, _ call: Call) -> NIODeadline? {
    self.commitPendingOpen()
    self.pendingOpenID = id
    self.pendingOpen = call
    return call.deadline.flatMap { self.deadlineTimer.callStarted(deadline: $0) }
  }

  /// A frame other than the pending call's MESSAGE arrived, or the read ended: the pending
  /// call enters the table.
  mutating func commitPendingOpen() {
    guard let pending = self.pendingOpen.take() else { return }
    self.calls[self.pendingOpenID] = pending
  }

  // MARK: MESSAGE, CANCEL, refusals, deadlines

  enum MessageAction {
    /// The pending call's MESSAGE: start it inline (``beginStarting(_:deadline:)``), outside
    /// the table.
    case startPending(Call)
    /// Start the handler of a call in the table (now marked running; ``started(_:task:)``).
    case start(RegisteredMethod, ServerContext)
    /// A second MESSAGE on a running call: it ends `UNIMPLEMENTED` (the call is removed and
    /// cancelled).
    case secondMessage
    /// The call already ended (cancelled, failed, expired): drop the frame.
    case ignore
    /// A MESSAGE for a call never opened.
    case protocolError(String)
  }

  /// A request MESSAGE for `id` arrived (within its limits).
  mutating func receivedMessage(_ id: UInt32) -> MessageAction {
    if self.pendingOpen != nil, id == self.pendingOpenID, let pending = self.pendingOpen.take() {
      return .startPending(pending)
    }
    self.commitPendingOpen()
    guard let call = self.calls[id] else {
      return id > self.lastCallID ? .protocolError("MESSAGE for call \(id), which was never opened") : .ignore
    }
    switch call.state {
    case .awaitingMessage(let method, let context):
      self.calls[id]?.state = .running(nil)
      return .start(method, context)
    case .running:
      self.calls.removeValue(forKey: id)?.cancel()
      return .secondMessage
    }
  }

  /// A pending call's handler is about to be started inline.
  mutating func beginStarting(_ id: UInt32, deadline: NIODeadline?) {
    self.startingCallID = id
    self.startingCallEnded = false
    self.startingCallDeadline = deadline
  }

  /// The inline start returned: a call its handler did not end enters the table as running.
  mutating func endStarting(_ id: UInt32, _ call: Call, task: Task<Void, Never>?) {
    self.startingCallID = 0
    if !self.startingCallEnded, let task {
      self.calls[id] = Call(state: .running(task), deadline: call.deadline)
    }
  }

  /// A table call's handler was started; `task` is `nil` if it already ended.
  mutating func started(_ id: UInt32, task: Task<Void, Never>?) {
    if let task, self.calls[id] != nil { self.calls[id]?.state = .running(task) }
  }

  enum RemoveAction {
    /// The call was open: it is removed and cancelled; answer it.
    case removed(Call)
    /// The call already ended.
    case ignore
    /// The call was never opened.
    case protocolError(String)
  }

  /// The client cancelled `id`.
  mutating func receivedCancel(_ id: UInt32) -> RemoveAction {
    self.remove(id, frame: "CANCEL")
  }

  /// `id`'s MESSAGE was refused from its header (over a limit).
  mutating func refusedMessage(_ id: UInt32) -> RemoveAction {
    self.remove(id, frame: "MESSAGE")
  }

  private mutating func remove(_ id: UInt32, frame: String) -> RemoveAction {
    self.commitPendingOpen()
    if let call = self.calls.removeValue(forKey: id) {
      call.cancel()
      return .removed(call)
    }
    return id > self.lastCallID ? .protocolError("\(frame) for call \(id), which was never opened") : .ignore
  }

  /// The connection's deadline timer fired at `now`.
  /// - Returns: The calls whose deadline has passed, in id order (each is removed and its task
  ///   cancelled: answer `DEADLINE_EXCEEDED`), and when to arm the timer next (nil: no call
  ///   with a deadline is left).
  mutating func deadlinesPassed(now: NIODeadline) -> (expired: [UInt32], next: NIODeadline?) {
    self.commitPendingOpen()
    let (expired, next) = self.deadlineTimer.fired(
      now: now, deadlines: self.calls.lazy.compactMap { id, call in call.deadline.map { (id: id, deadline: $0) } })
    for id in expired { self.calls.removeValue(forKey: id)?.cancel() }
    return (expired, next)
  }

  // MARK: Handlers ending

  enum Ending: Equatable {
    /// The call had already ended (cancelled, expired, failed): nothing to send.
    case over
    /// The call ends now, within its deadline: send its answer.
    case live
    /// The call ends now, but its deadline has passed: answer `DEADLINE_EXCEEDED`.
    case pastDeadline
  }

  /// A handler produced its result (or failed) at `now`: the call ends.
  mutating func ending(_ id: UInt32, now: NIODeadline) -> Ending {
    let deadline: NIODeadline?
    if id == self.startingCallID {
      guard !self.startingCallEnded else { return .over }
      self.startingCallEnded = true
      deadline = self.startingCallDeadline
    } else {
      guard let call = self.calls.removeValue(forKey: id) else { return .over }
      deadline = call.deadline
    }
    if let deadline, deadline <= now { return .pastDeadline }
    return .live
  }

  /// Whether a handler may still send messages on `id`.
  func isLive(_ id: UInt32) -> Bool {
    id == self.startingCallID ? !self.startingCallEnded : self.calls[id] != nil
  }

  /// Whether no call is open, pending or starting: a draining connection may close, and the
  /// idle clock starts.
  var hasNoCalls: Bool {
    let starting = self.startingCallID != 0 && !self.startingCallEnded
    return self.calls.isEmpty && self.pendingOpen == nil && !starting
  }

  /// The method path of an open call awaiting its request, if `id` is one.
  func methodPath(of id: UInt32) -> String? {
    let call = self.pendingOpen != nil && id == self.pendingOpenID ? self.pendingOpen : self.calls[id]
    if case .awaitingMessage(let method, _) = call?.state { return method.descriptor.path }
    return nil
  }
}
