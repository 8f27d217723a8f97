// rpc-bench: the RPC runtime against a bare SwiftNIO pipelined echo, in one process pair on
// loopback. `rpc-bench [--seconds N]` runs every scenario and prints the table that
// docs/PERFORMANCE.md quotes; `rpc-bench server` is the server process it spawns.
//
// `--impls` picks rows: echo, rpc (the handler in a task per call), sync (the same echo
// registered as a synchronous handler, run inline), pool (callers on the global pool).
//
// Profiling: `--payload 100 --in-flight 64 --impls rpc` runs one scenario; the environment
// variable `RPC_BENCH_SERVER_WRAPPER` (e.g. `valgrind --tool=callgrind`) prefixes the server
// process's command line; `--attach RPC,ECHO` drives a server started by hand (the driver
// itself cannot spawn one under valgrind).
import Foundation

let arguments = CommandLine.arguments

/// The benchmark's work, run in a task while the main thread waits: main stays synchronous
/// because valgrind 3.19 cannot run an `async` main that suspends, and callgrind is how the
/// runtime's per-call instruction counts are measured.
func runMain() async throws {
  if arguments.count > 1 && arguments[1] == "server" {
    try await BenchServer.run()
    return
  }
  var seconds = 5.0
  if let index = arguments.firstIndex(of: "--seconds"), index + 1 < arguments.count, let value = Double(arguments[index + 1]) {
    seconds = value
  }
  // Optional filters, for profiling one scenario: `--payload 100 --in-flight 64 --impls rpc`.
  func values(_ flag: String) -> [String]? {
    guard let index = arguments.firstIndex(of: flag), index + 1 < arguments.count else { return nil }
    return arguments[index + 1].split(separator: ",").map(String.init)
  }
  try await runBenchmarks(
    seconds: seconds,
    payloads: values("--payload")?.compactMap { Int($0) } ?? [100, 8192],
    inFlights: values("--in-flight")?.compactMap { Int($0) } ?? [1, 64],
    impls: Set(values("--impls") ?? ["echo", "rpc", "sync", "pool"]),
    // `--attach RPC,ECHO`: a server started by hand (`rpc-bench server` prints its ports).
    attachPorts: values("--attach").flatMap { ports in
      guard ports.count == 2, let rpc = Int(ports[0]), let echo = Int(ports[1]) else { return nil }
      return (rpc, echo)
    }
  )
}

let finished = DispatchSemaphore(value: 0)
// Detached: a plain `Task` here would inherit the main actor, which the blocked main thread never serves.
Task.detached {
  do {
    try await runMain()
  } catch {
    FileHandle.standardError.write("rpc-bench: \(error)\n".data(using: .utf8)!)
    exit(1)
  }
  finished.signal()
}
finished.wait()

func format(_ value: Double, _ digits: Int = 1) -> String {
  String(format: "%.\(digits)f", value)
}

func runBenchmarks(
  seconds: Double,
  payloads: [Int],
  inFlights: [Int],
  impls: Set<String>,
  attachPorts: (rpc: Int, echo: Int)?
) async throws {
  let driver = BenchDriver(seconds: seconds)
  if let ports = attachPorts {
    driver.attach(rpcPort: ports.rpc, echoPort: ports.echo)
  } else {
    try driver.startServer()
  }
  print("rpc-bench: \(format(seconds, 0)) s per scenario after 1 s warm-up; server in a separate process; latencies in µs")
  print("| scenario | impl | calls/s | p50 | p99 | p99.9 | server allocs/call |")
  print("|---|---|---:|---:|---:|---:|---:|")
  var verdicts: [String] = []
  for payload in payloads {
    for (inFlight, connections) in [(1, 1), (64, 4)] where inFlights.contains(inFlight) {
      let name = "\(inFlight) in flight / \(connections) conn, \(payload) B"
      var rows: [(String, Figures)] = []
      if impls.contains("echo") {
        rows.append(("bare NIO echo", try await driver.runEcho(payload: payload, inFlight: inFlight, connections: connections)))
      }
      if impls.contains("rpc") {
        rows.append((
          "RPC runtime",
          try await driver.runRPC(payload: payload, inFlight: inFlight, connections: connections, callers: .onLoop)
        ))
      }
      var syncFigures: Figures?
      if impls.contains("sync") {
        let figures = try await driver.runRPC(
          payload: payload, inFlight: inFlight, connections: connections, callers: .onLoop, method: echoSyncMethod)
        syncFigures = figures
        rows.append(("RPC runtime, synchronous handler", figures))
      }
      if impls.contains("pool") {
        rows.append((
          "RPC runtime, callers on global pool",
          try await driver.runRPC(payload: payload, inFlight: inFlight, connections: connections, callers: .globalPool)
        ))
      }
      for (impl, figures) in rows {
        print(
          "| \(name) | \(impl) | \(format(figures.callsPerSecond, 0)) | \(format(figures.micros(50))) | \(format(figures.micros(99))) | \(format(figures.micros(99.9))) | \(format(figures.allocationsPerCall)) |"
        )
      }
      guard impls.contains("echo") && impls.contains("rpc") else { continue }
      let echo = rows[0].1
      let rpc = rows[1].1
      let throughputRatio = rpc.callsPerSecond / echo.callsPerSecond
      let p50Ratio = rpc.micros(50) / echo.micros(50)
      print("| \(name) | **RPC / echo** | \(format(throughputRatio * 100))% | \(format(p50Ratio, 2))× | | | |")
      if let sync = syncFigures {
        print(
          "| \(name) | **RPC synchronous handler / echo** | \(format(sync.callsPerSecond / echo.callsPerSecond * 100))% | \(format(sync.micros(50) / echo.micros(50), 2))× | | | |"
        )
      }
      if payload == 100 && inFlight == 64 {
        verdicts.append("throughput at 64 in flight, 100 B: \(format(throughputRatio * 100))% of bare echo (bar ≥ 25%): \(throughputRatio >= 0.25 ? "MET" : "NOT MET")")
        verdicts.append("server allocations per trivial unary call: \(format(rpc.allocationsPerCall)) (bar ≤ 20): \(rpc.allocationsPerCall <= 20 ? "MET" : "NOT MET")")
      }
      if payload == 100 && inFlight == 1 {
        verdicts.append("p50 at 1 in flight, 100 B: \(format(p50Ratio, 2))× bare echo (bar ≤ 1.5×): \(p50Ratio <= 1.5 ? "MET" : "NOT MET")")
      }
    }
  }
  print("")
  for verdict in verdicts { print("- \(verdict)") }
  driver.stopServer()
}
