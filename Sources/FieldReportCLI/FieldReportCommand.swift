import ArgumentParser

/// `fieldreport`: the command-line client of fieldreport-server.
@main
struct FieldReportCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "fieldreport",
    abstract: "The command-line client of fieldreport-server: every RPC, grouped by service.",
    discussion: """
      Log in once (fieldreport login --server HOST:PORT USERNAME): the server and the session token are kept in a profile, $XDG_CONFIG_HOME/fieldreport/profiles/<profile>.json (default ~/.config/fieldreport/profiles/default.json, mode 0600). Choose a profile with --profile or $FIELDREPORT_PROFILE; override with --server, --token, --api-key or $FIELDREPORT_SERVER, $FIELDREPORT_TOKEN, $FIELDREPORT_API_KEY.

      Cases are named by id or by report code (060326001); units by id, code or name; people by id, username or name (diacritics optional). Times are Asia/Ho_Chi_Minh: 2026-03-10, 2026-03-10T17:00, 10/03/2026 17:00, +3d, +12h (a negative one needs '=': --from=-7d), or Unix milliseconds.

      Every command prints a table, or the answer as proto3 JSON with --json; --request-json / --request-file take the whole request in proto3 JSON (flags override its fields); --dry-run prints the request instead of sending it. `fieldreport call` calls any method the server serves by name (list, describe, call with proto3 JSON), from the server's reflection.

      Exit status: 0 success; 2 bad usage; 3 profile or file problem; 4 unexpected answer; 10 + the gRPC status number when a call fails (13 INVALID_ARGUMENT, 15 NOT_FOUND, 16 ALREADY_EXISTS, 17 PERMISSION_DENIED, 19 FAILED_PRECONDITION, 20 ABORTED, 24 UNAVAILABLE, 26 UNAUTHENTICATED, …); the status, message and field violations go to stderr.
      """,
    subcommands: [
      LoginCommand.self, LogoutCommand.self, WhoAmICommand.self, ProfileCommand.self,
      IdentityCommand.self, CaseCommand.self, AssignmentCommand.self, AssignmentCommand.Assign.self,
      JournalCommand.self, InboxCommand.self, DemoCommand.self, CallCommand.self, ReportCommand.self,
    ]
  )

  /// Parses with global options hoisted (so `fieldreport --profile x case list` works like
  /// `fieldreport case list --profile x`), runs the command, exits with its status.
  static func main() async {
    let arguments = GlobalArguments.hoist(Array(CommandLine.arguments.dropFirst()))
    do {
      var command = try Self.parseAsRoot(arguments)
      FlagVocabulary.setCommand(type(of: command))
      if var command = command as? any AsyncParsableCommand {
        try await command.run()
      } else {
        try command.run()
      }
    } catch {
      Self.exit(withError: error)
    }
  }
}

/// The global options given before the subcommand: `fieldreport --profile duong assign …`.
enum GlobalArguments {
  /// Options that take a value.
  static let valued: Set<String> = ["--server", "--profile", "--token", "--api-key", "--timeout", "--trace-id", "--metadata"]
  /// Flags.
  static let flags: Set<String> = ["--json", "--dry-run"]

  /// Moves global options that come before the first subcommand to the end, where every
  /// command that talks to the server accepts them.
  static func hoist(_ arguments: [String]) -> [String] {
    var leading: [String] = []
    var index = 0
    while index < arguments.count {
      let argument = arguments[index]
      let name = argument.split(separator: "=", maxSplits: 1).first.map(String.init) ?? argument
      if Self.flags.contains(argument) {
        leading.append(argument)
        index += 1
      } else if Self.valued.contains(name) {
        leading.append(argument)
        if !argument.contains("="), index + 1 < arguments.count {
          leading.append(arguments[index + 1])
          index += 2
        } else {
          index += 1
        }
      } else {
        break
      }
    }
    guard !leading.isEmpty else { return arguments }
    var rest = Array(arguments[index...])
    // Keep anything after a `--` terminator last.
    if let terminator = rest.firstIndex(of: "--") {
      rest.insert(contentsOf: leading, at: terminator)
      return rest
    }
    return rest + leading
  }
}
