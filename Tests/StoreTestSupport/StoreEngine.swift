import Foundation
public import Logging
import TestSupport

@_spi(Testing) public import FieldReportPostgresStore
@_spi(Testing) public import FieldReportStore

/// The engines a parameterized test runs on (`@Test(arguments: StoreEngine.all)`).
public enum StoreEngine: String, Sendable, CaseIterable {
  case sqlite
  case postgres

  /// SQLite always; PostgreSQL when its binaries are installed or `FIELDREPORT_REQUIRE_POSTGRES`
  /// is set (then a missing PostgreSQL fails the tests instead of leaving them out).
  public static let all: [StoreEngine] = {
    if PostgresTestCluster.shouldRun { return [.sqlite, .postgres] }
    FileHandle.standardError.write(
      Data(
        ("note: PostgreSQL server binaries not found: store and service tests run on SQLite only "
          + "(install the postgresql package, or set FIELDREPORT_POSTGRES_BIN)\n").utf8))
    return [.sqlite]
  }()

  /// The stores' logger in tests (quiet: connection noise is not a test result).
  public static let logger: Logger = {
    var logger = Logger(label: "fieldreport.store.tests")
    logger.logLevel = .critical
    return logger
  }()
}

/// What tests need of a store beyond the protocol.
public protocol TestableStore: FieldReportStore {
  /// Closes its connections.
  func close() async
  /// Reads one integer with raw SQL.
  func scalarForTesting(_ sql: String) async throws -> Int64?
  /// Runs raw SQL in a transaction.
  func executeRawSQLForTesting(_ sql: String) async throws
}

extension SQLiteFieldReportStore: TestableStore {}
extension PostgresFieldReportStore: TestableStore {}

/// A test's own empty database: a file in a new temporary folder (SQLite) or a new database of
/// the process's throwaway cluster (PostgreSQL).
public struct TestDatabase: Sendable {
  /// Its engine.
  public let engine: StoreEngine
  /// The SQLite file's folder (SQLite; unused otherwise).
  public let directory: URL
  /// The SQLite file (SQLite; unused otherwise).
  public let path: String
  /// The connection settings (PostgreSQL only).
  public let postgres: PostgresStoreConfiguration?

  /// Creates the folder or the database.
  /// - Parameters:
  ///   - engine: the engine.
  ///   - label: a word for the temporary folder's name.
  ///   - fileName: the SQLite file's name in it.
  public init(engine: StoreEngine, label: String = "store", fileName: String = "store.sqlite") throws {
    self.engine = engine
    directory = FileManager.default.temporaryDirectory
      .appendingPathComponent("fieldreport-\(label)-tests-\(UUID().uuidString)")
    path = directory.appendingPathComponent(fileName).path
    switch engine {
    case .sqlite:
      try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
      postgres = nil
    case .postgres:
      let cluster = try PostgresTestCluster.shared()
      var settings = try PostgresStoreConfiguration(url: cluster.url(database: try cluster.createDatabase()), password: nil)
      settings.poolSize = 4
      postgres = settings
    }
  }

  /// An existing SQLite file (tests that build their file themselves).
  public init(sqliteFile path: String, in directory: URL) {
    engine = .sqlite
    self.directory = directory
    self.path = path
    postgres = nil
  }

  /// The `--database` value a server process would be given.
  public var location: String {
    postgres.map { PostgresTestCluster.urlString($0) } ?? path
  }

  /// Opens a store on it (migrating on first use); another call opens another store on the
  /// same data (a restart, or another replica).
  public func open(configuration: StoreConfiguration = StoreConfiguration()) async throws -> any TestableStore {
    switch engine {
    case .sqlite: try await SQLiteFieldReportStore(path: path, configuration: configuration)
    case .postgres:
      try await PostgresFieldReportStore(configuration: postgresSettings(configuration), logger: StoreEngine.logger)
    }
  }

  private func postgresSettings(_ configuration: StoreConfiguration) -> PostgresStoreConfiguration {
    var settings = postgres!
    settings.store = configuration
    return settings
  }

  /// Deletes the folder or drops the database (every store on it must be closed).
  public func remove() {
    switch engine {
    case .sqlite: try? FileManager.default.removeItem(at: directory)
    case .postgres:
      if let postgres, let cluster = try? PostgresTestCluster.shared() { cluster.dropDatabase(postgres.database) }
    }
  }
}

extension PostgresTestCluster {
  /// The URL of a configuration's database (no password: the test cluster trusts loopback).
  fileprivate static func urlString(_ configuration: PostgresStoreConfiguration) -> String {
    "postgres://\(configuration.username)@\(configuration.host):\(configuration.port)/\(configuration.database)"
  }
}
