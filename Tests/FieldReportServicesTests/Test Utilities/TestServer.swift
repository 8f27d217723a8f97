import FieldReportAPI
import FieldReportServices
import FieldReportStore
import FieldReportWorkflow
import Foundation
import Logging
import RPCCore
import RPCNIO
import StoreTestSupport
import Synchronization
import WireBridge

/// A settable clock for tests (sessions expire, rate-limit windows pass).
final class TestClock: Sendable {
  private let value: Mutex<Int64>

  /// Starts at 9:00 on 6 March 2026, Asia/Ho_Chi_Minh (the source's day).
  init(_ start: Int64 = 1_772_762_400_000) { self.value = Mutex(start) }

  var now: Timestamp { Timestamp(millisecondsSince1970: self.value.withLock { $0 }) }

  func advance(milliseconds: Int64) { self.value.withLock { $0 += milliseconds } }

  var closure: @Sendable () -> Timestamp { { self.now } }
}

/// The services over a real store (a SQLite file in a temporary folder, or a database of the
/// tests' throwaway PostgreSQL cluster), seeded with the demo province and the first-run admin;
/// reachable in-process (fast) or over a real loopback socket.
struct TestServer {
  /// The password of every seeded person, the admin included.
  static let password = "mat-khau-demo-2026"
  static let logger = Logger(label: "services-tests") { _ in SwiftLogNoOpLogHandler() }

  /// The server's own database.
  let database: TestDatabase
  let store: any TestableStore
  let env: ServiceEnvironment
  let router: RPCRouter
  let clock: TestClock
  /// The seeded platform service account's API key.
  let platformKey: String

  /// Creates the store, seeds it and builds the router.
  /// - Parameter limits: Service limits; the password hashing is always the fast test one.
  static func make(engine: StoreEngine = .sqlite, limits: ServiceLimits = ServiceLimits()) async throws
    -> TestServer
  {
    let database = try TestDatabase(engine: engine, label: "services", fileName: "test.sqlite")
    let store = try await database.open()
    var limits = limits
    limits.passwordHashing = .fastForTesting
    let clock = TestClock()
    let env = ServiceEnvironment(
      store: store, now: clock.closure, logger: Self.logger, limits: limits, checkpointSigner: CheckpointSigner())
    let loaded = try await DemoProvince.load(
      into: store, password: Self.password, hashing: limits.passwordHashing, now: clock.now)
    _ = try await SystemAdminBootstrap.ensureSystemAdmin(
      store: store, password: Self.password, hashing: limits.passwordHashing, now: clock.now)
    let (router, _) = ServiceRouter.make(env: env, services: allServices(env: env))
    return TestServer(
      database: database, store: store, env: env, router: router, clock: clock,
      platformKey: loaded.platformAPIKey ?? "")
  }

  /// Every service under test.
  static func allServices(env: ServiceEnvironment) -> [any RPCService] {
    ServiceRouter.allServices(env: env)
  }

  /// An in-process transport (no sockets), with `peer` as the caller's address.
  func inProcess(peer: String = "[IPv4]127.0.0.1:40000") -> InProcessTransport {
    InProcessTransport(router: self.router, peer: peer)
  }

  /// Runs `body` with a real server on 127.0.0.1 (port 0) and a connected client.
  func withLiveServer<R>(_ body: (RPCClient) async throws -> R) async throws -> R {
    try await self.withLiveServerAndPort { client, _ in try await body(client) }
  }

  /// Runs `body` with a real server on 127.0.0.1 (port 0), a connected client and the port
  /// (for more connections).
  func withLiveServerAndPort<R>(_ body: (RPCClient, Int) async throws -> R) async throws -> R {
    let server = RPCServer(
      router: self.router,
      configuration: .init(host: "127.0.0.1", port: 0, drainGracePeriod: .seconds(5)),
      fileDescriptorSet: ServiceRouter.fileDescriptorSet, logger: Self.logger)
    let address = try await server.start()
    let client = RPCClient(configuration: .init(host: "127.0.0.1", port: address.port ?? 0), logger: Self.logger)
    do {
      let result = try await body(client, address.port ?? 0)
      await client.close()
      await server.shutdown(gracePeriod: .seconds(1))
      return result
    } catch {
      await client.close()
      await server.shutdown(gracePeriod: .seconds(1))
      throw error
    }
  }

  /// Logs in with a username and the seeded password; returns call options carrying the token.
  func login(_ username: String, over transport: any ClientTransport) async throws -> CallOptions {
    var request = Fieldreport_V1_LoginRequest()
    request.username = username
    request.password = Self.password
    let response = try await Fieldreport_V1_IdentityServiceClient(transport).login(request)
    return Self.bearer(response.sessionToken)
  }

  /// Logs in as a demo person.
  func login(_ person: DemoProvince.Person, over transport: any ClientTransport) async throws -> CallOptions {
    try await self.login(person.username, over: transport)
  }

  /// Call options with a session token.
  static func bearer(_ token: String) -> CallOptions {
    CallOptions(metadata: ["authorization": .text("Bearer \(token)")])
  }

  /// Call options with an API key.
  static func apiKey(_ key: String) -> CallOptions {
    CallOptions(metadata: ["authorization": .text("ApiKey \(key)")])
  }

  /// The SQLite file's folder (SQLite only).
  var directory: URL { database.directory }

  /// The platform's call options.
  var platform: CallOptions { Self.apiKey(self.platformKey) }

  /// The same server after a restart: the store is closed and the same file reopened, with a
  /// new environment and router (nothing in memory survives), the clock kept.
  func restarted() async throws -> TestServer {
    await self.store.close()
    let store = try await self.database.open()
    let env = ServiceEnvironment(store: store, now: self.clock.closure, logger: Self.logger, limits: self.env.limits)
    let (router, _) = ServiceRouter.make(env: env, services: Self.allServices(env: env))
    return TestServer(
      database: self.database, store: store, env: env, router: router, clock: self.clock,
      platformKey: self.platformKey)
  }

  /// Another replica of this server: a second store on the same database (its own caches,
  /// and on PostgreSQL its own listening connection), environment and router; the clock
  /// kept. Close it with ``closeReplica()``, before this server.
  /// - Parameter services: its services (default every service).
  func replica(services: ((ServiceEnvironment) -> [any RPCService])? = nil) async throws -> TestServer {
    let store = try await self.database.open()
    let env = ServiceEnvironment(store: store, now: self.clock.closure, logger: Self.logger, limits: self.env.limits)
    let (router, _) = ServiceRouter.make(env: env, services: (services ?? Self.allServices)(env))
    return TestServer(
      database: self.database, store: store, env: env, router: router, clock: self.clock,
      platformKey: self.platformKey)
  }

  /// Closes a replica's store (the database stays for the server it came from).
  func closeReplica() async {
    await self.store.close()
  }

  /// Closes the store and removes the folder (or drops the database).
  func close() async {
    await self.store.close()
    self.database.remove()
  }

  /// Runs `body` with a fresh server, closing it afterwards.
  static func with<R>(
    engine: StoreEngine = .sqlite, limits: ServiceLimits = ServiceLimits(), _ body: (TestServer) async throws -> R
  ) async throws -> R {
    let server = try await Self.make(engine: engine, limits: limits)
    do {
      let result = try await body(server)
      await server.close()
      return result
    } catch {
      await server.close()
      throw error
    }
  }
}

/// The status code of a failed call, or nil if it succeeded (`.unknown` for a non-RPC error).
func statusCode<T>(_ body: () async throws -> T) async -> StatusCode? {
  do {
    _ = try await body()
    return nil
  } catch let error as RPCError {
    return error.code
  } catch {
    return .unknown
  }
}

/// The error of a failed call, or nil if it succeeded or failed with a non-RPC error.
func rpcFailure<T>(_ body: () async throws -> T) async -> RPCError? {
  do {
    _ = try await body()
    return nil
  } catch {
    return error as? RPCError
  }
}
