import NIOCore
import NIOTestUtils
@testable import RPCNIO
import Testing

@Suite("Frame decoder")
struct FrameDecoderTests {
  private static let limits = FrameDecoder.Limits(maxMessageSize: 64, maxMetadataSize: 32, maxControlSize: 16)

  private func frame(_ type: FrameType, _ flags: FrameFlags = [], id: UInt32, _ payload: [UInt8]) -> (ByteBuffer, InboundFrame) {
    var buffer = ByteBuffer()
    payload.withUnsafeBytes { buffer.writeFrame(type: type, flags: flags, callID: id, payload: $0) }
    let header = FrameHeader(type: type, flags: flags, callID: id, length: UInt32(payload.count))
    return (buffer, .frame(header, ByteBuffer(bytes: payload)))
  }

  @Test func verifierOnFrames() throws {
    let frames = [
      self.frame(.headers, id: 1, [1, 2, 3]),
      self.frame(.message, .endStream, id: 1, Array(repeating: 7, count: 64)),
      self.frame(.status, id: 1, []),
      self.frame(.cancel, id: 9, []),
      self.frame(.ping, .ack, id: 0, [1, 2, 3, 4, 5, 6, 7, 8]),
      self.frame(FrameType(rawValue: 0x42), id: 0, [9]),
    ]
    try ByteToMessageDecoderVerifier.verifyDecoder(
      inputOutputPairs: frames.map { ($0.0, [$0.1]) },
      decoderFactory: { FrameDecoder(limits: Self.limits, expectPreface: false) }
    )
  }

  @Test(arguments: [1, 3, 7, 1000])
  func prefaceThenFramesInChunks(chunkSize: Int) throws {
    // The preface comes once per connection, so the verifier (which replays inputs on one
    // decoder) does not fit; chunked feeding checks the same property.
    var input = ByteBuffer()
    input.writePreface(Preface(first: 1, second: 3, settings: [0x08, 0x40]))
    let (frameBytes, frame) = self.frame(.headers, id: 1, [0x0A, 0x00])
    var copy = frameBytes
    input.writeBuffer(&copy)
    var decoder = FrameDecoder(limits: Self.limits)
    var pending = ByteBuffer()
    var outputs: [InboundFrame] = []
    while var chunk = input.readSlice(length: min(chunkSize, input.readableBytes)) {
      pending.writeBuffer(&chunk)
      while let output = try decoder.decode(buffer: &pending) { outputs.append(output) }
      if input.readableBytes == 0 { break }
    }
    #expect(outputs == [.preface(Preface(first: 1, second: 3, settings: [0x08, 0x40])), frame])
  }

  @Test func oversizedPayloadIsSkippedNotBuffered() throws {
    // 1 MiB declared on a 64-byte limit: reported at once from the header alone.
    var decoder = FrameDecoder(limits: Self.limits, expectPreface: false)
    var buffer = ByteBuffer()
    buffer.writeFrameHeader(type: .message, flags: [], callID: 3, length: 1 << 20)
    buffer.writeBytes([1, 2, 3])
    #expect(try decoder.decode(buffer: &buffer) == .oversized(FrameHeader(type: .message, callID: 3, length: 1 << 20)))
    #expect(buffer.readableBytes == 0)
    // The rest of the payload is discarded as it arrives, then decoding resumes.
    var rest = ByteBuffer(repeating: 0, count: (1 << 20) - 3)
    #expect(try decoder.decode(buffer: &rest) == nil)
    #expect(rest.readableBytes == 0)
    var next = self.frame(.cancel, id: 3, []).0
    #expect(try decoder.decode(buffer: &next) == .frame(FrameHeader(type: .cancel, callID: 3, length: 0), ByteBuffer()))
  }

  @Test func verifierOnOversizedFrames() throws {
    var big = ByteBuffer()
    big.writeFrameHeader(type: .headers, flags: [], callID: 2, length: 40)
    big.writeBytes([UInt8](repeating: 1, count: 40))
    let (small, smallFrame) = self.frame(.status, id: 2, [5])
    try ByteToMessageDecoderVerifier.verifyDecoder(
      inputOutputPairs: [
        (big, [.oversized(FrameHeader(type: .headers, callID: 2, length: 40))]),
        (small, [smallFrame]),
      ],
      decoderFactory: { FrameDecoder(limits: Self.limits, expectPreface: false) }
    )
  }

  @Test func garbagePrefaceFailsOnFirstByte() {
    var decoder = FrameDecoder(limits: Self.limits)
    var buffer = ByteBuffer(bytes: [0x47])  // "G"
    #expect(throws: FrameDecodingError.badPrefaceMagic) { try decoder.decode(buffer: &buffer) }
  }

  @Test func oversizedPrefaceSettings() {
    var decoder = FrameDecoder(limits: Self.limits)
    var buffer = ByteBuffer(bytes: Preface.magic)
    buffer.writeMultipleIntegers(UInt16(1), UInt16(1), UInt32(1 << 20))
    #expect(throws: FrameDecodingError.prefaceSettingsTooLarge(1 << 20)) { try decoder.decode(buffer: &buffer) }
  }

  @Test func badVersionAndReservedByte() {
    var decoder = FrameDecoder(limits: Self.limits, expectPreface: false)
    var buffer = ByteBuffer(bytes: [2, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0])
    #expect(throws: FrameDecodingError.unsupportedVersion(2)) { try decoder.decode(buffer: &buffer) }
    var decoder2 = FrameDecoder(limits: Self.limits, expectPreface: false)
    var buffer2 = ByteBuffer(bytes: [1, 1, 0, 9, 0, 0, 0, 1, 0, 0, 0, 0])
    #expect(throws: FrameDecodingError.nonZeroReservedByte(9)) { try decoder2.decode(buffer: &buffer2) }
  }

  @Test func truncatedAtEOF() {
    var decoder = FrameDecoder(limits: Self.limits, expectPreface: false)
    var buffer = ByteBuffer(bytes: [1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 10, 1, 2])
    #expect(throws: FrameDecodingError.truncated(bufferedBytes: 14)) {
      try decoder.decodeLast(buffer: &buffer, seenEOF: true)
    }
  }
}
