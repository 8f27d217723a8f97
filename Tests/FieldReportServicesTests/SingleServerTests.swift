import FieldReportAPI
import Foundation
import Logging
import RPCCore
import RPCNIO
import TestSupport
import Testing
import WireBridge

/// One `fieldreport-server` per SQLite database: a second one on the same file is refused at
/// start, saying why, and the first keeps serving (``DatabaseFileLock``, over the real binary).
@Suite("one server per SQLite database (fieldreport-server)")
struct SingleServerTests {
  @Test("a second server on a database being served stops with the reason; the first keeps serving, and the file is free once it stops", .timeLimit(.minutes(1)))
  func secondServerRefused() async throws {
    let (first, port, _, folder) = try await MetricsEndpointTests.launch([])
    defer {
      if first.isRunning { first.terminate() }
      try? FileManager.default.removeItem(at: folder)
    }
    let database = folder.appendingPathComponent("fr.sqlite").path
    let binary = try #require(ServerExecutableTests.serverURL())

    let (status, text) = try await ServerExecutableTests.runToExit(
      ["--port", "0", "--database", database, "--scrypt-log-n", "10"],
      environment: ["FIELDREPORT_ADMIN_PASSWORD": "mat-khau-admin-2026"])
    #expect(status != 0)
    #expect(text.contains("is already open in another process"), "\(text)")

    // The first still answers, and the lock file is its owner's only.
    let client = RPCClient(configuration: .init(host: "127.0.0.1", port: port), logger: MetricsEndpointTests.quietLogger)
    var health = Rpc_V1_HealthCheckRequest()
    health.service = ""
    #expect(try await client.call(HealthService.check, health).status == .serving)
    await client.close()
    let mode = try FileManager.default.attributesOfItem(atPath: database + "-lock")[.posixPermissions] as? Int
    #expect(mode == 0o600)

    // Once the first has stopped, a server starts on the file again.
    first.terminate()
    await ServerExecutableTests.offCooperativePool { first.waitUntilExit() }
    let (third, thirdPort, _) = try await ServerExecutableTests.launch(
      binary, arguments: ["--port", "0", "--database", database, "--log-level", "warning", "--scrypt-log-n", "10"],
      environment: ["FIELDREPORT_ADMIN_PASSWORD": "mat-khau-admin-2026"])
    let again = RPCClient(configuration: .init(host: "127.0.0.1", port: thirdPort), logger: MetricsEndpointTests.quietLogger)
    #expect(try await again.call(HealthService.check, health).status == .serving)
    await again.close()
    third.terminate()
    await ServerExecutableTests.offCooperativePool { third.waitUntilExit() }
  }
}
