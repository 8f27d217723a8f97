import ArgumentParser
import FieldReportClient
import Foundation

/// `fieldreport call`: any method the server serves, by name, as grpcurl is for gRPC. The
/// methods come from the server's reflection (`rpc.v1.Reflection`: ListServices and the
/// FileDescriptorSet), the request and response are proto3 JSON encoded and decoded from the
/// descriptors alone (``ProtoJSONCodec``), so a method the CLI was built without works too.
struct CallCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "call",
    abstract: "Call any method the server serves by name, with a proto3 JSON request (as grpcurl does for gRPC).",
    discussion: """
      Examples:
        fieldreport call list
        fieldreport call describe fieldreport.v1.CaseService/GetCase
        fieldreport call CaseService/GetCase '{"reportCode": "291126001"}'
        fieldreport call CaseService/GetCase -d @request.json

      `list` shows the services and methods the server serves (from its reflection); `describe` a method's request (with every type it uses) and response, or a service, message or enum, with the .proto comments. The request is proto3 JSON: an argument or -d, @file for a file, '-' or @- for standard input; none sends {}.

      A server-streaming method prints one JSON object per line until the stream ends (Ctrl-C stops it; no deadline unless --timeout is given). The profile's credentials are used, as by every command.
      """,
    subcommands: [Invoke.self, List.self, Describe.self],
    defaultSubcommand: Invoke.self
  )

  /// Calls a method.
  struct Invoke: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "invoke",
      abstract: "Call a method (the default: `fieldreport call Service/Method JSON`).")

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp(
      "The method: package.Service/Method (e.g. fieldreport.v1.CaseService/GetCase), or Service/Method when the name is unique.",
      valueName: "method"))
    var method: String

    @Argument(help: ArgumentHelp("The request in proto3 JSON; @file reads a file, '-' or @- standard input (default: {}).", valueName: "json"))
    var request: String?

    @Option(name: [.customShort("d"), .customLong("data")], help: ArgumentHelp(
      "The request: proto3 JSON, @file, or @- for standard input.", valueName: "json|@file"))
    var data: String?

    func validate() throws {
      if self.request != nil && self.data != nil { throw ValidationError("give the request once: as an argument or with -d") }
    }

    mutating func run() async throws {
      let command = self
      try await CLISession.run(self.global) { session in
        let catalog = try await ReflectionCatalog.fetch(session)
        let method = try catalog.method(named: command.method)
        let codec = ProtoJSONCodec(schema: catalog.schema)
        guard catalog.schema.message(method.inputType) != nil, catalog.schema.message(method.outputType) != nil else {
          throw CLIError.unexpected("the server's descriptor set does not describe \(method.fullName)'s messages (\(method.inputType), \(method.outputType))")
        }
        let json = try Self.requestJSON(command.data ?? command.request)
        let bytes: [UInt8]
        do {
          bytes = try codec.encode(json, as: method.inputType)
        } catch {
          throw CLIError.usage("the request is not a valid \(method.inputType): \(error)")
        }
        if session.dryRun {
          session.print(try Self.decode(codec, bytes, as: method.inputType).text(pretty: true))
          return
        }
        if method.serverStreaming {
          try await Self.stream(method, bytes, codec: codec, session: session, timeout: command.global.timeout)
        } else {
          let call = UnaryMethod<RawMessage, RawMessage>(
            service: method.service, method: method.name, inputMessage: method.inputType, outputMessage: method.outputType)
          let response = try await session.client.transport.call(call, RawMessage(bytes: bytes))
          session.print(try Self.decode(codec, response.bytes, as: method.outputType).text(pretty: true))
        }
      }
    }

    /// Prints each response as one line of JSON, as it arrives.
    static func stream(_ method: ReflectionCatalog.Method, _ bytes: [UInt8], codec: ProtoJSONCodec, session: CLISession, timeout: Double) async throws {
      var options = CallOptions()
      // A stream lives until the user stops it: no deadline unless --timeout was given.
      options.timeout = timeout == 30 ? .seconds(365 * 86_400) : nil
      let call = ServerStreamingMethod<RawMessage, RawMessage>(
        service: method.service, method: method.name, inputMessage: method.inputType, outputMessage: method.outputType)
      _ = try await session.client.transport.serverStreaming(call, request: RawMessage(bytes: bytes), options: options) { response in
        session.print(try Self.decode(codec, response.bytes, as: method.outputType).text(pretty: false))
      }
    }

    /// The request's JSON: the text, `@file`, `-`, `@-` or grpcurl's `@` (standard input), or
    /// `{}` when none.
    static func requestJSON(_ given: String?) throws(CLIError) -> JSONValue {
      guard let given else { return .object([]) }
      let text: String
      switch given {
      case "-", "@-", "@": text = try FileInput.text("-", option: "the request")
      case _ where given.hasPrefix("@"): text = try FileInput.text(String(given.dropFirst()), option: "-d")
      default: text = given
      }
      do {
        return try JSONValue(parsing: text)
      } catch {
        throw .usage("the request is not valid JSON: \(error)")
      }
    }

    static func decode(_ codec: ProtoJSONCodec, _ bytes: [UInt8], as type: String) throws(CLIError) -> JSONValue {
      do {
        return try codec.decode(bytes, as: type)
      } catch {
        throw .unexpected("the server's answer is not a valid \(type): \(error)")
      }
    }
  }

  /// Lists the services and methods.
  struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "List the services and methods the server serves (from its reflection); --json for scripts.")

    @OptionGroup var global: GlobalOptions

    mutating func run() async throws {
      try await CLISession.run(self.global) { session in
        let catalog = try await ReflectionCatalog.fetch(session)
        session.print(session.json ? catalog.listingJSON().text(pretty: true) : catalog.listing())
      }
    }
  }

  /// Describes a method, service, message or enum.
  struct Describe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Describe a method (its request, with every type it uses, and its response), a service, a message or an enum, with the .proto comments.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp(
      "What to describe: package.Service/Method, a service, a message or an enum (short names when unique).", valueName: "name"))
    var name: String

    mutating func run() async throws {
      let name = self.name
      try await CLISession.run(self.global) { session in
        let catalog = try await ReflectionCatalog.fetch(session)
        session.print(try catalog.describe(name).trimmingCharacters(in: .newlines))
      }
    }
  }
}
