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

/// TLS and mutual TLS against the real `fieldreport-server` binary, with a CA and
/// certificates made by `openssl` at test time.
@Suite("TLS and mutual TLS (real server binary)", .serialized)
struct TLSTests {
  /// A folder of test PKI: `ca` signs `server` (localhost, 127.0.0.1), `client` and
  /// `expired`; `other-ca` signs `stranger`.
  struct PKI {
    let folder: URL
    func path(_ name: String) -> String { self.folder.appendingPathComponent(name).path }

    static func make() throws -> PKI {
      let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fieldreport-pki-\(UInt32.random(in: 0...UInt32.max))")
      try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
      let pki = PKI(folder: folder)
      try pki.ca("ca")
      try pki.ca("other-ca")
      try pki.leaf("server", signedBy: "ca", subject: "localhost", san: "DNS:localhost,IP:127.0.0.1")
      try pki.leaf("client", signedBy: "ca", subject: "platform-client")
      try pki.leaf("expired", signedBy: "ca", subject: "expired-client", days: -1)
      try pki.leaf("stranger", signedBy: "other-ca", subject: "stranger")
      try pki.leaf("server2", signedBy: "other-ca", subject: "localhost", san: "DNS:localhost,IP:127.0.0.1")
      return pki
    }

    func openssl(_ arguments: [String]) throws {
      let process = Process()
      process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
      process.arguments = ["openssl"] + arguments
      process.currentDirectoryURL = self.folder
      process.standardOutput = FileHandle.nullDevice
      process.standardError = FileHandle.nullDevice
      try process.runSerialized()
      process.waitUntilExit()
      guard process.terminationStatus == 0 else {
        throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "openssl \(arguments.joined(separator: " ")) failed"])
      }
    }

    func ca(_ name: String) throws {
      try self.openssl([
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "\(name).key",
        "-out", "\(name).pem", "-days", "30", "-subj", "/CN=\(name)",
      ])
    }

    func leaf(_ name: String, signedBy ca: String, subject: String, san: String? = nil, days: Int = 30) throws {
      try self.openssl([
        "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "\(name).key", "-out", "\(name).csr",
        "-subj", "/CN=\(subject)",
      ])
      var arguments = [
        "x509", "-req", "-in", "\(name).csr", "-CA", "\(ca).pem", "-CAkey", "\(ca).key", "-CAcreateserial", "-out", "\(name).pem",
        "-days", "\(days)",
      ]
      if let san {
        try "subjectAltName=\(san)\n".write(toFile: self.path("\(name).ext"), atomically: true, encoding: .utf8)
        arguments += ["-extfile", "\(name).ext"]
      }
      try self.openssl(arguments)
    }

    /// The SHA-256 of a certificate's DER, as `openssl x509 -fingerprint -sha256` prints it.
    func fingerprint(_ name: String) throws -> String {
      let hex = Array(try RPCTLS.fingerprints(ofPEMFile: self.path("\(name).pem"))[0].uppercased())
      return stride(from: 0, to: hex.count, by: 2).map { String(hex[$0..<$0 + 2]) }.joined(separator: ":")
    }
  }

  static let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

  static func client(_ port: Int, ca: String?, cert: String? = nil, key: String? = nil) -> RPCClient {
    var configuration = RPCClient.Configuration(host: "127.0.0.1", port: port, connectTimeout: .seconds(5))
    configuration.tls = ClientTLS(trustRootsPath: ca, certificateChainPath: cert, privateKeyPath: key)
    configuration.backoff.maximum = .milliseconds(200)
    return RPCClient(configuration: configuration, logger: Self.logger)
  }

  static func whoAmI(_ client: RPCClient, apiKey: String? = nil) async -> Result<Fieldreport_V1_WhoAmIResponse, RPCError> {
    var options = CallOptions.defaults
    options.timeout = .seconds(5)
    if let apiKey { options.metadata.add("authorization", text: "ApiKey \(apiKey)") }
    do {
      return .success(try await Fieldreport_V1_IdentityServiceClient(client).whoAmI(Fieldreport_V1_WhoAmIRequest(), options: options))
    } catch {
      return .failure(error)
    }
  }

  static func launch(_ extra: [String]) async throws -> (Process, Int, [String], URL) {
    let binary = try #require(ServerExecutableTests.serverURL(), "build fieldreport-server first (swift build)")
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fieldreport-tls-\(UInt32.random(in: 0...UInt32.max))")
    let (process, port, lines) = try await ServerExecutableTests.launch(
      binary,
      arguments: ["--port", "0", "--demo", "--database", folder.appendingPathComponent("fr.sqlite").path, "--log-level", "error", "--scrypt-log-n", "10"]
        + extra,
      environment: ["FIELDREPORT_DEMO_PASSWORD": "mat-khau-demo-2026", "FIELDREPORT_ADMIN_PASSWORD": "mat-khau-admin-2026"])
    return (process, port, lines, folder)
  }

  @Test("mutual TLS: a registered certificate authenticates its service account; unknown, expired, foreign and revoked ones do not", .timeLimit(.minutes(2)))
  func mutualTLS() async throws {
    let pki = try PKI.make()
    defer { try? FileManager.default.removeItem(at: pki.folder) }
    let (process, port, lines, folder) = try await Self.launch([
      "--tls-cert", pki.path("server.pem"), "--tls-key", pki.path("server.key"), "--tls-client-ca", pki.path("ca.pem"),
    ])
    defer {
      if process.isRunning { process.terminate() }
      try? FileManager.default.removeItem(at: folder)
    }
    #expect(lines.contains { $0.hasPrefix("TLS: mutual") })
    let platformKey = try #require(lines.first { $0.hasPrefix("Platform API key") }?.split(separator: " ").last.map(String.init))

    // The good certificate, not yet registered: the API key works over it; alone it does not.
    let good = Self.client(port, ca: pki.path("ca.pem"), cert: pki.path("client.pem"), key: pki.path("client.key"))
    defer { Task { await good.close() } }
    let platform = try await Self.whoAmI(good, apiKey: platformKey).get()
    #expect(platform.authMethod == .apiKey)
    guard case .failure(let unregistered) = await Self.whoAmI(good) else {
      Issue.record("an unregistered certificate authenticated")
      return
    }
    #expect(unregistered.code == .unauthenticated)

    // The admin registers it for the platform account (fingerprint as openssl prints it).
    var login = Fieldreport_V1_LoginRequest()
    login.username = "admin"
    login.password = "mat-khau-admin-2026"
    let identity = Fieldreport_V1_IdentityServiceClient(good)
    let token = try await identity.login(login).sessionToken
    let admin = CallOptions(metadata: ["authorization": .text("Bearer \(token)")])
    var register = Fieldreport_V1_RegisterClientCertificateRequest()
    register.userId = try #require(platform.user?.userId)
    register.fingerprintSha256 = try pki.fingerprint("client")
    register.label = "platform 2026"
    let registered = try await identity.registerClientCertificate(register, options: admin)
    #expect(registered.certificate?.fingerprintSha256.count == 64)

    // Now the certificate alone is the platform.
    let byCertificate = try await Self.whoAmI(good).get()
    #expect(byCertificate.user?.username == platform.user?.username)
    #expect(byCertificate.authMethod == .clientCertificate)

    // No certificate, an expired one, one from another CA: the handshake fails.
    for (name, client) in [
      ("none", Self.client(port, ca: pki.path("ca.pem"))),
      ("expired", Self.client(port, ca: pki.path("ca.pem"), cert: pki.path("expired.pem"), key: pki.path("expired.key"))),
      ("other CA", Self.client(port, ca: pki.path("ca.pem"), cert: pki.path("stranger.pem"), key: pki.path("stranger.key"))),
    ] {
      let result = await Self.whoAmI(client, apiKey: platformKey)
      if case .failure(let error) = result {
        #expect(error.code == .unavailable, "\(name): \(error)")
      } else {
        Issue.record("\(name): the server accepted the handshake")
      }
      await client.close()
    }

    // Revoked: the very next call presenting it is refused.
    var revoke = Fieldreport_V1_RevokeClientCertificateRequest()
    revoke.fingerprintSha256 = register.fingerprintSha256
    _ = try await identity.revokeClientCertificate(revoke, options: admin)
    guard case .failure(let revoked) = await Self.whoAmI(good) else {
      Issue.record("a revoked certificate authenticated")
      return
    }
    #expect(revoked.code == .unauthenticated)
    var list = Fieldreport_V1_ListClientCertificatesRequest()
    list.userId = register.userId
    #expect(try await identity.listClientCertificates(list, options: admin).certificates.first?.revokedAtMs != nil)
  }

  @Test("TLS: clients trusting the CA connect, others and plain TCP do not; SIGHUP reloads the certificate", .timeLimit(.minutes(2)))
  func serverTLSAndReload() async throws {
    let pki = try PKI.make()
    defer { try? FileManager.default.removeItem(at: pki.folder) }
    // The server reads its files from copies, so the test can replace them.
    let cert = pki.path("live.pem")
    let key = pki.path("live.key")
    try FileManager.default.copyItem(atPath: pki.path("server.pem"), toPath: cert)
    try FileManager.default.copyItem(atPath: pki.path("server.key"), toPath: key)
    let (process, port, lines, folder) = try await Self.launch(["--tls-cert", cert, "--tls-key", key])
    defer {
      if process.isRunning { process.terminate() }
      try? FileManager.default.removeItem(at: folder)
    }
    #expect(lines.contains { $0 == "TLS: on" })
    let platformKey = try #require(lines.first { $0.hasPrefix("Platform API key") }?.split(separator: " ").last.map(String.init))

    let trusting = Self.client(port, ca: pki.path("ca.pem"))
    #expect(try await Self.whoAmI(trusting, apiKey: platformKey).get().authMethod == .apiKey)
    await trusting.close()
    let wrongCA = Self.client(port, ca: pki.path("other-ca.pem"))
    guard case .failure(let untrusted) = await Self.whoAmI(wrongCA, apiKey: platformKey) else {
      Issue.record("an untrusted server accepted")
      return
    }
    #expect(untrusted.code == .unavailable)
    await wrongCA.close()
    let plain = RPCClient(configuration: .init(host: "127.0.0.1", port: port, connectTimeout: .seconds(3)), logger: Self.logger)
    guard case .failure = await Self.whoAmI(plain, apiKey: platformKey) else {
      Issue.record("plain TCP was served by a TLS server")
      return
    }
    await plain.close()

    // A new certificate (from the other CA) after SIGHUP: new connections get it.
    let open = Self.client(port, ca: pki.path("ca.pem"))
    _ = try await Self.whoAmI(open, apiKey: platformKey).get()
    try FileManager.default.removeItem(atPath: cert)
    try FileManager.default.removeItem(atPath: key)
    try FileManager.default.copyItem(atPath: pki.path("server2.pem"), toPath: cert)
    try FileManager.default.copyItem(atPath: pki.path("server2.key"), toPath: key)
    kill(process.processIdentifier, SIGHUP)
    var reloaded = false
    for _ in 0..<50 where !reloaded {
      try await Task.sleep(for: .milliseconds(100))
      let probe = Self.client(port, ca: pki.path("other-ca.pem"))
      if case .success = await Self.whoAmI(probe, apiKey: platformKey) { reloaded = true }
      await probe.close()
    }
    #expect(reloaded, "the new certificate was served after SIGHUP")
    // The connection opened before the reload is still served.
    #expect(try await Self.whoAmI(open, apiKey: platformKey).get().authMethod == .apiKey)
    await open.close()
    #expect(process.isRunning)
  }
}
