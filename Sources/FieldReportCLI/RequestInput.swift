import ArgumentParser
import FieldReportClient
import Foundation

/// The whole request in proto3 JSON (lowerCamelCase field names, enums by name, int64 as
/// JSON numbers, bytes as base64): every field of every request is reachable even
/// without a dedicated flag. Flags given as well override the JSON's fields.
struct RequestInput: ParsableArguments {
  @Option(name: .customLong("request-json"), help: ArgumentHelp("The request in proto3 JSON.", valueName: "json"))
  var requestJSON: String?

  @Option(name: .customLong("request-file"), help: ArgumentHelp("A file holding the request in proto3 JSON ('-' for stdin).", valueName: "file"))
  var requestFile: String?

  func validate() throws {
    if self.requestJSON != nil && self.requestFile != nil {
      throw ValidationError("give --request-json or --request-file, not both")
    }
  }

  /// True when a request was given as JSON.
  var isGiven: Bool { self.requestJSON != nil || self.requestFile != nil }

  /// The request from the JSON, or an empty request.
  /// - Throws: ``CLIError/usage(_:)`` naming the problem (unreadable file, bad JSON, a field of
  ///   the wrong type).
  func load<Request: WireMessage>(_ type: Request.Type) throws(CLIError) -> Request {
    let data: Data
    if let json = self.requestJSON {
      data = Data(json.utf8)
    } else if let file = self.requestFile {
      do {
        data = file == "-" ? FileHandle.standardInput.readDataToEndOfFile() : try Data(contentsOf: URL(fileURLWithPath: file))
      } catch {
        throw .usage("cannot read --request-file \(file): \(error.localizedDescription)")
      }
    } else {
      return Request()
    }
    do {
      return try JSONDecoder().decode(Request.self, from: data)
    } catch let error as DecodingError {
      throw .usage("the request is not a valid \(Request.protoFullName) in proto3 JSON: \(Self.explain(error))")
    } catch {
      throw .usage("the request is not a valid \(Request.protoFullName) in proto3 JSON: \(error)")
    }
  }

  static func explain(_ error: DecodingError) -> String {
    func path(_ context: DecodingError.Context) -> String {
      let path = context.codingPath.map(\.stringValue).joined(separator: ".")
      return path.isEmpty ? "" : " at \(path)"
    }
    switch error {
    case .typeMismatch(let type, let context): return "expected \(type)\(path(context)): \(context.debugDescription)"
    case .valueNotFound(let type, let context): return "missing \(type)\(path(context))"
    case .keyNotFound(let key, let context): return "missing key \(key.stringValue)\(path(context))"
    case .dataCorrupted(let context): return "\(context.debugDescription)\(path(context))"
    @unknown default: return "\(error)"
    }
  }
}
