import Foundation
import FieldReportClient

/// What a server says it serves (reflection's ListServices) with the schema of its messages
/// (GetFileDescriptorSet): how `fieldreport call` finds a method by name, and how it lists and
/// describes them.
struct ReflectionCatalog: Sendable {
  /// A method the server serves, with its messages' names.
  struct Method: Sendable {
    /// `fieldreport.v1.CaseService`.
    var service: String
    /// `GetCase`.
    var name: String
    var inputType: String
    var outputType: String
    var serverStreaming: Bool
    /// The .proto comment (empty when the schema lacks the method or its comments).
    var comment = ""

    /// `fieldreport.v1.CaseService/GetCase`, as the user names it.
    var fullName: String { "\(self.service)/\(self.name)" }
    /// `/fieldreport.v1.CaseService/GetCase`, as the wire names it.
    var path: String { "/\(self.fullName)" }
  }

  /// The schema from the server's descriptor set.
  let schema: ProtoSchema
  /// The served methods, by service name then method name.
  let methods: [Method]

  init(schema: ProtoSchema, served: [Rpc_V1_ServiceInfo]) {
    self.schema = schema
    var methods: [Method] = []
    for service in served {
      for info in service.methods {
        var method = Method(
          service: service.name, name: info.name, inputType: info.inputMessage, outputType: info.outputMessage,
          serverStreaming: info.serverStreaming)
        // The descriptor set is the schema; ListServices's names come from the server's
        // registration (a raw handler may not know them).
        if let (_, described) = schema.method(path: info.path.isEmpty ? method.path : info.path) {
          method.inputType = described.inputType
          method.outputType = described.outputType
          method.comment = described.comment
        }
        methods.append(method)
      }
    }
    self.methods = methods
  }

  /// Asks the server (two reflection calls, with the session's credentials).
  /// - Throws: `RPCError` from the server, or ``CLIError/unexpected(_:)`` for a descriptor set
  ///   that cannot be read.
  static func fetch(_ session: CLISession) async throws -> ReflectionCatalog {
    let transport = session.client.transport
    let served = try await transport.call(ReflectionService.listServices, Rpc_V1_ListServicesRequest()).services
    let set = try await transport.call(ReflectionService.getFileDescriptorSet, Rpc_V1_GetFileDescriptorSetRequest()).fileDescriptorSet
    let schema: ProtoSchema
    do {
      schema = try ProtoSchema(fileDescriptorSet: set)
    } catch {
      throw CLIError.unexpected("the server's reflection: \(error)")
    }
    return ReflectionCatalog(schema: schema, served: served)
  }

  // MARK: Finding a method

  /// The served method `name` names: `pkg.Service/Method`, with or without a leading `/`,
  /// `pkg.Service.Method`, or with the service's short name (`CaseService/GetCase`) when only
  /// one service has it.
  /// - Throws: ``CLIError/usage(_:)`` naming the near matches, or the services with that short
  ///   name when it is ambiguous.
  func method(named name: String) throws(CLIError) -> Method {
    guard let (service, method) = Self.split(name) else {
      throw .usage("name a method as Service/Method (e.g. fieldreport.v1.CaseService/GetCase), not '\(name)'")
    }
    if let found = self.methods.first(where: { $0.service == service && $0.name == method }) { return found }
    let short = self.methods.filter { $0.name == method && ($0.service.hasSuffix("." + service) || $0.service == service) }
    if short.count == 1 { return short[0] }
    if short.count > 1 {
      throw .usage("'\(name)' is ambiguous: " + short.map(\.fullName).joined(separator: ", "))
    }
    throw .usage(self.notFound("no method '\(name)' on this server", name: name, candidates: self.methods.map(\.fullName)))
  }

  /// `a.B/C`, `/a.B/C` or `a.B.C` as (service, method).
  static func split(_ name: String) -> (String, String)? {
    var text = name.hasPrefix("/") ? String(name.dropFirst()) : name
    if !text.contains("/"), let dot = text.lastIndex(of: ".") {
      text.replaceSubrange(dot...dot, with: "/")
    }
    let parts = text.split(separator: "/", omittingEmptySubsequences: false)
    guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
    return (String(parts[0]), String(parts[1]))
  }

  private func notFound(_ text: String, name: String, candidates: [String]) -> String {
    // Compare the method part too, so `CaseService/GetCas` finds `fieldreport.v1.CaseService/GetCase`.
    let methodPart = Self.split(name)?.1 ?? name
    var near = NearMatches.find(name, among: candidates)
    if near.isEmpty {
      near = NearMatches.find(methodPart, among: self.methods.map(\.name)).flatMap { method in
        self.methods.filter { $0.name == method }.map(\.fullName)
      }
    }
    if near.isEmpty { return text + " (`fieldreport call list` lists them)" }
    return text + "; did you mean " + near.prefix(5).joined(separator: ", ") + "?"
  }

  // MARK: Listing

  /// Every served method, grouped by service: `  GetCase(GetCaseRequest) returns (GetCaseResponse)`.
  func listing() -> String {
    var lines: [String] = []
    var current = ""
    for method in self.methods {
      if method.service != current {
        current = method.service
        let summary = Self.firstSentence(self.schema.services.first { $0.fullName == current }?.comment ?? "")
        if !lines.isEmpty { lines.append("") }
        lines.append(current + (summary.isEmpty ? "" : "  // " + summary))
      }
      let package = Self.package(of: method.service)
      let output = (method.serverStreaming ? "stream " : "") + Self.relative(method.outputType, to: package)
      let missing = self.schema.message(method.inputType) == nil ? "  (no schema: cannot be called by name)" : ""
      lines.append("  \(method.name)(\(Self.relative(method.inputType, to: package))) returns (\(output))\(missing)")
    }
    return lines.joined(separator: "\n")
  }

  /// A comment's first sentence, on one line (at most 100 characters).
  static func firstSentence(_ comment: String) -> String {
    let text = comment.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
    var sentence = text.range(of: ". ").map { String(text[..<$0.lowerBound]) + "." } ?? text
    if sentence.count > 100 { sentence = String(sentence.prefix(99)) + "…" }
    return sentence
  }

  /// The served methods as JSON (`--json`).
  func listingJSON() -> JSONValue {
    .array(
      self.methods.map { method in
        .object([
          ("method", .string(method.fullName)), ("path", .string(method.path)),
          ("input", .string(method.inputType)), ("output", .string(method.outputType)),
          ("serverStreaming", .bool(method.serverStreaming)),
        ])
      })
  }

  static func package(of name: String) -> String {
    name.lastIndex(of: ".").map { String(name[..<$0]) } ?? ""
  }

  /// `fieldreport.v1.GetCaseRequest` as `GetCaseRequest` inside package `fieldreport.v1`.
  static func relative(_ name: String, to package: String) -> String {
    package.isEmpty || !name.hasPrefix(package + ".") ? name : String(name.dropFirst(package.count + 1))
  }

  // MARK: Describing

  /// A method (its request with every type it uses, and its response), a service (its
  /// methods), a message or an enum, in .proto syntax with the comments.
  /// - Throws: ``CLIError/usage(_:)`` naming near matches when nothing has that name.
  func describe(_ name: String) throws(CLIError) -> String {
    let trimmed = name.hasPrefix(".") ? String(name.dropFirst()) : name
    if let message = self.schema.message(trimmed) ?? self.unique(trimmed, in: self.schema.messages.keys).flatMap({ self.schema.message($0) }) {
      return self.render(message)
    }
    if let value = self.schema.enumType(trimmed) ?? self.unique(trimmed, in: self.schema.enums.keys).flatMap({ self.schema.enumType($0) }) {
      return self.render(value)
    }
    let services = Set(self.methods.map(\.service)).union(self.schema.services.map(\.fullName))
    if let service = services.contains(trimmed) ? trimmed : self.unique(trimmed, in: services) {
      return self.renderService(service)
    }
    if let method = try? self.method(named: trimmed) { return self.render(method) }
    let candidates = Array(services) + self.methods.map(\.fullName) + Array(self.schema.messages.keys) + Array(self.schema.enums.keys)
    throw .usage(self.notFound("nothing named '\(name)' on this server (a service, Service/Method, message or enum)", name: trimmed, candidates: candidates))
  }

  /// The one full name whose last part (or last parts) is `name`.
  private func unique(_ name: String, in names: some Sequence<String>) -> String? {
    let found = names.filter { $0.hasSuffix("." + name) }
    return found.count == 1 ? found[0] : nil
  }

  private func render(_ method: Method) -> String {
    var out = Self.comment(method.comment, indent: "")
    let output = (method.serverStreaming ? "stream " : "") + method.outputType
    out += "rpc \(method.fullName)(\(method.inputType)) returns (\(output));\n"
    guard let request = self.schema.message(method.inputType) else {
      return out + "\n(the server's descriptor set does not describe \(method.inputType))\n"
    }
    out += "\n" + self.render(request)
    // The types the request uses, so the whole request can be written from this page.
    for name in self.closure(of: request) where name != request.fullName {
      if let message = self.schema.message(name) { out += "\n" + self.render(message) }
      if let value = self.schema.enumType(name) { out += "\n" + self.render(value) }
    }
    if let response = self.schema.message(method.outputType) {
      out += "\n" + self.render(response)
    }
    return out
  }

  /// Every message and enum `message` uses, itself first, in the order met.
  private func closure(of message: MessageSchema) -> [String] {
    var order: [String] = []
    var seen: Set<String> = []
    func visit(_ name: String) {
      guard seen.insert(name).inserted else { return }
      order.append(name)
      guard let message = self.schema.message(name) else { return }
      for field in message.fields where !field.typeName.isEmpty {
        if let entry = self.schema.message(field.typeName), entry.isMapEntry {
          for part in entry.fields where !part.typeName.isEmpty { visit(part.typeName) }
        } else {
          visit(field.typeName)
        }
      }
    }
    visit(message.fullName)
    return order
  }

  private func renderService(_ name: String) -> String {
    let service = self.schema.services.first { $0.fullName == name }
    var out = Self.comment(service?.comment ?? "", indent: "") + "service \(name) {\n"
    let served = self.methods.filter { $0.service == name }
    let package = Self.package(of: name)
    for method in served {
      out += Self.comment(method.comment, indent: "  ")
      let output = (method.serverStreaming ? "stream " : "") + Self.relative(method.outputType, to: package)
      out += "  rpc \(method.name)(\(Self.relative(method.inputType, to: package))) returns (\(output));\n"
    }
    if served.isEmpty { out += "  // not served by this server\n" }
    return out + "}\n"
  }

  private func render(_ message: MessageSchema) -> String {
    var out = Self.comment(message.comment, indent: "") + "message \(message.fullName) {\n"
    var openOneof: Int?
    for field in message.fields {
      if field.oneofIndex != openOneof {
        if openOneof != nil { out += "  }\n" }
        openOneof = field.oneofIndex
        if let index = field.oneofIndex {
          out += Self.comment(message.oneofComments[safe: index] ?? "", indent: "  ")
          out += "  oneof \(message.oneofs[safe: index] ?? "?") {\n"
        }
      }
      let indent = field.oneofIndex == nil ? "  " : "    "
      out += Self.comment(field.comment, indent: indent)
      var type = field.typeName.isEmpty ? field.type.protoName : field.typeName
      var label = field.isRepeated ? "repeated " : ""
      if field.isRepeated, let entry = self.schema.message(field.typeName), entry.isMapEntry,
        let key = entry.field(number: 1), let value = entry.field(number: 2)
      {
        type = "map<\(key.type.protoName), \(value.typeName.isEmpty ? value.type.protoName : value.typeName)>"
        label = ""
      }
      let jsonName = field.jsonName == FieldSchema.lowerCamel(field.name) ? "" : " [json_name = \"\(field.jsonName)\"]"
      out += "\(indent)\(label)\(type) \(field.name) = \(field.number)\(jsonName);\n"
    }
    if openOneof != nil { out += "  }\n" }
    return out + "}\n"
  }

  private func render(_ value: EnumSchema) -> String {
    var out = Self.comment(value.comment, indent: "") + "enum \(value.fullName) {\n"
    for entry in value.values {
      out += Self.comment(entry.comment, indent: "  ") + "  \(entry.name) = \(entry.number);\n"
    }
    return out + "}\n"
  }

  private static func comment(_ text: String, indent: String) -> String {
    guard !text.isEmpty else { return "" }
    return text.split(separator: "\n", omittingEmptySubsequences: false).map { "\(indent)// \($0)".trimmingSuffix() }.joined(separator: "\n") + "\n"
  }
}

extension Array {
  fileprivate subscript(safe index: Int) -> Element? { self.indices.contains(index) ? self[index] : nil }
}

extension String {
  fileprivate func trimmingSuffix() -> String {
    var text = self
    while text.last == " " { text.removeLast() }
    return text
  }
}
