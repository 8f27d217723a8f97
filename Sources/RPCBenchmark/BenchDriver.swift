import Foundation
import Histogram
import Logging
import NIOCore
import NIOPosix
import RPCCore
import RPCNIO
import WireBridge

/// One scenario's figures.
struct Figures {
  var calls: Int
  var seconds: Double
  var histogram: Histogram<UInt64>
  var serverAllocations: UInt64

  var callsPerSecond: Double { Double(self.calls) / self.seconds }
  func micros(_ percentile: Double) -> Double { Double(self.histogram.valueAtPercentile(percentile)) / 1000 }
  var allocationsPerCall: Double { Double(self.serverAllocations) / Double(max(self.calls, 1)) }
}

/// The driver process: spawns the server, runs each scenario against the bare echo and the
/// RPC runtime, prints the table.
final class BenchDriver {
  private let process = Process()
  private let toServer = Pipe()
  private let fromServer = Pipe()
  private var rpcPort = 0
  private var echoPort = 0
  private let seconds: Double
  private let logger = Logger(label: "rpc-bench") { _ in SwiftLogNoOpLogHandler() }

  init(seconds: Double) { self.seconds = seconds }

  private var reader: LineReader!

  /// Whether the driver spawned the server (otherwise it attached to a running one).
  private var spawned = false

  /// Uses a server already running (`rpc-bench server` started by hand, e.g. under a
  /// profiler): its allocations are then not counted.
  func attach(rpcPort: Int, echoPort: Int) {
    self.rpcPort = rpcPort
    self.echoPort = echoPort
  }

  func startServer() throws {
    self.spawned = true
    let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    if let wrapper = ProcessInfo.processInfo.environment["RPC_BENCH_SERVER_WRAPPER"], !wrapper.isEmpty {
      // Profiling: run the server under e.g. valgrind (the wrapper is found on PATH).
      let words = wrapper.split(separator: " ").map(String.init)
      self.process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
      self.process.arguments = words + [executable.path, "server"]
    } else {
      self.process.executableURL = executable
      self.process.arguments = ["server"]
    }
    self.process.standardInput = self.toServer
    self.process.standardOutput = self.fromServer
    try self.process.run()
    self.reader = LineReader(handle: self.fromServer.fileHandleForReading)
    let ready = self.reader.next() ?? ""
    let parts = ready.split(separator: " ")
    guard parts.count == 3, parts[0] == "ready", let rpc = Int(parts[1]), let echo = Int(parts[2]) else {
      throw RPCError(code: .internal, message: "server did not start: \(ready)")
    }
    self.rpcPort = rpc
    self.echoPort = echo
  }

  func stopServer() {
    guard self.spawned else { return }
    try? self.toServer.fileHandleForWriting.close()
    self.process.waitUntilExit()
  }

  private func serverAllocations() -> UInt64 {
    guard self.spawned else { return 0 }
    self.toServer.fileHandleForWriting.write("allocs\n".data(using: .utf8)!)
    return UInt64(self.reader.next() ?? "0") ?? 0
  }

  // MARK: Bare echo

  func runEcho(payload: Int, inFlight: Int, connections: Int) async throws -> Figures {
    let group = MultiThreadedEventLoopGroup.singleton
    var handlers: [NIOLoopBound<EchoClientHandler>] = []
    var channels: [any Channel] = []
    for _ in 0..<connections {
      let perConnection = inFlight / connections
      let channel = try await ClientBootstrap(group: group)
        .channelOption(.socketOption(.tcp_nodelay), value: 1)
        .connect(host: "127.0.0.1", port: self.echoPort).get()
      let handler = try await channel.eventLoop.submit {
        let handler = EchoClientHandler(payloadSize: payload, inFlight: perConnection)
        try channel.pipeline.syncOperations.addHandler(handler)
        return NIOLoopBound(handler, eventLoop: channel.eventLoop)
      }.get()
      handlers.append(handler)
      channels.append(channel)
    }
    for (handler, channel) in zip(handlers, channels) {
      try await channel.eventLoop.submit { handler.value.start() }.get()
    }
    try await Task.sleep(for: .seconds(1))  // warm-up
    for (handler, channel) in zip(handlers, channels) {
      try await channel.eventLoop.submit { handler.value.reset() }.get()
    }
    let allocationsBefore = self.serverAllocations()
    let start = ContinuousClock.now
    try await Task.sleep(for: .seconds(self.seconds))
    var figures = Figures(calls: 0, seconds: 0, histogram: Histogram(highestTrackableValue: 60_000_000), serverAllocations: 0)
    for (handler, channel) in zip(handlers, channels) {
      let (histogram, completed) = try await channel.eventLoop.submit {
        (handler.value.histogram, handler.value.completed)
      }.get()
      figures.histogram.add(histogram)
      figures.calls += completed
    }
    figures.seconds = Double((ContinuousClock.now - start).nanoseconds) / 1e9
    figures.serverAllocations = self.serverAllocations() - allocationsBefore
    for (handler, channel) in zip(handlers, channels) {
      let drained = try await channel.eventLoop.submit { () -> EventLoopFuture<Void> in
        let promise = channel.eventLoop.makePromise(of: Void.self)
        handler.value.drained = promise
        handler.value.stop()
        return promise.futureResult
      }.get()
      try await drained.get()
      try await channel.close()
    }
    return figures
  }

  // MARK: RPC runtime

  /// Where the calling tasks run.
  enum Callers {
    /// Tasks with the client's event loop as their executor preference (`RPCClient.executor`):
    /// calls start and complete on the loop, the equivalent of the echo's event-loop-driven
    /// client.
    case onLoop
    /// Swift's default global executor: every response hops threads.
    case globalPool
  }

  /// - Parameter method: ``echoMethod`` (the handler runs in a task per call) or
  ///   ``echoSyncMethod`` (the same handler registered as synchronous: no task).
  func runRPC(
    payload: Int, inFlight: Int, connections: Int, callers: Callers,
    method: UnaryMethod<Rpc_Testing_V1_Payload, Rpc_Testing_V1_Payload> = echoMethod
  ) async throws -> Figures {
    let clients = (0..<connections).map { _ in
      RPCClient(configuration: .init(host: "127.0.0.1", port: self.rpcPort), logger: self.logger)
    }
    var request = Rpc_Testing_V1_Payload()
    request.body = [UInt8](repeating: 0x61, count: payload)
    let perConnection = inFlight / connections
    let request2 = request
    let seconds = self.seconds
    // Warm-up, then the measured window; workers run through both so the pipeline is full.
    let warmupEnd = ContinuousClock.now + .seconds(1)
    let end = warmupEnd + .milliseconds(Int64(seconds * 1000))
    let allocations = AllocationWindow(driver: self, at: warmupEnd)
    let results = try await withThrowingTaskGroup(of: (Histogram<UInt64>, Int).self) { group in
      for client in clients {
        for _ in 0..<perConnection {
          group.addTask(executorPreference: callers == .onLoop ? client.executor : nil) {
            try await callLoop(client: client, method: method, request: request2, warmupEnd: warmupEnd, end: end)
          }
        }
      }
      group.addTask {
        try await allocations.run(until: end)
        return (Histogram<UInt64>(highestTrackableValue: 60_000_000), 0)
      }
      return try await group.reduce(into: [(Histogram<UInt64>, Int)]()) { $0.append($1) }
    }
    var figures = Figures(calls: 0, seconds: seconds, histogram: Histogram(highestTrackableValue: 60_000_000), serverAllocations: allocations.delta)
    for (histogram, calls) in results {
      figures.histogram.add(histogram)
      figures.calls += calls
    }
    for client in clients { await client.close() }
    return figures
  }

  fileprivate func allocationsNow() -> UInt64 { self.serverAllocations() }
}

/// One caller's loop: calls until `end`, recording those that start after `warmupEnd`.
func callLoop(
  client: RPCClient,
  method: UnaryMethod<Rpc_Testing_V1_Payload, Rpc_Testing_V1_Payload>,
  request: Rpc_Testing_V1_Payload,
  warmupEnd: ContinuousClock.Instant,
  end: ContinuousClock.Instant
) async throws -> (Histogram<UInt64>, Int) {
  var histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000)
  var calls = 0
  while true {
    let before = ContinuousClock.now
    if before >= end { break }
    _ = try await client.call(method, request)
    if before >= warmupEnd {
      _ = histogram.record(UInt64(max(0, (ContinuousClock.now - before).nanoseconds)))
      calls += 1
    }
  }
  return (histogram, calls)
}

/// Samples the server's allocation counter at the start and end of the measured window.
// @unchecked Sendable: `start`/`end` are written by the one task running `run` and read after
// the task group that ran it has finished (a happens-before edge).
final class AllocationWindow: @unchecked Sendable {
  private let driver: BenchDriver
  private let at: ContinuousClock.Instant
  private var start: UInt64 = 0
  private var end: UInt64 = 0

  init(driver: BenchDriver, at: ContinuousClock.Instant) {
    self.driver = driver
    self.at = at
  }

  func run(until end: ContinuousClock.Instant) async throws {
    try await Task.sleep(until: self.at)
    self.start = self.driver.allocationsNow()
    try await Task.sleep(until: end)
    self.end = self.driver.allocationsNow()
  }

  var delta: UInt64 { self.end &- self.start }
}

/// Reads lines from a pipe, blocking (only the driver's few control lines go through it).
final class LineReader {
  private let handle: FileHandle
  private var buffer: [UInt8] = []

  init(handle: FileHandle) { self.handle = handle }

  func next() -> String? {
    while true {
      if let newline = self.buffer.firstIndex(of: 0x0A) {
        let line = String(decoding: self.buffer[..<newline], as: UTF8.self)
        self.buffer.removeSubrange(...newline)
        return line
      }
      let data = self.handle.availableData
      if data.isEmpty { return nil }
      self.buffer.append(contentsOf: data)
    }
  }
}
