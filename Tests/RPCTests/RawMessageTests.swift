import RPCCore
import RPCNIO
import Testing
import WireBridge

/// `RawMessage`: a generic client calls typed methods with bytes it encoded itself (as
/// `fieldreport call` does from a descriptor set), and a raw handler is served and listed
/// under the message names it was registered with.
@Suite("Raw (already encoded) messages", .timeLimit(.minutes(1)))
struct RawMessageTests {
  static let rawUnary = UnaryMethod<RawMessage, RawMessage>(
    service: "rpc.testing.v1.TestService", method: "UnaryCall",
    inputMessage: "rpc.testing.v1.SimpleRequest", outputMessage: "rpc.testing.v1.SimpleResponse")
  static let rawStreaming = ServerStreamingMethod<RawMessage, RawMessage>(
    service: "rpc.testing.v1.TestService", method: "StreamingOutputCall",
    inputMessage: "rpc.testing.v1.StreamingOutputCallRequest", outputMessage: "rpc.testing.v1.StreamingOutputCallResponse")

  @Test("a typed server answers raw calls, unary and streaming, over the socket and in process")
  func rawClient() async throws {
    let request = try Rpc_Testing_V1_SimpleRequest.make(responseSize: 3).serializedBytes()
    let streamRequest = try Rpc_Testing_V1_StreamingOutputCallRequest.make(sizes: [1, 2]).serializedBytes()
    func check(_ transport: some ClientTransport) async throws {
      let answer = try await transport.call(Self.rawUnary, RawMessage(bytes: request))
      #expect(try Rpc_Testing_V1_SimpleResponse(serializedBytes: answer.bytes).payload?.body == [0, 0, 0])
      let stream = try await transport.collect(Self.rawStreaming, RawMessage(bytes: streamRequest))
      #expect(try stream.map { try Rpc_Testing_V1_StreamingOutputCallResponse(serializedBytes: $0.bytes).payload?.body.count } == [1, 2])
      // Bytes that are not the request: the server says so, as for any client.
      let error = await #expect(throws: RPCError.self) { try await transport.call(Self.rawUnary, RawMessage(bytes: [0xFF])) }
      #expect(error?.code == .invalidArgument)
    }
    try await TestServer.with { _, client in try await check(client) }
    var router = RPCRouter()
    router.register(TestService())
    try await check(InProcessTransport(router: router))
  }

  @Test("a raw handler echoes bytes and is listed under the message names it was registered with")
  func rawServer() async throws {
    var router = RPCRouter()
    let echo = UnaryMethod<RawMessage, RawMessage>(
      service: "extra.v1.Echo", method: "Say", inputMessage: "extra.v1.Note", outputMessage: "extra.v1.Note")
    router.register(echo) { request, _ in request }
    ReflectionService(fileDescriptorSet: []).register(into: &router)
    let transport = InProcessTransport(router: router)
    #expect(try await transport.call(echo, RawMessage(bytes: [0x0A, 0x01, 0x61])).bytes == [0x0A, 0x01, 0x61])
    let list = try await transport.call(ReflectionService.listServices, Rpc_V1_ListServicesRequest())
    let say = try #require(list.services.first { $0.name == "extra.v1.Echo" }?.methods.first)
    #expect(say.inputMessage == "extra.v1.Note" && say.outputMessage == "extra.v1.Note" && !say.serverStreaming)
  }
}
