import ArgumentParser

/// Options every command that talks to the server accepts.
struct GlobalOptions: ParsableArguments {
  @Option(help: ArgumentHelp(
    "The server, host:port (default: the profile's, then $FIELDREPORT_SERVER, then 127.0.0.1:7443).",
    valueName: "host:port"))
  var server: String?

  @Option(help: ArgumentHelp(
    "The profile under ~/.config/fieldreport/profiles (default: $FIELDREPORT_PROFILE, then 'default').",
    valueName: "name"))
  var profile: String?

  @Option(help: ArgumentHelp("A session token to use instead of the profile's ($FIELDREPORT_TOKEN).", valueName: "token"))
  var token: String?

  @Option(name: .customLong("api-key"), help: ArgumentHelp(
    "A service account's API key to use instead of the profile's credentials ($FIELDREPORT_API_KEY).", valueName: "key"))
  var apiKey: String?

  @Option(help: ArgumentHelp("The call deadline in seconds.", valueName: "seconds"))
  var timeout: Double = 30

  @Option(name: .customLong("trace-id"), help: ArgumentHelp("Sent as x-trace-id metadata, to find the call in the server's logs.", valueName: "id"))
  var traceID: String?

  @Option(name: .customLong("metadata"), help: ArgumentHelp("Extra call metadata, repeatable.", valueName: "key=value"))
  var metadata: [String] = []

  @Flag(help: "Connect over TLS (implied by --ca, --cert and --key; default: the profile's, then $FIELDREPORT_TLS=1).")
  var tls = false

  @Option(help: ArgumentHelp("PEM file of the CAs that signed the server's certificate (default: the system's; $FIELDREPORT_CA).", valueName: "file"))
  var ca: String?

  @Option(help: ArgumentHelp("PEM client certificate, for a server that requires mutual TLS ($FIELDREPORT_CERT).", valueName: "file"))
  var cert: String?

  @Option(help: ArgumentHelp("PEM private key of --cert ($FIELDREPORT_KEY).", valueName: "file"))
  var key: String?

  @Option(name: .customLong("tls-server-name"), help: ArgumentHelp("The name to check the server's certificate against (default: the server's host).", valueName: "name"))
  var tlsServerName: String?

  @Flag(help: "Print the response as proto3 JSON instead of a table.")
  var json = false

  @Flag(name: .customLong("dry-run"), help: "Print the request as proto3 JSON instead of sending it (a default that depends on the case, such as publish's scope, is still read from the server).")
  var dryRun = false

  func validate() throws {
    guard self.timeout > 0, self.timeout <= 86_400 else {
      throw ValidationError("--timeout must be more than 0 and at most 86400 seconds")
    }
    if (self.cert == nil) != (self.key == nil) { throw ValidationError("--cert and --key go together") }
    for entry in self.metadata where !entry.contains("=") {
      throw ValidationError("--metadata '\(entry)' must be key=value")
    }
  }
}
