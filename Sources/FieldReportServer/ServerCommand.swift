import ArgumentParser

/// `fieldreport-server`: the server (`serve`, the default) and the operator's tools on its
/// database file (`backup`, `verify`).
///
/// The root has no options of its own: ArgumentParser decodes a parent's options from the
/// whole command line, so a root `--database` would take the subcommands' flag.
@main
struct ServerCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "fieldreport-server",
    abstract: "Serve the fieldreport API, and back up or verify its database.",
    discussion: """
      Without a subcommand, `serve` runs: `fieldreport-server --port 7443` is `fieldreport-server serve --port 7443`.
      `fieldreport-server help serve` lists the server's flags and environment variables.
      """,
    subcommands: [FieldReportServer.self, BackupCommand.self, VerifyCommand.self],
    defaultSubcommand: FieldReportServer.self)
}
