import WireBridge

/// Identifies a method: its service, its name and its shape.
public struct MethodDescriptor: Hashable, Sendable, CustomStringConvertible {
  /// Whether a method answers once or streams.
  public enum Kind: Hashable, Sendable {
    /// One request, one response.
    case unary
    /// One request, a stream of responses.
    case serverStreaming
  }

  /// The fully qualified service name, e.g. `rpc.v1.Health`.
  public let service: String
  /// The method name, e.g. `Check`.
  public let method: String
  /// The path on the wire, `/<service>/<method>`.
  public let path: String
  /// The method's shape.
  public let kind: Kind
  /// The fully qualified request message name.
  public let inputMessage: String
  /// The fully qualified response message name.
  public let outputMessage: String

  /// Creates a descriptor.
  public init(service: String, method: String, kind: Kind, inputMessage: String, outputMessage: String) {
    self.service = service
    self.method = method
    self.path = "/\(service)/\(method)"
    self.kind = kind
    self.inputMessage = inputMessage
    self.outputMessage = outputMessage
  }

  public var description: String { self.path }

  /// Splits a wire path `/<service>/<method>` into its parts, or `nil` if malformed.
  public static func split(path: String) -> (service: Substring, method: Substring)? {
    guard path.first == "/" else { return nil }
    let rest = path.dropFirst()
    guard let slash = rest.lastIndex(of: "/") else { return nil }
    let service = rest[..<slash]
    let method = rest[rest.index(after: slash)...]
    guard !service.isEmpty, !method.isEmpty else { return nil }
    return (service, method)
  }
}

/// A typed unary method: one `Input`, one `Output`. Shared by server registration and
/// client calls so both sides agree on path and types.
public struct UnaryMethod<Input: WireMessage, Output: WireMessage>: Sendable, Hashable {
  /// The method's descriptor.
  public let descriptor: MethodDescriptor

  /// Creates a unary method of a service.
  public init(service: String, method: String) {
    self.descriptor = MethodDescriptor(
      service: service,
      method: method,
      kind: .unary,
      inputMessage: Input.protoFullName,
      outputMessage: Output.protoFullName
    )
  }

  /// Creates a unary method whose request and response are named explicitly, for
  /// ``RawMessage`` (whose bytes may hold any message): the names reflection lists.
  public init(service: String, method: String, inputMessage: String, outputMessage: String) {
    self.descriptor = MethodDescriptor(
      service: service, method: method, kind: .unary, inputMessage: inputMessage, outputMessage: outputMessage)
  }
}

/// A typed server-streaming method: one `Input`, a stream of `Output`.
public struct ServerStreamingMethod<Input: WireMessage, Output: WireMessage>: Sendable, Hashable {
  /// The method's descriptor.
  public let descriptor: MethodDescriptor

  /// Creates a server-streaming method of a service.
  public init(service: String, method: String) {
    self.descriptor = MethodDescriptor(
      service: service,
      method: method,
      kind: .serverStreaming,
      inputMessage: Input.protoFullName,
      outputMessage: Output.protoFullName
    )
  }

  /// Creates a server-streaming method whose request and response are named explicitly, for
  /// ``RawMessage``.
  public init(service: String, method: String, inputMessage: String, outputMessage: String) {
    self.descriptor = MethodDescriptor(
      service: service, method: method, kind: .serverStreaming, inputMessage: inputMessage, outputMessage: outputMessage)
  }
}


extension UnaryMethod {
  /// Creates the method from a generated method type (e.g. `Rpc_V1_Health.Check.self`).
  /// - Precondition: The method is unary and its path well-formed (both are generated).
  public init<Method: WireMethod>(_ method: Method.Type) where Method.Input == Input, Method.Output == Output {
    precondition(!Method.isServerStreaming, "\(Method.path) is server-streaming")
    guard let (service, name) = MethodDescriptor.split(path: Method.path) else {
      preconditionFailure("malformed generated method path \(Method.path)")
    }
    self.init(service: String(service), method: String(name))
  }
}

extension ServerStreamingMethod {
  /// Creates the method from a generated method type (e.g. `Rpc_V1_Health.Watch.self`).
  /// - Precondition: The method is server-streaming and its path well-formed.
  public init<Method: WireMethod>(_ method: Method.Type) where Method.Input == Input, Method.Output == Output {
    precondition(Method.isServerStreaming, "\(Method.path) is unary")
    guard let (service, name) = MethodDescriptor.split(path: Method.path) else {
      preconditionFailure("malformed generated method path \(Method.path)")
    }
    self.init(service: String(service), method: String(name))
  }
}
