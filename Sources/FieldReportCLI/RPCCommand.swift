import ArgumentParser
import FieldReportClient

/// A command that makes one RPC: the request comes from `--request-json`/`--request-file`
/// (or starts empty), the command's flags are applied on top, the call is made, and the
/// answer is printed as a table or (`--json`) as proto3 JSON.
protocol RPCCommand: AsyncParsableCommand {
  /// The request message.
  associatedtype Request: WireMessage
  /// The response message.
  associatedtype Response: WireMessage

  /// Connection and output options.
  var global: GlobalOptions { get }
  /// The request as JSON.
  var input: RequestInput { get }

  /// Applies the command's flags to the request (may look cases up on the server).
  func build(_ request: inout Request, session: CLISession) async throws
  /// Makes the call.
  func call(_ request: Request, session: CLISession) async throws -> Response
  /// The human-readable answer.
  func render(_ response: Response, session: CLISession) async throws -> String
}

extension RPCCommand {
  mutating func run() async throws {
    let input = self.input
    let command = self
    try await CLISession.run(self.global) { session in
      var request = try input.load(Request.self)
      try await command.build(&request, session: session)
      if session.dryRun {
        try session.printJSON(request)
        return
      }
      let response = try await command.call(request, session: session)
      if session.json {
        try session.printJSON(response)
      } else {
        session.print(try await command.render(response, session: session))
      }
    }
  }
}

/// The fields every action on a case shares (`ActionCommon`).
struct ActionOptions: ParsableArguments {
  @Argument(help: ArgumentHelp("The case: its id or its report code (e.g. 060326001).", valueName: "case"), completion: ServerCompletion.cases)
  var caseReference: String?

  @Option(name: [.short, .long], help: ArgumentHelp("The action's content (Nội dung): the reason, the instruction, the reply letter.", valueName: "text"))
  var content: String?

  @Option(name: .customLong("content-file"), help: ArgumentHelp("Read the content from a file.", valueName: "file"))
  var contentFile: String?

  @Option(name: .customLong("attachment"), help: ArgumentHelp("An attachment id (from 'case upload'), repeatable.", valueName: "id"))
  var attachments: [String] = []

  @Flag(help: "Notify the citizen through the mobile app (Gửi thông báo qua ứng dụng di động).")
  var notify = false

  @Option(name: .customLong("expected-version"), help: ArgumentHelp("The case version you read (default: the current one, looked up first).", valueName: "n"))
  var expectedVersion: Int64?

  @Option(name: .customLong("idempotency-key"), help: ArgumentHelp("A key making retries safe (default: a new UUID).", valueName: "key"))
  var idempotencyKey: String?

  /// Merges these flags into `common` (from the request JSON, if any): flags win; the case
  /// is resolved (a report code becomes an id) and, unless given, the current version is read.
  func apply(to common: inout Fieldreport_V1_ActionCommon, session: CLISession) async throws {
    if let reference = self.caseReference {
      if session.dryRun || (!CaseReference.isReportCode(reference) && self.expectedVersion != nil) {
        common.caseId = reference
      } else {
        let summary = try await session.resolveCase(reference)
        common.caseId = summary.caseId
        if self.expectedVersion == nil && common.expectedVersion == 0 { common.expectedVersion = summary.version }
      }
    } else if common.caseId.isEmpty {
      throw CLIError.usage("name the case (its id or report code), or give common.caseId in --request-json")
    } else if common.expectedVersion == 0 && self.expectedVersion == nil && !session.dryRun {
      common.expectedVersion = try await session.resolveCase(common.caseId).version
    }
    if let version = self.expectedVersion { common.expectedVersion = version }
    if let key = self.idempotencyKey {
      common.idempotencyKey = key
    } else if common.idempotencyKey.isEmpty {
      common.idempotencyKey = UUIDText.random()
    }
    if let content = try self.loadContent() { common.content = content }
    if !self.attachments.isEmpty { common.attachmentIds = self.attachments }
    if self.notify { common.notifyMobileApp = true }
  }

  func loadContent() throws(CLIError) -> String? {
    if let content { return content }
    guard let contentFile else { return nil }
    return try FileInput.text(contentFile, option: "--content-file")
  }

  func validate() throws {
    if self.content != nil && self.contentFile != nil {
      throw ValidationError("give --content or --content-file, not both")
    }
  }
}
