import RPCCore
import Synchronization
import Testing
import WireBridge

/// A client transport that passes every call on to `base` and remembers, per method path,
/// whether a call was served and which status codes refused one.
///
/// `ContractCoverageTests` checks with it that each test really made, over its socket, the
/// allowed and the refused call its row of the coverage table promises.
final class CoverageRecorder: ClientTransport, Sendable {
  /// What happened to calls of one method.
  struct Outcomes: Sendable {
    /// A call was served (a unary response, or a first streamed message).
    var served = false
    /// A call was served without credentials in its metadata.
    var servedWithoutCredentials = false
    /// The codes calls failed with.
    var refusals: Set<StatusCode> = []
  }

  /// The codes that refuse a *caller* (rather than a request): no or a bad credential, a
  /// missing right, a case the caller may not see.
  static let callerRefusals: Set<StatusCode> = [.unauthenticated, .permissionDenied, .notFound]

  let base: any ClientTransport
  private let state = Mutex<[String: Outcomes]>([:])

  init(_ base: any ClientTransport) { self.base = base }

  /// Everything recorded, by method path.
  var outcomes: [String: Outcomes] { self.state.withLock { $0 } }

  private func record(_ path: String, _ update: (inout Outcomes) -> Void) {
    self.state.withLock { update(&$0[path, default: Outcomes()]) }
  }

  func unary<Input, Output>(
    _ method: UnaryMethod<Input, Output>, request: Input, options: CallOptions
  ) async throws(RPCError) -> UnaryResponse<Output> {
    let path = method.descriptor.path
    let anonymous = options.metadata.firstText("authorization") == nil
    do {
      let response = try await self.base.unary(method, request: request, options: options)
      self.record(path) {
        $0.served = true
        if anonymous { $0.servedWithoutCredentials = true }
      }
      return response
    } catch {
      self.record(path) { $0.refusals.insert(error.code) }
      throw error
    }
  }

  func serverStreaming<Input, Output>(
    _ method: ServerStreamingMethod<Input, Output>, request: Input, options: CallOptions,
    onResponse: (Output) async throws -> Void
  ) async throws(RPCError) -> Metadata {
    let path = method.descriptor.path
    let anonymous = options.metadata.firstText("authorization") == nil
    var callerStopped = false
    do {
      return try await self.base.serverStreaming(method, request: request, options: options) { message in
        self.record(path) {
          $0.served = true
          if anonymous { $0.servedWithoutCredentials = true }
        }
        do {
          try await onResponse(message)
        } catch {
          callerStopped = true
          throw error
        }
      }
    } catch {
      // A stream the caller stopped from its handler is not a refusal.
      if !callerStopped { self.record(path) { $0.refusals.insert(error.code) } }
      throw error
    }
  }

  /// Records an issue for every method of `paths` that was not served to an allowed caller
  /// and refused to another caller (or, for an open method, served without credentials).
  func expectCovered(_ paths: [String], open: Set<String>, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(!paths.isEmpty, "the coverage table names no method for this test", sourceLocation: sourceLocation)
    let outcomes = self.outcomes
    for path in paths {
      let outcome = outcomes[path] ?? Outcomes()
      if open.contains(path) {
        #expect(outcome.servedWithoutCredentials, "\(path) was not served without credentials", sourceLocation: sourceLocation)
      } else {
        #expect(outcome.served, "\(path) was never served over the socket", sourceLocation: sourceLocation)
        #expect(
          !outcome.refusals.isDisjoint(with: Self.callerRefusals),
          "\(path) was never refused to a caller (refusals: \(outcome.refusals))", sourceLocation: sourceLocation)
      }
    }
  }
}

/// The methods of the services in an encoded `google.protobuf.FileDescriptorSet`, as wire
/// paths (`/package.Service/Method`), read with a minimal protobuf reader (files: field 1;
/// a file's package: 2, services: 6; a service's name: 1, methods: 2; a method's name: 1).
enum DescriptorSetMethods {
  struct Malformed: Error {}

  static func paths(in set: [UInt8], packages: Set<String>) throws -> Set<String> {
    var paths: Set<String> = []
    for (field, file) in try fields(set) where field == 1 {
      var package = ""
      var services: [[UInt8]] = []
      for (number, value) in try fields(file) {
        if number == 2 { package = String(decoding: value, as: UTF8.self) }
        if number == 6 { services.append(value) }
      }
      guard packages.contains(package) else { continue }
      for service in services {
        let parts = try fields(service)
        let name = parts.first { $0.0 == 1 }.map { String(decoding: $0.1, as: UTF8.self) } ?? ""
        for (number, method) in parts where number == 2 {
          let methodName = try fields(method).first { $0.0 == 1 }.map { String(decoding: $0.1, as: UTF8.self) } ?? ""
          paths.insert("/\(package).\(name)/\(methodName)")
        }
      }
    }
    return paths
  }

  /// The length-delimited fields of one message (other wire types are skipped).
  static func fields(_ bytes: [UInt8]) throws -> [(Int, [UInt8])] {
    var out: [(Int, [UInt8])] = []
    var index = 0
    func varint() throws -> UInt64 {
      var value: UInt64 = 0
      var shift: UInt64 = 0
      while true {
        guard index < bytes.count, shift < 64 else { throw Malformed() }
        let byte = bytes[index]
        index += 1
        value |= UInt64(byte & 0x7F) << shift
        if byte & 0x80 == 0 { return value }
        shift += 7
      }
    }
    while index < bytes.count {
      let key = try varint()
      switch key & 7 {
      case 0: _ = try varint()
      case 1: index += 8
      case 5: index += 4
      case 2:
        let length = Int(try varint())
        guard length >= 0, index + length <= bytes.count else { throw Malformed() }
        out.append((Int(key >> 3), Array(bytes[index..<index + length])))
        index += length
      default: throw Malformed()
      }
    }
    guard index == bytes.count else { throw Malformed() }
    return out
  }
}
