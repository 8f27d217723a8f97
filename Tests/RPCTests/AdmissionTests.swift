import Foundation
import NIOCore
import NIOPosix
import RPCCore
import RPCNIO
import Testing
import WireBridge

/// Connection admission over real sockets: the handshake timeout closes silent connections,
/// and the total and per-address caps close connections past them at once, while a
/// well-behaved client keeps being served.
@Suite("Connection admission (loopback)", .timeLimit(.minutes(1)))
struct AdmissionTests {
  @Test("a connection that sends no preface is closed within the handshake timeout")
  func handshakeTimeout() async throws {
    var limits = ConnectionLimits()
    limits.handshakeTimeout = .seconds(1)
    let server = try await TestServer.start(limits: limits)
    let silent = try await RawConnection(port: server.port, expectPreface: true)
    let started = ContinuousClock.now
    let frames = await silent.drainToEOF()  // returns when the server closes
    #expect(frames.isEmpty)
    // 1 s, with room for a machine loaded by the rest of the suite.
    #expect(ContinuousClock.now - started < .seconds(30))
    await silent.close()
    await server.server.shutdown(gracePeriod: .seconds(1))
  }

  @Test("a connection whose handshake completed is not closed by the handshake timeout")
  func handshakeDoneStaysOpen() async throws {
    var limits = ConnectionLimits()
    limits.handshakeTimeout = .seconds(5)
    let server = try await TestServer.start(limits: limits)
    let raw = try await RawConnection(port: server.port)
    try await raw.sendPreface()
    #expect(try await raw.next() != nil)  // the server's preface: the handshake is done
    try await Task.sleep(for: .seconds(6))  // past the timeout
    try await raw.sendCall(id: 1, path: TestService.emptyCall.descriptor.path, message: Rpc_Testing_V1_Empty())
    #expect(try await raw.next(.message)?.0.callID == 1)
    await raw.close()
    await server.server.shutdown(gracePeriod: .seconds(1))
  }

  @Test("past the per-address cap a new connection is closed at once; closing one makes room")
  func perPeerCap() async throws {
    let server = try await TestServer.start(maxConnections: 100, maxConnectionsPerPeer: 3)
    var held: [RawConnection] = []
    for _ in 0..<3 {
      let raw = try await RawConnection(port: server.port)
      try await raw.sendPreface()
      held.append(raw)
    }
    // Wait until the server has admitted all three.
    for _ in 0..<1_000 where server.server.connectionCount < 3 { try await Task.sleep(for: .milliseconds(10)) }
    #expect(server.server.connectionCount == 3)
    let refused = try await RawConnection(port: server.port)
    try? await refused.sendPreface()
    let frames = await refused.drainToEOF()
    #expect(!frames.contains { if case .preface = $0 { return true } else { return false } })
    await refused.close()
    // The admitted ones are still served.
    try await held[0].sendCall(id: 1, path: TestService.emptyCall.descriptor.path, message: Rpc_Testing_V1_Empty())
    #expect(try await held[0].next(.message)?.0.callID == 1)
    await held[2].close()
    for _ in 0..<1_000 where server.server.connectionCount > 2 { try await Task.sleep(for: .milliseconds(10)) }
    let again = try await RawConnection(port: server.port)
    try await again.sendPreface()
    try await again.sendCall(id: 1, path: TestService.emptyCall.descriptor.path, message: Rpc_Testing_V1_Empty())
    #expect(try await again.next(.message)?.0.callID == 1)
    for raw in held { await raw.close() }
    await again.close()
    await server.server.shutdown(gracePeriod: .seconds(1))
  }

  @Test("past the total cap a new connection is closed at once")
  func totalCap() async throws {
    let server = try await TestServer.start(maxConnections: 2, maxConnectionsPerPeer: 100)
    let first = try await RawConnection(port: server.port)
    try await first.sendPreface()
    let second = try await RawConnection(port: server.port)
    try await second.sendPreface()
    for _ in 0..<1_000 where server.server.connectionCount < 2 { try await Task.sleep(for: .milliseconds(10)) }
    let third = try await RawConnection(port: server.port)
    try? await third.sendPreface()
    let frames = await third.drainToEOF()
    #expect(frames.isEmpty)
    await third.close()
    await first.close()
    await second.close()
    await server.server.shutdown(gracePeriod: .seconds(1))
  }
}
