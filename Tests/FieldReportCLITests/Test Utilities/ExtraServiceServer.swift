import Foundation
import Logging
import RPCCore
import RPCNIO
import WireBridge

/// A server that is not fieldreport-server: the RPC runtime serving services the `fieldreport`
/// CLI has no command or client for, for `fieldreport call`:
///
/// - `rpc.testing.v1.TestService` (EmptyCall, UnaryCall echoing its payload,
///   StreamingOutputCall), described by the contract's descriptor set;
/// - `extra.v1.Echo`, in no .proto file of the repository: its messages exist only in a
///   descriptor written here by hand and appended to the set reflection serves, and its
///   handlers pass the encoded bytes through (`RawMessage`). `Say` answers the request;
///   `Chorus` streams it back three times.
///
/// Every call, reflection's included, needs `authorization: Bearer <token>`.
struct ExtraServiceServer {
  let server: RPCServer
  let port: Int
  let token: String

  var address: String { "127.0.0.1:\(self.port)" }

  static func start(token: String) async throws -> ExtraServiceServer {
    var router = RPCRouter()
    router.register(UnaryMethod(Rpc_Testing_V1_TestService.EmptyCall.self)) { _, _ in Rpc_Testing_V1_Empty() }
    router.register(UnaryMethod(Rpc_Testing_V1_TestService.UnaryCall.self)) { request, _ in
      if request.responseCode != 0 {
        throw RPCError(code: StatusCode(rawValue: Int(request.responseCode)) ?? .unknown, message: request.responseMessage)
      }
      var response = Rpc_Testing_V1_SimpleResponse()
      response.payload = request.payload
      return response
    }
    router.register(ServerStreamingMethod(Rpc_Testing_V1_TestService.StreamingOutputCall.self)) { request, _, writer in
      for parameters in request.responseParameters {
        if parameters.intervalMs > 0 { try await Task.sleep(for: .milliseconds(Int(parameters.intervalMs))) }
        var response = Rpc_Testing_V1_StreamingOutputCallResponse()
        var payload = Rpc_Testing_V1_Payload()
        payload.body = [UInt8](repeating: 7, count: Int(max(parameters.size, 0)))
        response.payload = payload
        try await writer.write(response)
      }
    }
    router.register(
      UnaryMethod<RawMessage, RawMessage>(service: "extra.v1.Echo", method: "Say", inputMessage: "extra.v1.Note", outputMessage: "extra.v1.Note")
    ) { request, _ in request }
    router.register(
      ServerStreamingMethod<RawMessage, RawMessage>(
        service: "extra.v1.Echo", method: "Chorus", inputMessage: "extra.v1.Note", outputMessage: "extra.v1.Note")
    ) { request, _, writer in
      for _ in 0..<3 { try await writer.write(request) }
    }
    router.interceptors = [TokenCheck(expected: "Bearer \(token)")]
    let contract = Data(base64Encoded: WireDescriptorSet.base64, options: .ignoreUnknownCharacters).map { Array($0) } ?? []
    // A FileDescriptorSet is a repeated field 1: appending one more file is appending bytes.
    let set = contract + Proto.field(1, Self.extraFile)
    let server = RPCServer(
      router: router, configuration: .init(host: "127.0.0.1", port: 0), fileDescriptorSet: set,
      logger: Logger(label: "extra-service") { _ in SwiftLogNoOpLogHandler() })
    let address = try await server.start()
    return ExtraServiceServer(server: server, port: address.port ?? 0, token: token)
  }

  func stop() async {
    await self.server.shutdown(gracePeriod: .seconds(1))
  }

  /// `extra/v1/extra.proto` as a `google.protobuf.FileDescriptorProto`, by hand:
  ///
  /// ```proto
  /// package extra.v1;
  /// enum Mood { MOOD_UNSPECIFIED = 0; MOOD_CALM = 1; }
  /// message Note { string text = 1; int64 count = 2; repeated Mood moods = 3; bytes blob = 4; Note reply = 5; }
  /// service Echo {
  ///   // Answers the note as it came.
  ///   rpc Say(Note) returns (Note);
  ///   rpc Chorus(Note) returns (stream Note);
  /// }
  /// ```
  static let extraFile: [UInt8] = {
    func field(_ name: String, _ number: UInt64, _ type: UInt64, label: UInt64 = 1, typeName: String? = nil) -> [UInt8] {
      Proto.field(1, name) + Proto.field(3, varint: number) + Proto.field(4, varint: label) + Proto.field(5, varint: type)
        + (typeName.map { Proto.field(6, $0) } ?? []) + Proto.field(10, name)
    }
    let note = Proto.field(1, "Note")
      + Proto.field(2, field("text", 1, 9)) + Proto.field(2, field("count", 2, 3))
      + Proto.field(2, field("moods", 3, 14, label: 3, typeName: ".extra.v1.Mood"))
      + Proto.field(2, field("blob", 4, 12)) + Proto.field(2, field("reply", 5, 11, typeName: ".extra.v1.Note"))
    let mood = Proto.field(1, "Mood")
      + Proto.field(2, Proto.field(1, "MOOD_UNSPECIFIED") + Proto.field(2, varint: 0))
      + Proto.field(2, Proto.field(1, "MOOD_CALM") + Proto.field(2, varint: 1))
    let say = Proto.field(1, "Say") + Proto.field(2, ".extra.v1.Note") + Proto.field(3, ".extra.v1.Note")
    let chorus = Proto.field(1, "Chorus") + Proto.field(2, ".extra.v1.Note") + Proto.field(3, ".extra.v1.Note")
      + Proto.field(6, varint: 1)
    let service = Proto.field(1, "Echo") + Proto.field(2, say) + Proto.field(2, chorus)
    // The comment of service 0's method 0: path [6, 0, 2, 0] (packed).
    let location = Proto.field(1, [6, 0, 2, 0]) + Proto.field(3, " Answers the note as it came.\n")
    return Proto.field(1, "extra/v1/extra.proto") + Proto.field(2, "extra.v1") + Proto.field(4, note)
      + Proto.field(5, mood) + Proto.field(6, service) + Proto.field(9, Proto.field(1, location)) + Proto.field(12, "proto3")
  }()
}

/// Refuses every call without the expected `authorization` value.
private struct TokenCheck: ServerInterceptor {
  let expected: String

  func intercept(context: ServerContext, next: (ServerContext) async throws -> Void) async throws {
    guard context.metadata.firstText("authorization") == self.expected else {
      throw RPCError(code: .unauthenticated, message: "This test server wants its token.")
    }
    try await next(context)
  }
}

/// A protobuf encoder just big enough to write a descriptor by hand (independent of the codec
/// under test).
enum Proto {
  static func varint(_ value: UInt64) -> [UInt8] {
    var value = value
    var out: [UInt8] = []
    while value >= 0x80 {
      out.append(UInt8(value & 0x7F) | 0x80)
      value >>= 7
    }
    return out + [UInt8(value)]
  }

  static func field(_ number: UInt64, _ bytes: [UInt8]) -> [UInt8] {
    self.varint(number << 3 | 2) + self.varint(UInt64(bytes.count)) + bytes
  }

  static func field(_ number: UInt64, _ text: String) -> [UInt8] { self.field(number, Array(text.utf8)) }

  static func field(_ number: UInt64, varint value: UInt64) -> [UInt8] { self.varint(number << 3) + self.varint(value) }
}
