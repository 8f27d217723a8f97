import Foundation
import TestSupport
import Testing

/// `fieldreport-loadgen` against a real `fieldreport-server --demo` (its binary, a temporary
/// SQLite file, loopback): the modes its `--help` documents, the JSON shape issue 9 names,
/// the SVG plot, and mutual TLS. Short runs, judged on behaviour (calls made, no errors,
/// the documented keys), never on speed.
@Suite("fieldreport-loadgen against a live server", .serialized, .timeLimit(.minutes(3)))
struct LoadGenTests {
  /// Runs the load generator with the demo server's credentials; the JSON it wrote.
  private static func run(
    _ arguments: [String], server: DemoServer, folder: String, name: String
  ) async throws -> (result: CLIResult, json: [String: Any]?) {
    let loadgen = try CLIRunner(folder: folder, executable: "fieldreport-loadgen")
    let path = folder + "/\(name).json"
    let result = try await loadgen.run(
      ["--port", "\(server.port)", "--server-pid", "\(server.process.processIdentifier)", "--timeout", "30", "--json", path]
        + arguments,
      environment: [
        "FIELDREPORT_DEMO_PASSWORD": DemoServer.demoPassword, "FIELDREPORT_PLATFORM_API_KEY": server.platformAPIKey,
      ])
    let json = (try? Data(contentsOf: URL(fileURLWithPath: path)))
      .flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
    return (result, json)
  }

  /// The issue's fields of one operation (or of "all"), and no errors.
  private static func expectFigures(_ figures: [String: Any]?, _ what: String) {
    guard let figures else {
      Issue.record("no figures for \(what)")
      return
    }
    for key in ["calls", "calls_per_s", "p50_us", "p90_us", "p99_us", "p999_us", "max_us", "errors"] {
      #expect(figures[key] != nil, "\(what): no \(key) in \(figures)")
    }
    #expect(((figures["calls"] as? NSNumber)?.intValue ?? 0) > 0, "\(what): \(figures)")
    #expect((figures["errors"] as? [String: Any])?.isEmpty == true, "\(what): \(figures)")
  }

  @Test("prefill, then the lifecycle scenario: every step as the right person, cases completed, JSON and SVG written")
  func prefillAndLifecycle() async throws {
    try await withTemporaryDirectory { folder in
      let server = try await DemoServer.start(in: folder, extraArguments: ["--reports-per-reporter-hour", "0"])
      defer { server.stop() }
      let plot = folder + "/lifecycle.svg"
      let (result, written) = try await Self.run(
        [
          "--prefill", "24", "--prefill-concurrency", "8", "--scenario", "lifecycle", "--connections", "1",
          "--workers", "2", "--count", "24", "--duration", "60", "--plot", plot,
        ], server: server, folder: folder, name: "lifecycle")
      #expect(result.status == 0, "\(result)")
      let json = try #require(written, "\(result)")
      #expect(json["scenario"] as? String == "lifecycle")
      #expect((json["connections"] as? NSNumber)?.intValue == 1)
      #expect((json["workers"] as? NSNumber)?.intValue == 2)
      #expect(json["duration_s"] is NSNumber)
      #expect(((json["server_rss_kb"] as? NSNumber)?.intValue ?? 0) > 0, "\(json)")
      #expect(((json["completed_cases"] as? NSNumber)?.intValue ?? 0) >= 1, "\(json)")
      // The server's threads, by name: the store's writer committed the lifecycle's steps, so it
      // ran; its readers and checkpointer are there under their own names (the names reach
      // the system: a name over 15 bytes would be refused and the threads show another).
      let threads = try #require(json["server_threads"] as? [String: Any], "\(json)")
      let writer = try #require(threads["sqlite-writer"] as? [String: Any], "\(threads.keys.sorted())")
      #expect(((writer["cpu_s"] as? NSNumber)?.doubleValue ?? 0) > 0, "\(writer)")
      #expect((writer["threads"] as? NSNumber)?.intValue == 1, "\(writer)")
      #expect(writer["run_queue_wait_s"] is NSNumber && writer["cpu_us_per_call"] is NSNumber, "\(writer)")
      #expect(threads["sqlite-checkpt"] != nil && threads["sqlite-reader-0"] != nil, "\(threads.keys.sorted())")
      #expect(result.stdout.contains("sqlite-writer:"), "\(result)")
      let operations = try #require(json["operations"] as? [String: Any])
      for step in ["submit", "dispatch", "assign", "submit-result", "approve", "publish"] {
        Self.expectFigures(operations[step] as? [String: Any], step)
      }
      Self.expectFigures(json["all"] as? [String: Any], "all")
      let svg = try String(contentsOfFile: plot, encoding: .utf8)
      #expect(svg.hasPrefix("<svg") || svg.hasPrefix("<?xml"), "\(svg.prefix(100))")
      #expect(svg.contains("</svg>"))

      // The prefilled cases are there: the IOC sees them through the public API.
      let cli = try CLIRunner(folder: folder)
      let login = try await cli.run(
        ["login", "--server", server.address, "quan.tm", "--password-stdin"], stdin: DemoServer.demoPassword + "\n")
      #expect(login.status == 0, "\(login)")
    }
  }

  @Test("open loop at --rate: calls scheduled at fixed times, latency from the intended start, none failed")
  func openLoop() async throws {
    try await withTemporaryDirectory { folder in
      let server = try await DemoServer.start(in: folder, extraArguments: ["--reports-per-reporter-hour", "0"])
      defer { server.stop() }
      let (result, written) = try await Self.run(
        ["--rate", "40", "--duration", "2", "--mix", "get=2,inbox=1,health=1", "--seed", "10", "--connections", "2"],
        server: server, folder: folder, name: "open")
      #expect(result.status == 0, "\(result)")
      let json = try #require(written, "\(result)")
      #expect((json["rate"] as? NSNumber)?.doubleValue == 40, "\(json)")
      let operations = try #require(json["operations"] as? [String: Any])
      Self.expectFigures(operations["get"] as? [String: Any], "get")
      Self.expectFigures(operations["inbox"] as? [String: Any], "inbox")
      Self.expectFigures(operations["health"] as? [String: Any], "health")
      Self.expectFigures(json["all"] as? [String: Any], "all")
      // 40 calls/s for 2 s: about 80 scheduled (a loaded machine may start fewer in time).
      let calls = ((json["all"] as? [String: Any])?["calls"] as? NSNumber)?.intValue ?? 0
      #expect(calls <= 90, "\(json)")
    }
  }

  @Test("over mutual TLS with --ca/--cert/--key; without them the server is not reachable, said plainly")
  func mutualTLS() async throws {
    try await withTemporaryDirectory { folder in
      try TestCertificates.make(in: folder)
      let server = try await DemoServer.start(
        in: folder,
        extraArguments: [
          "--tls-cert", folder + "/server.pem", "--tls-key", folder + "/server.key", "--tls-client-ca", folder + "/ca.pem",
        ])
      defer { server.stop() }
      let tls = ["--ca", folder + "/ca.pem", "--cert", folder + "/client.pem", "--key", folder + "/client.key"]
      let (result, written) = try await Self.run(
        tls + ["--mix", "get,inbox,submit", "--seed", "5", "--connections", "2", "--workers", "2", "--count", "30"],
        server: server, folder: folder, name: "tls")
      #expect(result.status == 0, "\(result)")
      let json = try #require(written, "\(result)")
      Self.expectFigures(json["all"] as? [String: Any], "all")

      let (plain, _) = try await Self.run(["--mix", "get", "--count", "5"], server: server, folder: folder, name: "plain")
      #expect(plain.status != 0, "\(plain)")
      #expect(!plain.stderr.isEmpty, "\(plain)")
    }
  }

  @Test("--help documents every mode: closed and open loop, the scenarios, prefill, JSON, plot, TLS")
  func help() async throws {
    try await withTemporaryDirectory { folder in
      let loadgen = try CLIRunner(folder: folder, executable: "fieldreport-loadgen")
      let result = try await loadgen.run(["--help"])
      #expect(result.status == 0, "\(result)")
      for word in ["--rate", "coordinated omission", "lifecycle", "dashboard", "--prefill", "--json", "--plot", "--host", "--ca", "--cert"] {
        #expect(result.stdout.contains(word), "--help does not mention \(word)")
      }
    }
  }
}

/// A CA, and a server and a client certificate it signed (P-256, for localhost and
/// 127.0.0.1), made with the `openssl` command in `folder`: ca.pem, server.pem/.key,
/// client.pem/.key.
enum TestCertificates {
  static func make(in folder: String) throws {
    func openssl(_ arguments: [String]) throws {
      let process = Process()
      process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
      process.arguments = ["openssl"] + arguments
      process.currentDirectoryURL = URL(fileURLWithPath: folder)
      process.standardOutput = FileHandle.nullDevice
      process.standardError = FileHandle.nullDevice
      try process.runSerialized()
      process.waitUntilExit()
      #expect(process.terminationStatus == 0, "openssl \(arguments)")
    }
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    try openssl(["req", "-x509"] + ec + ["-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=test-ca"])
    for name in ["server", "client"] {
      try openssl(["req"] + ec + ["-keyout", "\(name).key", "-out", "\(name).csr", "-subj", "/CN=localhost"])
      try "subjectAltName=DNS:localhost,IP:127.0.0.1\n".write(toFile: folder + "/\(name).ext", atomically: true, encoding: .utf8)
      try openssl([
        "x509", "-req", "-in", "\(name).csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "\(name).pem",
        "-days", "2", "-extfile", "\(name).ext",
      ])
    }
  }
}
