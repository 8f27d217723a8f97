import FieldReportAPI
import Foundation
import TestSupport
import Logging
import RPCCore
import RPCNIO
import Testing
import WireBridge

#if canImport(Glibc)
  import Glibc
#endif

/// `fieldreport-server --metrics-port`, over real sockets: the real binary, real calls, then
/// `GET /metrics` with a plain socket.
@Suite("metrics endpoint and access log (fieldreport-server)")
struct MetricsEndpointTests {
  static let banner = "fieldreport-server metrics on http://"

  /// Starts the binary on free ports with a fresh database, `arguments` added.
  static func launch(_ arguments: [String]) async throws -> (process: Process, port: Int, lines: [String], folder: URL) {
    let binary = try #require(ServerExecutableTests.serverURL(), "build fieldreport-server first (swift build)")
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fieldreport-metrics-\(UInt32.random(in: 0...UInt32.max))")
    let (process, port, lines) = try await ServerExecutableTests.launch(
      binary,
      arguments: ["--port", "0", "--database", folder.appendingPathComponent("fr.sqlite").path, "--log-level", "warning", "--scrypt-log-n", "10"]
        + arguments,
      environment: ["FIELDREPORT_ADMIN_PASSWORD": "mat-khau-admin-2026"])
    return (process, port, lines, folder)
  }

  /// The metrics port from the banner line.
  static func metricsPort(_ lines: [String]) -> Int? {
    guard let line = lines.first(where: { $0.hasPrefix(Self.banner) }) else { return nil }
    let address = line.dropFirst(Self.banner.count).split(separator: "/").first ?? ""
    return Int(address.split(separator: ":").last ?? "")
  }

  /// Sends `request` to 127.0.0.1:`port` over a plain TCP socket and reads until the server
  /// closes; nil if the connection failed.
  static func exchange(port: Int, _ request: String) -> String? {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return nil }
    defer { _ = Glibc.close(fd) }
    var timeout = timeval(tv_sec: 10, tv_usec: 0)
    _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { return nil }
    let bytes = Array(request.utf8)
    guard bytes.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, 0) }) == bytes.count else { return nil }
    var received: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65_536)
    while true {
      let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
      if count <= 0 { break }
      received += chunk[0..<count]
    }
    return String(decoding: received, as: UTF8.self)
  }

  /// `GET path` with `Connection: close`.
  static func get(port: Int, _ path: String) async -> String? {
    await Self.request(port: port, "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
  }

  /// ``exchange(port:_:)`` off Swift's cooperative pool.
  static func request(port: Int, _ request: String) async -> String? {
    await ServerExecutableTests.offCooperativePool { Self.exchange(port: port, request) }
  }

  /// The TCP ports `pid` listens on (its socket descriptors matched against /proc/net/tcp*).
  static func listeningPorts(pid: Int32) -> Set<Int> {
    let fdFolder = "/proc/\(pid)/fd"
    var inodes: Set<String> = []
    for name in (try? FileManager.default.contentsOfDirectory(atPath: fdFolder)) ?? [] {
      guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "\(fdFolder)/\(name)"),
        target.hasPrefix("socket:[")
      else { continue }
      inodes.insert(String(target.dropFirst("socket:[".count).dropLast()))
    }
    var ports: Set<Int> = []
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
      guard let text = Self.readWhole(table) else { continue }
      for line in text.split(separator: "\n").dropFirst() {
        let fields = line.split(separator: " ")
        // local_address (hex ip:port), state 0A = LISTEN, inode in field 9.
        guard fields.count > 9, fields[3] == "0A", inodes.contains(String(fields[9])),
          let port = fields[1].split(separator: ":").last.flatMap({ Int($0, radix: 16) })
        else { continue }
        ports.insert(port)
      }
    }
    return ports
  }

  /// The value of the sample `series` (name and labels as exposed) in an exposition.
  static func value(of series: String, in exposition: String) -> Double? {
    let line = exposition.split(separator: "\n").first { $0.hasPrefix(series + " ") }
    return line.flatMap { $0.split(separator: " ").last }.flatMap { Double($0) }
  }

  /// A /proc file read to its end with read(2): procfs reports a size of 0, and a large
  /// table (thousands of sockets while other tests run) must still be read whole.
  static func readWhole(_ path: String) -> String? {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { return nil }
    defer { _ = Glibc.close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65_536)
    while true {
      let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
      if count <= 0 { break }
      bytes += chunk[0..<count]
    }
    return String(decoding: bytes, as: UTF8.self)
  }

  static func diagnose(pid: Int32, port: Int) -> String {
    let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []
    let targets = fds.compactMap { try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\($0)") }
    let hex = String(format: ":%04X", port)
    var lines: [String] = []
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
      let text = Self.readWhole(table) ?? ""
      lines += text.split(separator: "\n").filter { $0.contains(hex) }.map(String.init)
    }
    return "sockets \(targets.filter { $0.hasPrefix("socket") }) lines \(lines)"
  }

  static let quietLogger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

  @Test("GET /metrics lists the RPC, connection, store and process families with call labels", .timeLimit(.minutes(1)))
  func scrape() async throws {
    let (process, port, lines, folder) = try await Self.launch(["--metrics-port", "0"])
    defer {
      if process.isRunning { process.terminate() }
      try? FileManager.default.removeItem(at: folder)
    }
    let metricsPort = try #require(Self.metricsPort(lines), "no metrics banner in \(lines)")
    #expect(metricsPort != port)

    let client = RPCClient(configuration: .init(host: "127.0.0.1", port: port), logger: Self.quietLogger)
    var health = Rpc_V1_HealthCheckRequest()
    health.service = ""
    for _ in 0..<3 { #expect(try await client.call(HealthService.check, health).status == .serving) }
    health.service = "no.such.Service"
    await #expect(throws: RPCError.self) { _ = try await client.call(HealthService.check, health) }
    var login = Fieldreport_V1_LoginRequest()
    login.username = "admin"
    login.password = "not the password"
    await #expect(throws: RPCError.self) { _ = try await Fieldreport_V1_IdentityServiceClient(client).login(login) }
    login.password = "mat-khau-admin-2026"
    _ = try await Fieldreport_V1_IdentityServiceClient(client).login(login)
    // A path nobody registered: counted under method="unknown", never under the path itself.
    let unknown = UnaryMethod<Rpc_V1_HealthCheckRequest, Rpc_V1_HealthCheckResponse>(service: "no.such.Service", method: "Thing")
    await #expect(throws: RPCError.self) { _ = try await client.call(unknown, health) }

    let response = try #require(await Self.get(port: metricsPort, "/metrics"))
    #expect(response.hasPrefix("HTTP/1.1 200 OK"))
    #expect(response.contains("Content-Type: text/plain; version=0.0.4"))
    for family in [
      "rpc_server_calls_total", "rpc_server_call_duration_seconds", "rpc_server_calls_in_flight",
      "rpc_server_request_bytes_total", "rpc_server_response_bytes_total", "rpc_server_connections_open",
      "rpc_server_connections_refused_total", "fieldreport_store_commit_duration_seconds",
      "fieldreport_store_write_batch_size", "fieldreport_store_writer_queue_depth",
      "fieldreport_store_reader_wait_seconds", "fieldreport_store_listings_total", "process_resident_memory_bytes",
      "process_open_fds",
    ] {
      #expect(response.contains("# TYPE \(family) "), "family \(family) missing")
    }
    #expect(response.contains(#"rpc_server_calls_total{method="/rpc.v1.Health/Check",code="OK"} 3"#))
    #expect(response.contains(#"rpc_server_calls_total{method="/rpc.v1.Health/Check",code="NOT_FOUND"} 1"#))
    #expect(response.contains(#"rpc_server_calls_total{method="/fieldreport.v1.IdentityService/Login",code="UNAUTHENTICATED"} 1"#))
    #expect(response.contains(#"rpc_server_calls_total{method="/fieldreport.v1.IdentityService/Login",code="OK"} 1"#))
    #expect(response.contains(#"rpc_server_call_duration_seconds_count{method="/rpc.v1.Health/Check"} 4"#))
    #expect(response.contains(#"rpc_server_calls_total{method="unknown",code="UNIMPLEMENTED"} 1"#))
    #expect(!response.contains("no.such.Service/Thing"))
    #expect(Self.value(of: "rpc_server_connections_open", in: response) == 1)
    #expect(response.contains(#"rpc_server_connections_refused_total{reason="max_connections"} 0"#))
    // The login's session was written: at least one commit (the first admin's creation too).
    #expect(!response.contains("fieldreport_store_commit_duration_seconds_count 0"))
    #expect((Self.value(of: "process_resident_memory_bytes", in: response) ?? 0) > 1_000_000)
    #expect((Self.value(of: "process_open_fds", in: response) ?? 0) >= 5)
    await client.close()

    #expect(await Self.get(port: metricsPort, "/other")?.hasPrefix("HTTP/1.1 404") == true)
    let post = await Self.request(port: metricsPort, "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    #expect(post?.hasPrefix("HTTP/1.1 405") == true)
    #expect(Self.listeningPorts(pid: process.processIdentifier) == [port, metricsPort])

    process.terminate()
    await ServerExecutableTests.offCooperativePool { process.waitUntilExit() }
    #expect(process.terminationStatus == 0)
  }

  @Test("refused and timed-out connections are counted by reason", .timeLimit(.minutes(1)))
  func refusals() async throws {
    let (process, port, lines, folder) = try await Self.launch([
      "--metrics-port", "0", "--max-connections-per-peer", "2", "--handshake-timeout-seconds", "1",
    ])
    defer {
      if process.isRunning { process.terminate() }
      try? FileManager.default.removeItem(at: folder)
    }
    let metricsPort = try #require(Self.metricsPort(lines))
    // Three silent connections: the third is past the per-address limit, the first two never
    // send a preface and are closed after the 1 s handshake timeout.
    let sockets = (0..<3).map { _ in DescriptorExhaustionTests.silentSocket(port: port) }
    defer { for fd in sockets where fd >= 0 { _ = Glibc.close(fd) } }
    #expect(sockets.allSatisfy { $0 >= 0 })
    var exposition = ""
    for _ in 0..<50 {
      try await Task.sleep(for: .milliseconds(100))
      exposition = await Self.get(port: metricsPort, "/metrics") ?? ""
      if Self.value(of: #"rpc_server_connections_refused_total{reason="handshake_timeout"}"#, in: exposition) == 2 { break }
    }
    #expect(Self.value(of: #"rpc_server_connections_refused_total{reason="max_connections_per_peer"}"#, in: exposition) == 1)
    #expect(Self.value(of: #"rpc_server_connections_refused_total{reason="handshake_timeout"}"#, in: exposition) == 2)
    #expect(Self.value(of: "rpc_server_connections_open", in: exposition) == 0)
  }

  @Test("the client's x-trace-id comes back in the trailers, on success and on failure; a bad one is replaced", .timeLimit(.minutes(1)))
  func traceIDRoundTrip() async throws {
    let (process, port, _, folder) = try await Self.launch([])
    defer {
      if process.isRunning { process.terminate() }
      try? FileManager.default.removeItem(at: folder)
    }
    let client = RPCClient(configuration: .init(host: "127.0.0.1", port: port), logger: Self.quietLogger)
    let trace = "req-" + String(repeating: "a", count: 120)  // 124 bytes: within the 128-byte limit
    var options = CallOptions.defaults
    options.metadata.add("x-trace-id", .text(trace))
    var health = Rpc_V1_HealthCheckRequest()
    let response = try await client.unary(HealthService.check, request: health, options: options)
    #expect(response.trailers.firstText("x-trace-id") == trace)

    health.service = "no.such.Service"
    do {
      _ = try await client.unary(HealthService.check, request: health, options: options)
      Issue.record("expected NOT_FOUND")
    } catch {
      #expect(error.code == .notFound)
      #expect(error.metadata.firstText("x-trace-id") == trace)
    }

    for bad in [String(repeating: "b", count: 129), "has space", "tab\there"] {
      var badOptions = CallOptions.defaults
      badOptions.metadata.add("x-trace-id", .text(bad))
      health.service = ""
      let replaced = try await client.unary(HealthService.check, request: health, options: badOptions)
      let echoed = try #require(replaced.trailers.firstText("x-trace-id"))
      #expect(echoed != bad)
      #expect(echoed.utf8.count == 32)
    }
    await client.close()
  }

  @Test("listings answered again from memory are counted as such; --listing-cache 0 reads every one", .timeLimit(.minutes(1)), arguments: [nil, 0] as [Int?])
  func listingCache(size: Int?) async throws {
    let (process, port, lines, folder) = try await Self.launch(
      ["--metrics-port", "0"] + (size.map { ["--listing-cache", "\($0)"] } ?? []))
    defer {
      if process.isRunning { process.terminate() }
      try? FileManager.default.removeItem(at: folder)
    }
    let metricsPort = try #require(Self.metricsPort(lines), "no metrics banner in \(lines)")
    let client = RPCClient(configuration: .init(host: "127.0.0.1", port: port), logger: Self.quietLogger)
    var login = Fieldreport_V1_LoginRequest()
    login.username = "admin"
    login.password = "mat-khau-admin-2026"
    let session = try await Fieldreport_V1_IdentityServiceClient(client).login(login)
    var options = CallOptions()
    options.metadata.add("authorization", text: "Bearer \(session.sessionToken)")
    // The same listing three times, nothing written between the calls.
    var request = Fieldreport_V1_ListCasesRequest()
    request.scope = .public
    for _ in 0..<3 {
      #expect(try await Fieldreport_V1_CaseServiceClient(client).listCases(request, options: options).cases.isEmpty)
    }
    await client.close()
    let response = try #require(await Self.get(port: metricsPort, "/metrics"))
    let memory = Self.value(of: #"fieldreport_store_listings_total{answered_from="memory"}"#, in: response) ?? 0
    let database = Self.value(of: #"fieldreport_store_listings_total{answered_from="database"}"#, in: response) ?? 0
    #expect(memory + database == 3)
    if size == 0 { #expect(memory == 0) } else { #expect(memory >= 1) }
    process.terminate()
    await ServerExecutableTests.offCooperativePool { process.waitUntilExit() }
  }

  @Test("without --metrics-port nothing but the RPC port listens and no metrics banner is printed", .timeLimit(.minutes(1)))
  func offByDefault() async throws {
    let (process, port, lines, folder) = try await Self.launch([])
    defer {
      if process.isRunning { process.terminate() }
      try? FileManager.default.removeItem(at: folder)
    }
    #expect(!lines.contains { $0.hasPrefix(Self.banner) })
    #expect(Self.listeningPorts(pid: process.processIdentifier) == [port], "\(Self.diagnose(pid: process.processIdentifier, port: port))")
  }

  @Test("metrics flag errors are said plainly and stop the server", .timeLimit(.minutes(1)))
  func flagErrors() async throws {
    try await ServerExecutableTests.expectRefusedAtStart([
      (["--metrics-host", "127.0.0.1"], [:], "--metrics-host needs --metrics-port"),
      (["--metrics-port", "70000"], [:], "--metrics-port must be 0 to 65535"),
      ([], ["FIELDREPORT_METRICS_PORT": "nine"], "FIELDREPORT_METRICS_PORT must be a whole number"),
    ])
  }
}
