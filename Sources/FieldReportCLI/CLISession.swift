import ArgumentParser
import FieldReportClient
import Foundation

/// One run of a command: the profile, the connected client and the output mode.
final class CLISession: Sendable {
  /// The process environment the session was made from.
  let environment: [String: String]
  /// The chosen profile's name.
  let profileName: String
  /// Where profiles live.
  let store: ProfileStore
  /// The chosen profile, if stored.
  let profile: Profile?
  /// The server address in use.
  let server: ServerAddress
  /// The client, with credentials, deadline and metadata applied to every call.
  let client: FieldReportClient
  /// TLS to the server, from the options or the profile; `nil`: plain TCP.
  let tls: TLSSettings?
  /// Print JSON instead of tables.
  let json: Bool
  /// Print requests instead of sending them.
  let dryRun: Bool

  /// Builds a session from the global options and the environment.
  /// - Throws: ``CLIError`` for a bad server address, profile name or unreadable profile.
  /// - Parameter creatingProfile: The command creates the profile (login): a named profile
  ///   that does not exist yet is not an error.
  init(
    _ options: GlobalOptions, environment: [String: String] = ProcessInfo.processInfo.environment, creatingProfile: Bool = false
  ) throws(CLIError) {
    self.environment = environment
    let named = options.profile ?? environment["FIELDREPORT_PROFILE"].flatMap { $0.isEmpty ? nil : $0 }
    self.profileName = named ?? ProfileStore.defaultName
    self.store = try ProfileStore(environment: environment)
    self.profile = try self.store.load(self.profileName)
    if let named, self.profile == nil, !creatingProfile {
      // Never a silent fall back to the default server without credentials.
      let known = self.store.names()
      throw .configuration(
        "no profile '\(named)'; "
          + (known.isEmpty ? "there are none yet: create one with `fieldreport login --profile \(named) …`" : "the profiles are: \(known.joined(separator: ", "))"))
    }
    let serverText = options.server ?? environment["FIELDREPORT_SERVER"].flatMap { $0.isEmpty ? nil : $0 }
      ?? self.profile?.server ?? "127.0.0.1:\(ServerAddress.defaultPort)"
    do {
      self.server = try ServerAddress(parsing: serverText)
    } catch {
      throw .usage("--server: \(error)")
    }
    let credentials: Credentials
    if let key = options.apiKey ?? environment["FIELDREPORT_API_KEY"].flatMap({ $0.isEmpty ? nil : $0 }) {
      credentials = .apiKey(key)
    } else if let token = options.token ?? environment["FIELDREPORT_TOKEN"].flatMap({ $0.isEmpty ? nil : $0 }) {
      credentials = .sessionToken(token)
    } else if let key = self.profile?.apiKey {
      credentials = .apiKey(key)
    } else if let token = self.profile?.sessionToken {
      credentials = .sessionToken(token)
    } else {
      credentials = .none
    }
    var metadata = Metadata()
    if let trace = options.traceID { metadata.add("x-trace-id", text: trace)}
    for entry in options.metadata {
      guard let equals = entry.firstIndex(of: "=") else { throw .usage("--metadata '\(entry)' must be key=value") }
      let key = entry[..<equals].lowercased()
      guard Metadata.isValidKey(key) else { throw .usage("--metadata key '\(key)' is not a valid metadata key") }
      metadata.add(key, text: String(entry[entry.index(after: equals)...]))
    }
    self.tls = try Self.tls(options, environment: environment, profile: self.profile)
    self.client = FieldReportClient(
      server: self.server,
      credentials: credentials,
      timeout: .milliseconds(Int64((options.timeout * 1000).rounded())),
      metadata: metadata,
      tls: self.tls?.client
    )
    self.json = options.json
    self.dryRun = options.dryRun
  }

  /// TLS from the options (files made absolute, checked to exist), else the profile's.
  static func tls(_ options: GlobalOptions, environment: [String: String], profile: Profile?) throws(CLIError) -> TLSSettings? {
    func value(_ option: String?, _ name: String) -> String? {
      option ?? environment[name].flatMap { $0.isEmpty ? nil : $0 }
    }
    let ca = value(options.ca, "FIELDREPORT_CA")
    let cert = value(options.cert, "FIELDREPORT_CERT")
    let key = value(options.key, "FIELDREPORT_KEY")
    let wanted = options.tls || environment["FIELDREPORT_TLS"] == "1" || ca != nil || cert != nil || key != nil
    guard wanted else { return profile?.tls }
    guard (cert == nil) == (key == nil) else { throw .usage("--cert and --key go together") }
    func absolute(_ path: String?, _ flag: String) throws(CLIError) -> String? {
      guard let path else { return nil }
      let url = URL(fileURLWithPath: path)
      guard FileManager.default.isReadableFile(atPath: url.path) else { throw .usage("\(flag) \(path): no such readable file") }
      return url.standardizedFileURL.path
    }
    return TLSSettings(
      ca: try absolute(ca, "--ca"), cert: try absolute(cert, "--cert"), key: try absolute(key, "--key"),
      serverName: options.tlsServerName ?? profile?.tls?.serverName)
  }

  /// Runs `body` with a session, closing the client afterwards; prints failures to stderr and
  /// exits with the matching status (see ``ExitStatus``).
  static func run(
    _ options: GlobalOptions, creatingProfile: Bool = false, _ body: (CLISession) async throws -> Void
  ) async throws {
    let session: CLISession
    do {
      session = try CLISession(options, creatingProfile: creatingProfile)
    } catch {
      Self.printError("error: \(error)")
      throw ExitCode(error.exitCode)
    }
    do {
      try await body(session)
      await session.client.close()
    } catch {
      await session.client.close()
      throw Self.exit(for: error)
    }
  }

  /// Prints `error` to stderr and returns the exit code to throw.
  static func exit(for error: any Error) -> any Error {
    switch error {
    case let error as RPCError:
      Self.printError(ExitStatus.describe(error))
      return ExitCode(ExitStatus.forRPC(error.code))
    case let error as CLIError:
      Self.printError("error: \(error)")
      return ExitCode(error.exitCode)
    default:
      // ArgumentParser's own errors (validation, ExitCode) keep their handling.
      return error
    }
  }

  /// Writes a line to stderr (nothing if stderr is gone).
  static func printError(_ text: String) {
    try? FileHandle.standardError.write(contentsOf: Data((text + "\n").utf8))
  }

  /// Writes a line to stdout. If nobody reads any more (`| head` exited: EPIPE), the command
  /// ends quietly with status 0, as a filter's producer does.
  func print(_ text: String) {
    do {
      try FileHandle.standardOutput.write(contentsOf: Data((text + "\n").utf8))
    } catch {
      Foundation.exit(0)
    }
  }

  /// Prints a message as proto3 JSON.
  func printJSON<Value: Encodable>(_ value: Value) throws(CLIError) {
    self.print(try JSONOutput.encode(value))
  }

  // MARK: Cases by id or report code

  /// Finds a case by id or report code (a report code is all digits, 9 or more).
  func resolveCase(_ reference: String) async throws(RPCError) -> Fieldreport_V1_CaseSummary {
    var request = Fieldreport_V1_GetCaseRequest()
    request.key = CaseReference.isReportCode(reference) ? .reportCode(reference) : .caseId(reference)
    let response = try await self.client.cases.getCase(request)
    return response.caseDetail?.summary ?? Fieldreport_V1_CaseSummary()
  }

  /// The case id for a reference: the reference itself when it is not a report code (or in a
  /// dry run), else the id GetCase answers.
  ///
  /// Untyped `throws` and `@inline(never)` on purpose (the error is still an `RPCError`): the
  /// Swift 6.3.1 optimizer crashes (signal 11 "while splitting the coroutine", `swift build -c
  /// release`) on an untyped `async throws` function with an `inout` parameter that assigns it
  /// the result of a conditional `try await` of an `async throws(RPCError)` call and throws again
  /// afterwards — every `build(_:session:)` here: `if let caseReference { request.caseId = try
  /// await session.caseID(for: caseReference) }`, then `throw CLIError.usage(…)`. Inlined, the
  /// typed call inside would bring the crash back. `scripts/test.sh` builds release to catch it.
  @inline(never)
  func caseID(for reference: String) async throws -> String {
    guard CaseReference.isReportCode(reference), !self.dryRun else { return reference }
    return try await self.resolveCase(reference).caseId
  }
}

/// A case named on the command line.
enum CaseReference {
  /// Report codes are `DDMMYY` + a sequence of at least 3 digits: all digits, 9 or more.
  static func isReportCode(_ text: String) -> Bool {
    text.count >= 9 && text.allSatisfy { $0.isASCII && $0.isNumber }
  }
}

/// JSON output for scripts: the proto3 JSON form, pretty-printed.
enum JSONOutput {
  static func encode<Value: Encodable>(_ value: Value, compact: Bool = false) throws(CLIError) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = compact ? [.sortedKeys, .withoutEscapingSlashes] : [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    do {
      return String(decoding: try encoder.encode(value), as: UTF8.self)
    } catch {
      throw .unexpected("cannot encode the answer as JSON: \(error)")
    }
  }
}
