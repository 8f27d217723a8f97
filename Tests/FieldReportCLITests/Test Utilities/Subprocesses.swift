import Foundation
import TestSupport
import Testing

/// Finds an executable built next to the test bundle (`swift build` / `swift test` put every
/// product in the same folder).
func builtExecutable(_ name: String) -> URL? {
  var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
  for _ in 0..<4 {
    let candidate = directory.appendingPathComponent(name)
    if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
    directory = directory.deletingLastPathComponent()
  }
  return nil
}

/// A `fieldreport-server --demo` child process on a free loopback port with a temporary
/// SQLite file; terminated (SIGTERM) by ``stop()``.
final class DemoServer: @unchecked Sendable {
  // Set once in `start`, read afterwards by the same test task only.
  static let demoPassword = "mat-khau-demo-2026"
  let process = Process()
  let folder: String
  private(set) var port = 0
  private(set) var platformAPIKey = ""

  var address: String { "127.0.0.1:\(self.port)" }

  private init(folder: String) { self.folder = folder }

  /// Starts the server and waits for its banner.
  static func start(in folder: String, extraArguments: [String] = []) async throws -> DemoServer {
    let binary = try #require(builtExecutable("fieldreport-server"), "build fieldreport-server first (swift build)")
    let server = DemoServer(folder: folder)
    let process = server.process
    process.executableURL = binary
    process.arguments = [
      "--port", "0", "--demo", "--database", folder + "/data/fieldreport.sqlite", "--log-level", "error",
      "--scrypt-log-n", "10",
    ] + extraArguments
    var environment = ProcessInfo.processInfo.environment
    environment["FIELDREPORT_DEMO_PASSWORD"] = Self.demoPassword
    environment["FIELDREPORT_ADMIN_PASSWORD"] = "mat-khau-admin-2026"
    process.environment = environment
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.runSerialized()
    let lines = await Self.readLines(from: output.fileHandleForReading, until: "fieldreport-server listening on") ?? []
    guard let banner = lines.first(where: { $0.hasPrefix("fieldreport-server listening on") }),
      let port = Int(banner.split(separator: ":").last ?? "")
    else {
      server.stop()
      throw ServerStartError(output: lines.joined(separator: "\n"))
    }
    server.port = port
    server.platformAPIKey = lines.first { $0.hasPrefix("Platform API key") }.map { String($0.split(separator: " ").last ?? "") } ?? ""
    return server
  }

  /// Stops the server (SIGTERM, graceful drain) and waits for it.
  func stop() {
    if self.process.isRunning {
      self.process.terminate()
      self.process.waitUntilExit()
    }
  }

  private static func readLines(from handle: FileHandle, until prefix: String) async -> [String]? {
    await Task.detached {
      var buffer = ""
      while true {
        let data = handle.availableData
        if data.isEmpty { return nil }
        buffer += String(decoding: data, as: UTF8.self)
        let lines = buffer.split(separator: "\n").map(String.init)
        if lines.contains(where: { $0.hasPrefix(prefix) }) { return lines }
      }
    }.value
  }
}

struct ServerStartError: Error, CustomStringConvertible {
  let output: String
  var description: String { "fieldreport-server did not start:\n\(output)" }
}

/// What one run of the CLI printed and returned.
struct CLIResult: CustomStringConvertible {
  let status: Int32
  let stdout: String
  let stderr: String
  var description: String { "exit \(status)\n--- stdout\n\(stdout)\n--- stderr\n\(stderr)" }
}

/// Runs the `fieldreport` binary (or another of the package's executables) with its own
/// config folder (XDG_CONFIG_HOME) and no FIELDREPORT_ variables but those given.
struct CLIRunner {
  let binary: URL
  let configHome: String
  let scratch: String

  /// - Parameter executable: the product to run (`fieldreport`, `fieldreport-loadgen`).
  init(folder: String, executable: String = "fieldreport") throws {
    self.binary = try #require(builtExecutable(executable), "build \(executable) first (swift build)")
    self.configHome = folder + "/config"
    self.scratch = folder
  }

  /// Runs any program (`/bin/sh` for a pipeline) with the same environment.
  init(folder: String, binary: URL) {
    self.binary = binary
    self.configHome = folder + "/config"
    self.scratch = folder
  }

  /// Runs `fieldreport arguments…` with `stdin` as standard input; output goes through files
  /// so a large answer can never block the child on a full pipe. The test task suspends until
  /// the child exits: it never holds one of the few threads every concurrently running test
  /// shares (CLI suites blocking two of them at once starved the whole suite for ~40 s, and
  /// the timing tests with it).
  func run(_ arguments: [String], stdin: String? = nil, environment extra: [String: String] = [:]) async throws
    -> CLIResult
  {
    let exited = AsyncStream<Void>.makeStream()
    let started = try self.start(arguments, stdin: stdin, environment: extra) { exited.continuation.finish() }
    for await _ in exited.stream {}
    started.process.waitUntilExit()
    return try started.finish()
  }

  /// A started child and how to collect what it printed.
  private struct Started {
    let process: Process
    let finish: () throws -> CLIResult
  }

  private func start(
    _ arguments: [String], stdin: String?, environment extra: [String: String], onExit: @escaping @Sendable () -> Void
  ) throws -> Started {
    let process = Process()
    process.executableURL = self.binary
    process.arguments = arguments
    var environment = ProcessInfo.processInfo.environment
    for key in environment.keys where key.hasPrefix("FIELDREPORT_") { environment[key] = nil }
    environment["XDG_CONFIG_HOME"] = self.configHome
    for (key, value) in extra { environment[key] = value }
    process.environment = environment
    let id = UUID().uuidString
    let outPath = self.scratch + "/out-\(id)", errPath = self.scratch + "/err-\(id)"
    _ = FileManager.default.createFile(atPath: outPath, contents: nil)
    _ = FileManager.default.createFile(atPath: errPath, contents: nil)
    let out = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
    let err = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
    process.standardOutput = out
    process.standardError = err
    let input = Pipe()
    process.standardInput = input
    process.terminationHandler = { _ in onExit() }
    try process.runSerialized()
    if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
    try input.fileHandleForWriting.close()
    return Started(process: process) {
      try out.close()
      try err.close()
      defer {
        try? FileManager.default.removeItem(atPath: outPath)
        try? FileManager.default.removeItem(atPath: errPath)
      }
      return CLIResult(
        status: process.terminationStatus,
        stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
        stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
    }
  }
}
