// rpc-bench: the RPC runtime against a bare SwiftNIO pipelined echo, in one process pair on
// loopback. `rpc-bench [--seconds N]` runs every scenario and prints the table that
// docs/PERFORMANCE.md quotes; `rpc-bench server` is the server process it spawns.
import Foundation

let arguments = CommandLine.arguments
if arguments.count > 1 && arguments[1] == "server" {
  try await BenchServer.run()
} else {
  var seconds = 5.0
  if let index = arguments.firstIndex(of: "--seconds"), index + 1 < arguments.count, let value = Double(arguments[index + 1]) {
    seconds = value
  }
  try await runBenchmarks(seconds: seconds)
}

func format(_ value: Double, _ digits: Int = 1) -> String {
  String(format: "%.\(digits)f", value)
}

func runBenchmarks(seconds: Double) async throws {
  let driver = BenchDriver(seconds: seconds)
  try driver.startServer()
  print("rpc-bench: \(format(seconds, 0)) s per scenario after 1 s warm-up; server in a separate process; latencies in µs")
  print("| scenario | impl | calls/s | p50 | p99 | p99.9 | server allocs/call |")
  print("|---|---|---:|---:|---:|---:|---:|")
  var verdicts: [String] = []
  for payload in [100, 8192] {
    for (inFlight, connections) in [(1, 1), (64, 4)] {
      let name = "\(inFlight) in flight / \(connections) conn, \(payload) B"
      let echo = try await driver.runEcho(payload: payload, inFlight: inFlight, connections: connections)
      let rpc = try await driver.runRPC(payload: payload, inFlight: inFlight, connections: connections, onClientLoop: true)
      let pooled = try await driver.runRPC(payload: payload, inFlight: inFlight, connections: connections, onClientLoop: false)
      for (impl, figures) in [("bare NIO echo", echo), ("RPC runtime", rpc), ("RPC runtime, callers on global pool", pooled)] {
        print(
          "| \(name) | \(impl) | \(format(figures.callsPerSecond, 0)) | \(format(figures.micros(50))) | \(format(figures.micros(99))) | \(format(figures.micros(99.9))) | \(format(figures.allocationsPerCall)) |"
        )
      }
      let throughputRatio = rpc.callsPerSecond / echo.callsPerSecond
      let p50Ratio = rpc.micros(50) / echo.micros(50)
      print("| \(name) | **RPC / echo** | \(format(throughputRatio * 100))% | \(format(p50Ratio, 2))× | | | |")
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
