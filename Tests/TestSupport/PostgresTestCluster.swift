import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// A throwaway PostgreSQL cluster for the tests of one test process: created on first use in a
/// temporary folder (initdb, then pg_ctl on a free loopback port, its socket in that folder),
/// run as an unprivileged user (`postgres`, else `nobody`, when the tests run as root: initdb
/// refuses root), and stopped and deleted by a watchdog when the test process ends, however
/// it ends.
///
/// Each test gets its own database (``createDatabase()``), so tests never see each other's
/// rows. Settings favour speed over durability (`fsync=off`): nothing here must survive.
///
/// When the server binaries are absent the PostgreSQL variants of the tests are left out with
/// a message (`StoreEngine.all` in StoreTestSupport; suites use ``shouldRun``), unless `FIELDREPORT_REQUIRE_POSTGRES` is set (the
/// project's test script sets it): then they run and fail, so CI never passes by skipping.
public final class PostgresTestCluster: Sendable {
  /// The environment variable that turns a missing PostgreSQL into a failure.
  public static let requireVariable = "FIELDREPORT_REQUIRE_POSTGRES"
  /// The superuser role the cluster is created with (trust authentication on loopback).
  public static let user = "fieldreport"

  /// Where the server listens.
  public let host = "127.0.0.1"
  /// The cluster's port (a free one, found when it started).
  public let port: Int
  /// The cluster's folder (data, socket, log).
  public let directory: String
  private let binaries: String

  /// Whether PostgreSQL tests must run (and fail if PostgreSQL cannot be started).
  public static var isRequired: Bool {
    let value = ProcessInfo.processInfo.environment[requireVariable] ?? ""
    return !value.isEmpty && value != "0"
  }

  /// The folder with `initdb`, `pg_ctl` and `createdb`: `$FIELDREPORT_POSTGRES_BIN`, else the
  /// newest `/usr/lib/postgresql/<version>/bin` (Debian's layout); nil when none has initdb.
  public static let binaryDirectory: String? = {
    let fileManager = FileManager.default
    if let explicit = ProcessInfo.processInfo.environment["FIELDREPORT_POSTGRES_BIN"],
      fileManager.isExecutableFile(atPath: explicit + "/initdb")
    {
      return explicit
    }
    let root = "/usr/lib/postgresql"
    let versions = ((try? fileManager.contentsOfDirectory(atPath: root)) ?? [])
      .compactMap(Int.init).sorted(by: >)
    return versions.map { "\(root)/\($0)/bin" }.first { fileManager.isExecutableFile(atPath: $0 + "/initdb") }
  }()

  /// Whether the PostgreSQL variants of tests run: the binaries exist, or they are required.
  public static var shouldRun: Bool { binaryDirectory != nil || isRequired }

  /// The cluster of this test process, started on first use.
  /// - Throws: ``Failure`` if the binaries are missing or the cluster does not start.
  public static func shared() throws -> PostgresTestCluster {
    try started.get()
  }

  private static let started: Result<PostgresTestCluster, Failure> = Result { try PostgresTestCluster() }
    .mapError { $0 as? Failure ?? Failure(message: "\($0)") }

  /// Why the cluster is not available.
  public struct Failure: Error, CustomStringConvertible {
    /// What went wrong.
    public var message: String
    public var description: String { message }
  }

  private init() throws {
    guard let binaries = Self.binaryDirectory else {
      throw Failure(
        message: "PostgreSQL server binaries not found (apt-get install postgresql, or set FIELDREPORT_POSTGRES_BIN), "
          + "and \(Self.requireVariable) is set")
    }
    self.binaries = binaries
    let template = NSTemporaryDirectory() + "/fieldreport-pg-XXXXXX"
    var bytes = Array(template.utf8CString)
    guard let made = mkdtemp(&bytes) else { throw Failure(message: "cannot create a temporary folder") }
    directory = String(cString: made)
    port = try Self.freePort()
    // initdb and postgres refuse to run as root: hand the folder to an unprivileged user.
    let runAs = getuid() == 0 ? Self.unprivilegedUser() : nil
    if let runAs {
      guard let entry = getpwnam(runAs) else { throw Failure(message: "no user \(runAs)") }
      chown(directory, entry.pointee.pw_uid, entry.pointee.pw_gid)
      chmod(directory, 0o700)
    }
    let data = directory + "/data"
    // First, so that the folder goes (and a started server stops) however the rest ends.
    try startWatchdog(data: data)
    try Self.run(
      binaries + "/initdb",
      ["-D", data, "-A", "trust", "-U", Self.user, "-E", "UTF8", "--locale=C", "-N"], as: runAs,
      what: "initdb")
    let options = [
      "-p \(port)", "-k \(directory)", "-c listen_addresses=127.0.0.1", "-c fsync=off",
      "-c synchronous_commit=off", "-c full_page_writes=off", "-c max_connections=200",
    ].joined(separator: " ")
    try Self.run(
      binaries + "/pg_ctl", ["-D", data, "-o", options, "-l", directory + "/log", "-w", "-t", "60", "start"],
      as: runAs, what: "pg_ctl start (log: \(directory)/log)")
  }

  /// Stops the server (fast shutdown, if it started) and deletes the folder once this process
  /// has exited.
  private func startWatchdog(data: String) throws {
    let script = """
      while kill -0 \(getpid()) 2>/dev/null; do sleep 1; done
      [ -f '\(data)/postmaster.pid' ] && kill -INT "$(head -n 1 '\(data)/postmaster.pid')" 2>/dev/null
      for _ in 1 2 3 4 5 6 7 8 9 10; do [ -f '\(data)/postmaster.pid' ] || break; sleep 1; done
      rm -rf '\(directory)'
      """
    _ = try Self.spawn(["/bin/sh", "-c", script])
  }

  /// Creates an empty database and returns its name.
  public func createDatabase() throws -> String {
    let name = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
    try Self.run(
      binaries + "/createdb", ["-h", host, "-p", "\(port)", "-U", Self.user, name], as: nil, what: "createdb")
    return name
  }

  /// Drops a database made by ``createDatabase()`` (its connections must be closed).
  public func dropDatabase(_ name: String) {
    try? Self.run(
      binaries + "/dropdb", ["-h", host, "-p", "\(port)", "-U", Self.user, "--if-exists", name], as: nil,
      what: "dropdb")
  }

  /// A `postgres://` URL of a database of this cluster.
  public func url(database: String) -> String {
    "postgres://\(Self.user)@\(host):\(port)/\(database)"
  }

  private static func unprivilegedUser() -> String {
    getpwnam("postgres") != nil ? "postgres" : "nobody"
  }

  /// Runs a tool to its end (as `user`, through runuser, when given).
  private static func run(_ tool: String, _ arguments: [String], as user: String?, what: String) throws {
    var command = [tool] + arguments
    if let user { command = ["/usr/sbin/runuser", "-u", user, "--"] + command }
    let pid = try spawn(command)
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 {
      // Someone else reaped it (ECHILD): its outcome shows in what it was to make.
      guard errno == EINTR else { return }
    }
    // WIFEXITED / WEXITSTATUS, which do not import.
    guard status & 0x7F == 0, (status >> 8) & 0xFF == 0 else {
      throw Failure(message: "\(what) failed (wait status \(status))")
    }
  }

  /// Starts `command` with standard input, output and error on /dev/null and no other
  /// descriptor of this process, and returns its pid.
  ///
  /// `posix_spawn`, not Foundation's `Process`: `Process` learns that a child ended when a
  /// socket the child inherited closes, so it never sees the end of a tool whose server (which
  /// outlives it) inherited that socket, and the tests hung in `waitUntilExit`.
  private static func spawn(_ command: [String]) throws -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    // No other descriptor of this process reaches the child (posix_spawn_file_actions_addclosefrom_np
    // does not import): a shell closes them, moves to /, then runs the command.
    let closing = #"for fd in $(ls /proc/$$/fd); do [ "$fd" -gt 2 ] && eval "exec $fd>&-"; done 2>/dev/null; cd /; exec "$@""#
    let command = ["/bin/bash", "-c", closing, "bash"] + command
    let arguments = command.map { strdup($0) } + [nil]
    defer { for argument in arguments { free(argument) } }
    var pid: pid_t = 0
    let result = posix_spawn(&pid, command[0], &actions, nil, arguments, environ)
    guard result == 0 else { throw Failure(message: "cannot start \(command[0]) (error \(result))") }
    return pid
  }

  private static func freePort() throws -> Int {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { throw Failure(message: "socket() failed") }
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
        bind(descriptor, pointer, length) == 0 && getsockname(descriptor, pointer, &length) == 0
      }
    }
    guard bound else { throw Failure(message: "no free port") }
    return Int(UInt16(bigEndian: address.sin_port))
  }
}
