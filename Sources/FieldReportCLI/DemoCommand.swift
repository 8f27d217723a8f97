import ArgumentParser

/// `fieldreport demo` (filled in once the demo province lands).
struct DemoCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(commandName: "demo", abstract: "Drive the whole source process against a server started with --demo.")
  @OptionGroup var global: GlobalOptions
  mutating func run() async throws {}
}
