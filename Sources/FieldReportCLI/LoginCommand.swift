#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import FieldReportClient

/// `fieldreport login`: logs in (or checks an API key) and stores the server and credentials
/// in the profile.
struct LoginCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "login",
    abstract: "Log in and remember the server and session in a profile (or, with --api-key, a service account's key).",
    discussion: """
      The password comes from --password-stdin, $FIELDREPORT_PASSWORD, or a prompt. The profile
      file (mode 0600) is $XDG_CONFIG_HOME/fieldreport/profiles/<profile>.json.
      """)

  @OptionGroup var global: GlobalOptions
  @Argument(help: "The username (not needed with --api-key).") var username: String?
  @Option(name: [.short, .customLong("user")], help: "The username, as an option.") var user: String?
  @Flag(name: .customLong("password-stdin"), help: "Read the password from the first line of stdin.") var passwordStdin = false
  @Option(name: .customLong("device-label"), help: "A label for this session, shown in audits.") var deviceLabel = "fieldreport CLI"

  mutating func run() async throws {
    let username = self.user ?? self.username
    let passwordStdin = self.passwordStdin
    let deviceLabel = self.deviceLabel
    try await CLISession.run(self.global, creatingProfile: true) { session in
      var profile = Profile(server: session.server.description)
      profile.tls = session.tls
      let certificateOnly = username == nil && session.tls?.cert != nil
      if case .apiKey = session.client.credentials {} else if !certificateOnly {} else {
        // Mutual TLS: the client certificate alone identifies a service account.
        let me = try await session.client.identity.whoAmI(Fieldreport_V1_WhoAmIRequest())
        profile.username = me.user?.username
        profile.fullName = me.user?.fullName
        try session.store.save(profile, as: session.profileName)
        if session.json { try session.printJSON(me) } else {
          session.print("Client certificate of \(me.user?.fullName ?? "?") (\(me.user?.username ?? "?")) saved in profile '\(session.profileName)' for \(session.server)")
        }
        return
      }
      if case .apiKey(let key) = session.client.credentials {
        let me = try await session.client.identity.whoAmI(Fieldreport_V1_WhoAmIRequest())
        profile.apiKey = key
        profile.username = me.user?.username
        profile.fullName = me.user?.fullName
        try session.store.save(profile, as: session.profileName)
        if session.json { try session.printJSON(me) } else {
          session.print("API key of \(me.user?.fullName ?? "?") (\(me.user?.username ?? "?")) saved in profile '\(session.profileName)' for \(session.server)")
        }
        return
      }
      guard let username else { throw CLIError.usage("name the username to log in as (or give --api-key)") }
      let password = try Self.password(fromStdin: passwordStdin, environment: session.environment)
      let response = try await session.client.login(username: username, password: password, deviceLabel: deviceLabel)
      profile.sessionToken = response.sessionToken
      profile.username = response.user?.username ?? username
      profile.fullName = response.user?.fullName
      profile.expiresAtMs = response.expiresAtMs
      try session.store.save(profile, as: session.profileName)
      if session.json {
        try session.printJSON(response)
      } else {
        let roles = response.roles.map { "\($0.roleKind.shortName) at \(Render.unit($0.unit))" }.joined(separator: ", ")
        session.print("Logged in as \(response.user?.fullName ?? username) (\(roles.isEmpty ? "no roles" : roles)); session until \(Render.time(response.expiresAtMs)); profile '\(session.profileName)' → \(session.server)")
      }
    }
  }

  func validate() throws {
    if self.user != nil && self.username != nil { throw ValidationError("give the username once") }
  }

  static func password(fromStdin: Bool, environment: [String: String]) throws(CLIError) -> String {
    if fromStdin {
      guard let line = readLine(strippingNewline: true), !line.isEmpty else { throw .usage("--password-stdin: no password on stdin") }
      return line
    }
    if let password = environment["FIELDREPORT_PASSWORD"], !password.isEmpty { return password }
    guard isatty(STDIN_FILENO) == 1, let typed = getpass("Password: ") else {
      throw .usage("no password: use --password-stdin, $FIELDREPORT_PASSWORD or a terminal")
    }
    let password = String(cString: typed)
    guard !password.isEmpty else { throw .usage("the password is empty") }
    return password
  }
}

/// `fieldreport logout`: revokes the session and removes it from the profile.
struct LogoutCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "logout", abstract: "Revoke the session on the server and remove the credentials from the profile.")

  @OptionGroup var global: GlobalOptions
  @Flag(name: .customLong("all-sessions"), help: "Revoke every session of the user.") var allSessions = false
  @Flag(help: "Delete the profile file (server address too).") var forget = false

  mutating func run() async throws {
    let allSessions = self.allSessions
    let forget = self.forget
    try await CLISession.run(self.global) { session in
      var revoked: Int32 = 0
      if case .sessionToken = session.client.credentials {
        do {
          revoked = try await session.client.logout(allSessions: allSessions).revokedSessions
        } catch let error as RPCError where error.code == .unauthenticated {
          // Already expired or revoked: forgetting it locally is all that is left to do.
        }
      }
      if forget {
        try session.store.delete(session.profileName)
      } else if var profile = session.profile {
        profile.sessionToken = nil
        profile.apiKey = nil
        profile.expiresAtMs = nil
        try session.store.save(profile, as: session.profileName)
      }
      session.print("Logged out (\(revoked) session(s) revoked); profile '\(session.profileName)' \(forget ? "deleted" : "keeps the server address").")
    }
  }
}

/// `fieldreport whoami` (also `identity whoami`).
struct WhoAmICommand: RPCCommand {
  static let configuration = CommandConfiguration(commandName: "whoami", abstract: "Who the credentials belong to, with roles.", aliases: ["who-am-i"])

  @OptionGroup var global: GlobalOptions
  @OptionGroup var input: RequestInput

  func build(_ request: inout Fieldreport_V1_WhoAmIRequest, session: CLISession) async throws {}

  func call(_ request: Fieldreport_V1_WhoAmIRequest, session: CLISession) async throws -> Fieldreport_V1_WhoAmIResponse {
    try await session.client.identity.whoAmI(request)
  }

  func render(_ response: Fieldreport_V1_WhoAmIResponse, session: CLISession) async throws -> String {
    var list = KeyValueList()
    list.add("User", "\(response.user?.fullName ?? "") (\(response.user?.username ?? ""))")
    list.add("Kind", response.user?.userKind.shortName ?? "")
    list.add("Authenticated by", response.authMethod.shortName)
    list.addIfPresent("Session until", response.expiresAtMs.map(Render.time))
    list.add("Server", session.server.description)
    return list.render() + "\n" + Render.grants(response.roles)
  }
}

/// `fieldreport profile`: the stored profiles.
struct ProfileCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "profile", abstract: "List the stored profiles and show which one is in use (never prints credentials).")

  @OptionGroup var global: GlobalOptions

  mutating func run() async throws {
    try await CLISession.run(self.global) { session in
      var table = Table(["", "Profile", "Server", "User", "Credential", "Session until"])
      for name in session.store.names() {
        guard let profile = try? session.store.load(name) else { continue }
        let credential = profile.apiKey != nil ? "api key" : (profile.sessionToken != nil ? "session" : "none")
        table.append([name == session.profileName ? "*" : "", name, profile.server, profile.fullName ?? profile.username ?? "",
                      credential, Render.time(profile.expiresAtMs)])
      }
      session.print("Profiles in \(session.store.directory):\n" + table.render())
    }
  }
}
