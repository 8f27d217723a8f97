import FieldReportAPI
import FieldReportServices
import Foundation
import TestSupport
import Logging
import RPCCore
import RPCNIO
import Testing
import WireBridge

@Suite("fieldreport-server executable")
struct ServerExecutableTests {
  /// The server binary, built next to the test bundle by `swift build` / `swift test`.
  static func serverURL() -> URL? {
    var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for _ in 0..<4 {
      let candidate = directory.appendingPathComponent("fieldreport-server")
      if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
      directory = directory.deletingLastPathComponent()
    }
    return nil
  }

  /// Reads the child's standard output until a line starts with `prefix`; returns every line
  /// read so far (nil at end of file).
  static func readLines(from handle: FileHandle, until prefix: String) async -> [String]? {
    await offCooperativePool {
      var buffer = ""
      while true {
        let data = handle.availableData
        if data.isEmpty { return nil }
        buffer += String(decoding: data, as: UTF8.self)
        let lines = buffer.split(separator: "\n").map(String.init)
        if lines.contains(where: { $0.hasPrefix(prefix) }) { return lines }
      }
    }
  }

  /// Runs blocking work (a pipe read, a socket, waiting for a child) on a Dispatch thread: a
  /// blocked thread of Swift's cooperative pool (two on this machine) stalls every other test.
  static func offCooperativePool<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
      DispatchQueue.global().async { continuation.resume(returning: body()) }
    }
  }

  /// Starts `executable` with `arguments` and `environment` added to this process's, its
  /// standard output piped, and waits for the server's "listening on" line.
  /// - Returns: The running process (the caller terminates it), the port and the lines read.
  /// - Parameter log: Where the server's log (its standard error) goes; discarded by default.
  static func launch(
    _ executable: URL, arguments: [String], environment extra: [String: String], log: FileHandle? = nil
  ) async throws -> (process: Process, port: Int, lines: [String]) {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(extra) { $1 }
    let output = Pipe()
    process.standardOutput = output
    process.standardError = log ?? FileHandle.nullDevice
    try process.runSerialized()
    guard let lines = await readLines(from: output.fileHandleForReading, until: "fieldreport-server listening on"),
      let banner = lines.first(where: { $0.hasPrefix("fieldreport-server listening on") }),
      let port = Int(banner.split(separator: ":").last ?? "")
    else {
      process.terminate()
      throw CocoaError(.fileReadCorruptFile, userInfo: [NSLocalizedDescriptionKey: "the server printed no port"])
    }
    return (process, port, lines)
  }

  @Test("starts on a free port with --demo, answers health and logins, drains on SIGTERM", .timeLimit(.minutes(1)))
  func startsAndDrains() async throws {
    let binary = try #require(Self.serverURL(), "build fieldreport-server first (swift build)")
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fieldreport-server-\(UInt32.random(in: 0...UInt32.max))")
    defer { try? FileManager.default.removeItem(at: folder) }
    let (process, port, lines) = try await Self.launch(
      binary,
      arguments: [
        "--port", "0", "--demo", "--database", folder.appendingPathComponent("data/fr.sqlite").path, "--log-level",
        "warning", "--scrypt-log-n", "10",
      ],
      environment: ["FIELDREPORT_DEMO_PASSWORD": "mat-khau-demo-2026", "FIELDREPORT_ADMIN_PASSWORD": "mat-khau-admin-2026"])
    defer { if process.isRunning { process.terminate() } }

    #expect(lines.contains { $0.hasPrefix("Platform API key (shown once") })
    // The banner names only options that exist (`login` has no --demo).
    #expect(!lines.joined().contains("with --demo"))
    #expect(lines.contains { $0.contains("--user admin") })
    // Passwords given in the environment are never echoed.
    #expect(!lines.joined().contains("mat-khau-demo-2026"))
    #expect(!lines.joined().contains("mat-khau-admin-2026"))

    let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
    let client = RPCClient(configuration: .init(host: "127.0.0.1", port: port), logger: logger)
    var health = Rpc_V1_HealthCheckRequest()
    health.service = ""
    #expect(try await client.call(HealthService.check, health, options: .defaults).status == .serving)
    var login = Fieldreport_V1_LoginRequest()
    login.username = "duong.lv"
    login.password = "mat-khau-demo-2026"
    let session = try await Fieldreport_V1_IdentityServiceClient(client).login(login)
    #expect(session.user?.fullName == "Lê Văn Đường")
    login.username = "admin"
    login.password = "mat-khau-admin-2026"
    _ = try await Fieldreport_V1_IdentityServiceClient(client).login(login)
    await client.close()

    // The server's folder and files are its owner's only, whatever the umask (0022 here).
    func mode(_ path: String) throws -> Int {
      try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
    }
    let database = folder.appendingPathComponent("data/fr.sqlite").path
    #expect(try mode(folder.appendingPathComponent("data").path) == 0o700)
    for file in [database, database + "-wal", database + "-shm"] {
      #expect(try mode(file) == 0o600, "\(file)")
    }

    process.terminate()  // SIGTERM: graceful drain
    process.waitUntilExit()
    #expect(process.terminationReason == .exit)
    #expect(process.terminationStatus == 0)
  }

  /// The server is linked against mimalloc (Package.swift); the linker would not complain if
  /// glibc's `malloc` won instead, so the binary's own startup check is what is tested here:
  /// it must find mimalloc serving `malloc`, and must not when another allocator is preloaded.
  @Test("runs on mimalloc, and says so in its banner and log; a preloaded allocator is noticed", .timeLimit(.minutes(1)))
  func runsOnMimalloc() async throws {
    let binary = try #require(Self.serverURL(), "build fieldreport-server first (swift build)")
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fieldreport-alloc-\(UInt32.random(in: 0...UInt32.max))")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    // glibc's own malloc, preloaded ahead of mimalloc, is the allocator the check must see through.
    let libc = ["/lib/x86_64-linux-gnu/libc.so.6", "/lib/aarch64-linux-gnu/libc.so.6"].first {
      FileManager.default.fileExists(atPath: $0)
    }
    for preload in [nil, libc] {
      let logURL = folder.appendingPathComponent("server-\(preload == nil ? "plain" : "preloaded").log")
      try #require(FileManager.default.createFile(atPath: logURL.path, contents: nil))
      let log = try FileHandle(forWritingTo: logURL)
      let (process, _, banner) = try await Self.launch(
        binary,
        arguments: [
          "--port", "0", "--database", folder.appendingPathComponent("\(preload == nil ? "a" : "b").sqlite").path,
          "--log-level", "info", "--scrypt-log-n", "10",
        ],
        environment: ["FIELDREPORT_ADMIN_PASSWORD": "mat-khau-admin-2026", "LD_PRELOAD": preload ?? ""], log: log)
      // The "serving" line is logged right after the banner the launch waited for.
      var text = ""
      for _ in 0..<100 where !text.contains("serving") {
        try await Task.sleep(for: .milliseconds(20))
        text = (try? String(contentsOf: logURL, encoding: .utf8)) ?? ""
      }
      process.terminate()
      process.waitUntilExit()
      try log.close()
      let serving = text.split(separator: "\n").first { $0.hasSuffix("serving") }.map(String.init) ?? text
      // The banner (standard output, before "listening on") names it too.
      let bannerLine = banner.first { $0.hasPrefix("Memory allocator: ") } ?? "(no allocator line)"
      if preload == nil {
        #expect(bannerLine.hasPrefix("Memory allocator: mimalloc 2."), "\(banner)")
        #expect(serving.contains("allocator=mimalloc 2."), "\(serving)")
        #expect(!text.contains("not mimalloc"), "\(text)")
      } else {
        #expect(bannerLine == "Memory allocator: another malloc", "\(banner)")
        #expect(serving.contains("allocator=another malloc"), "\(serving)")
        #expect(text.contains("the memory allocator is not mimalloc"), "\(text)")
      }
    }
  }
}

extension ServerExecutableTests {
  /// The nice value and scheduling policy (0 `SCHED_OTHER`, 1 `SCHED_FIFO`) of each event-loop
  /// thread of process `pid` (`/proc/PID/task/TID/stat`, fields 19 and 41).
  static func loopScheduling(_ pid: Int32) -> [(nice: Int, policy: Int)] {
    let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
    return tasks.compactMap { tid in
      guard let stat = try? String(contentsOfFile: "/proc/\(pid)/task/\(tid)/stat", encoding: .utf8),
        let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")"),
        stat[stat.index(after: open)..<close].hasPrefix("NIO-SGLTN")
      else { return nil }
      // Fields after the name start at field 3.
      let fields = stat[stat.index(after: close)...].split(separator: " ")
      guard fields.count > 38, let nice = Int(fields[16]), let policy = Int(fields[38]) else { return nil }
      return (nice, policy)
    }
  }

  @Test(
    "--event-loop-priority sets every event loop's nice value or real-time policy, or refuses to start without the privilege",
    .timeLimit(.minutes(1)))
  func eventLoopPriority() async throws {
    let binary = try #require(Self.serverURL(), "build fieldreport-server first (swift build)")
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fieldreport-prio-\(UInt32.random(in: 0...UInt32.max))")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let environment = ["FIELDREPORT_ADMIN_PASSWORD": "mat-khau-admin-2026"]
    func arguments(_ name: String, _ priority: String?) -> [String] {
      ["--port", "0", "--database", folder.appendingPathComponent("\(name).sqlite").path, "--scrypt-log-n", "10"]
        + (priority.map { ["--event-loop-priority", $0] } ?? [])
    }
    // CAP_SYS_NICE (bit 23 of the effective capabilities) may raise priorities; without it a
    // process may only within its limits (none by default).
    let capabilities = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8))?
      .split(separator: "\n").first { $0.hasPrefix("CapEff:") }
      .flatMap { UInt64($0.dropFirst("CapEff:".count).trimmingCharacters(in: .whitespaces), radix: 16) } ?? 0
    let privileged = capabilities & (1 << 23) != 0
    if privileged {
      // A thread inherits its nice value: the loops keep this process's unless raised.
      let inherited = Int(getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0))
      for (priority, nice, policy, line) in [
        (nil, inherited, 0, nil), ("raised", -10, 0, "Event loops: raised (nice -10)"),
        ("realtime", inherited, 1, "Event loops: realtime (SCHED_FIFO 1)"),
      ] as [(String?, Int, Int, String?)] {
        let (process, _, banner) = try await Self.launch(
          binary, arguments: arguments(priority ?? "default", priority), environment: environment)
        let loops = Self.loopScheduling(process.processIdentifier)
        process.terminate()
        process.waitUntilExit()
        #expect(!loops.isEmpty, "no NIO-SGLTN threads found")
        for loop in loops {
          #expect(loop.nice == nice && loop.policy == policy, "\(priority ?? "default"): \(loops)")
        }
        #expect(banner.first { $0.hasPrefix("Event loops:") } == line, "\(banner)")
      }
    }
    // Without the privilege the server says what to grant and stops before it opens the database.
    let unprivileged = Process()
    if privileged {
      // A change of user clears the effective capabilities.
      let setpriv = try #require(
        ["/usr/bin/setpriv", "/bin/setpriv"].first { FileManager.default.isExecutableFile(atPath: $0) },
        "util-linux's setpriv runs the server as nobody")
      // A copy in the test's own folder: nobody may not reach the build folder (a clone in
      // root's home). The binary finds its libraries by absolute paths.
      try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder.path)
      let copy = folder.appendingPathComponent("fieldreport-server")
      try FileManager.default.copyItem(at: binary, to: copy)
      unprivileged.executableURL = URL(fileURLWithPath: setpriv)
      unprivileged.arguments =
        ["--reuid=65534", "--regid=65534", "--clear-groups", copy.path] + arguments("refused", "realtime")
    } else {
      // "Max realtime priority  <soft> <hard>" (RLIMIT_RTPRIO): above 0 this user may.
      let limits = (try? String(contentsOfFile: "/proc/self/limits", encoding: .utf8)) ?? ""
      let soft = limits.split(separator: "\n").first { $0.hasPrefix("Max realtime priority") }?
        .split(separator: " ", omittingEmptySubsequences: true).dropFirst(3).first
      guard soft == "0" else { return }  // nothing to refuse
      unprivileged.executableURL = binary
      unprivileged.arguments = arguments("refused", "realtime")
    }
    unprivileged.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let errors = Pipe()
    unprivileged.standardError = errors
    unprivileged.standardOutput = FileHandle.nullDevice
    try unprivileged.runSerialized()
    let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    unprivileged.waitUntilExit()
    #expect(unprivileged.terminationStatus != 0)
    #expect(
      message.contains("--event-loop-priority realtime: the kernel refused to set the event loops' priority (not permitted)"),
      "\(message)")
    #expect(message.contains("LimitRTPRIO=1"), "\(message)")
    #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("refused.sqlite").path))
    // A value it does not know, by flag or environment, is named with the ones it knows.
    try await Self.expectRefusedAtStart([
      (["--event-loop-priority", "fast"], [:], "--event-loop-priority must be normal, raised or realtime, got fast"),
      ([], ["FIELDREPORT_EVENT_LOOP_PRIORITY": "RealTime"], "--event-loop-priority must be normal, raised or realtime, got RealTime"),
    ])
  }
}

@Suite("fieldreport-server out of file descriptors")
struct DescriptorExhaustionTests {
  /// utime + stime of a process, in clock ticks.
  static func cpuTicks(_ pid: Int32) -> Int? {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
      let close = stat.lastIndex(of: ")")
    else { return nil }
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    guard fields.count > 13, let user = Int(fields[11]), let system = Int(fields[12]) else { return nil }
    return user + system
  }

  /// A plain TCP connection to 127.0.0.1:`port` that sends nothing; -1 if it failed.
  static func silentSocket(port: Int) -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return -1 }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let result = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    if result != 0 {
      _ = Glibc.close(fd)
      return -1
    }
    return fd
  }

  @Test("--case-cache and --listing-cache out of range, by flag or environment, are said plainly and stop the server", .timeLimit(.minutes(1)))
  func caseCacheErrors() async throws {
    try await ServerExecutableTests.expectRefusedAtStart([
      (["--listing-cache=-5"], [:], "--listing-cache must be 0 to 1000000, got -5"),
      ([], ["FIELDREPORT_LISTING_CACHE": "1000001"], "--listing-cache must be 0 to 1000000, got 1000001"),
      ([], ["FIELDREPORT_LISTING_CACHE": "all"], "FIELDREPORT_LISTING_CACHE must be a whole number"),
      (["--case-cache=-1"], [:], "--case-cache must be 0 to 1000000, got -1"),
      ([], ["FIELDREPORT_CASE_CACHE": "2000000"], "--case-cache must be 0 to 1000000, got 2000000"),
      ([], ["FIELDREPORT_CASE_CACHE": "many"], "FIELDREPORT_CASE_CACHE must be a whole number"),
    ])
  }

  @Test(
    "at its descriptor limit with silent connections the server does not spin, and serves again once they close",
    .timeLimit(.minutes(1)))
  func noSpinAtDescriptorLimit() async throws {
    let binary = try #require(ServerExecutableTests.serverURL(), "build fieldreport-server first (swift build)")
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fieldreport-fd-\(UInt32.random(in: 0...UInt32.max))")
    defer { try? FileManager.default.removeItem(at: folder) }
    // 96 descriptors: the server keeps a few dozen for itself (database, event loops) and
    // admits the rest as connections (96 − 64); the other silent connections of the 150 are
    // accepted and closed. The handshake timeout is long so the admitted ones stay.
    let (process, port, _) = try await ServerExecutableTests.launch(
      URL(fileURLWithPath: "/bin/sh"),
      arguments: [
        "-c",
        "ulimit -n 96 && exec \"$0\" --port 0 --database \"$1\" --log-level warning --scrypt-log-n 10 --handshake-timeout-seconds 120",
        binary.path, folder.appendingPathComponent("fr.sqlite").path,
      ],
      environment: ["FIELDREPORT_ADMIN_PASSWORD": "mat-khau-admin-2026"])
    defer { if process.isRunning { process.terminate() } }
    let pid = process.processIdentifier

    var sockets: [Int32] = []
    for _ in 0..<150 {
      let fd = Self.silentSocket(port: port)
      if fd >= 0 { sockets.append(fd) }
    }
    try await Task.sleep(for: .milliseconds(500))
    let before = try #require(Self.cpuTicks(pid))
    try await Task.sleep(for: .seconds(2))
    let after = try #require(Self.cpuTicks(pid))
    // Ticks are 1/100 s: under 10 % of a core over 2 s is under 20 ticks.
    #expect(after - before < 20, "the server used \(after - before) ticks in 2 s at its descriptor limit")

    for fd in sockets { _ = Glibc.close(fd) }
    let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
    let started = ContinuousClock.now
    var served = false
    while !served && ContinuousClock.now - started < .seconds(30) {
      let client = RPCClient(
        configuration: .init(host: "127.0.0.1", port: port), logger: logger)
      var health = Rpc_V1_HealthCheckRequest()
      health.service = ""
      let options = CallOptions(timeout: .seconds(2))
      if (try? await client.call(HealthService.check, health, options: options))?.status == .serving { served = true }
      await client.close()
    }
    #expect(served)
    // Within about a second on an idle machine; the bound leaves room for a test process
    // starved of CPU by the rest of the suite (11.9 s was seen once under load).
    #expect(ContinuousClock.now - started < .seconds(30), "served \(ContinuousClock.now - started) after the silent connections closed")
    process.terminate()
    process.waitUntilExit()
  }
}

extension ServerExecutableTests {
  /// Starts the server with each case's arguments and environment; expects it to stop with an
  /// error and say `expected` on standard error.
  static func expectRefusedAtStart(_ cases: [([String], [String: String], String)]) async throws {
    for (arguments, environment, expected) in cases {
      let (status, text) = try await runToExit(
        ["--port", "0", "--database", "/nonexistent/never-created.sqlite"] + arguments, environment: environment)
      #expect(status != 0, "\(arguments)")
      #expect(text.contains(expected), "\(arguments) \(environment): \(text)")
    }
  }

  /// Runs the server binary with `arguments` (and `environment` added) until it exits; its exit
  /// status and standard error.
  static func runToExit(_ arguments: [String], environment: [String: String]) async throws -> (Int32, String) {
    let binary = try #require(ServerExecutableTests.serverURL(), "build fieldreport-server first (swift build)")
    let process = Process()
    process.executableURL = binary
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let errors = Pipe()
    process.standardError = errors
    process.standardOutput = FileHandle.nullDevice
    try process.runSerialized()
    let handle = errors.fileHandleForReading
    let text = await ServerExecutableTests.offCooperativePool {
      let text = String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
      process.waitUntilExit()
      return text
    }
    return (process.terminationStatus, text)
  }
}
