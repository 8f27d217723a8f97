import ArgumentParser
import FieldReportPostgresStore
import FieldReportStore
import FieldReportWorkflow
import Foundation
import Logging

/// Where the database is: `--database`, else `FIELDREPORT_DATABASE`, else
/// `./data/fieldreport.sqlite`; the same rule for `serve`, `backup` and `verify`. A value
/// starting with `postgres://` names a PostgreSQL database (`serve` only).
enum DatabaseLocation {
  static let defaultPath = "./data/fieldreport.sqlite"

  static func path(flag: String?) -> String {
    if let flag { return flag }
    if let value = ProcessInfo.processInfo.environment["FIELDREPORT_DATABASE"], !value.isEmpty { return value }
    return defaultPath
  }

  /// The SQLite file for `backup` and `verify`, which work on a file.
  /// - Throws: `ValidationError` for a PostgreSQL URL (use PostgreSQL's own tools there).
  static func sqlitePath(flag: String?, command: String) throws -> String {
    let path = path(flag: flag)
    if PostgresStoreConfiguration.isURL(path) {
      throw ValidationError(
        "\(command) works on a SQLite file; for PostgreSQL use pg_dump (backup) and the VerifyJournal RPC (verify)")
    }
    return path
  }
}

/// The store `serve` runs on, and how to close it.
struct OpenedStore {
  var store: any FieldReportStore
  /// What the banner and the log call it (a PostgreSQL URL without secrets, or the file).
  var description: String
  var close: @Sendable () async -> Void

  /// The PostgreSQL settings `serve` takes besides the URL.
  struct PostgresSettings {
    /// A file holding the password (its first line), if any.
    var passwordFile: String?
    /// The password from the environment (`FIELDREPORT_DATABASE_PASSWORD`), if any.
    var passwordFromEnvironment: String?
    var poolSize: Int
    var tls: PostgresStoreConfiguration.TLSMode
  }

  /// Opens `location`: a PostgreSQL database for a `postgres://` URL, else a SQLite file
  /// (its folder created 0700 if missing).
  /// - Parameters:
  ///   - policy: The workflow's rules (the province's return window), for the store's listing
  ///     keys.
  ///   - caseCache: Decoded cases kept in memory per cache generation (`--case-cache`).
  ///   - listingCache: Cases in listing pages kept until the next commit (`--listing-cache`; SQLite only).
  static func open(
    _ location: String, postgres settings: PostgresSettings, policy: WorkflowPolicy,
    caseCache: Int, listingCache: Int, logger: Logger
  ) async throws -> OpenedStore {
    if PostgresStoreConfiguration.isURL(location) {
      var password = settings.passwordFromEnvironment
      if let file = settings.passwordFile {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
          throw ValidationError("cannot read the database password file \(file)")
        }
        password = String(text.split(separator: "\n", omittingEmptySubsequences: false).first ?? "")
      }
      var configuration = try PostgresStoreConfiguration(url: location, password: password)
      configuration.poolSize = settings.poolSize
      configuration.tls = settings.tls
      configuration.store.policy = policy
      configuration.store.decodedCaseCacheSize = caseCache
      var storeLogger = logger
      storeLogger[metadataKey: "component"] = "postgres"
      let store = try await PostgresFieldReportStore(configuration: configuration, logger: storeLogger)
      return OpenedStore(store: store, description: configuration.redactedURL, close: { await store.close() })
    }
    let databaseURL = URL(fileURLWithPath: location)
    // A folder the server creates is its owner's only (0700); the store makes the files 0600.
    let folder = databaseURL.deletingLastPathComponent()
    if !FileManager.default.fileExists(atPath: folder.path) {
      try FileManager.default.createDirectory(
        at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }
    let store = try await SQLiteFieldReportStore(
      path: databaseURL.path, configuration: StoreConfiguration(
        policy: policy, decodedCaseCacheSize: caseCache, listingCacheSize: listingCache))
    return OpenedStore(
      store: store, description: databaseURL.standardizedFileURL.path, close: { await store.close() })
  }
}
