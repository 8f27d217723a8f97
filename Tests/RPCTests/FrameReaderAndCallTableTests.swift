import NIOCore
@testable import RPCNIO
import Testing

@Suite("Frame reader")
struct FrameReaderTests {
  private static let limits = FrameDecoder.Limits(maxMessageSize: 4096, maxMetadataSize: 256, maxControlSize: 16)

  /// A preface and `count` frames of varied types and sizes, and the frames expected.
  private func stream(count: Int) -> (ByteBuffer, [InboundFrame]) {
    var bytes = ByteBuffer()
    var expected: [InboundFrame] = []
    let preface = Preface(first: 1, second: 1, settings: [0x08, 0x40])
    bytes.writePreface(preface)
    expected.append(.preface(preface))
    for i in 0..<count {
      let type: FrameType = [.headers, .message, .status, .cancel][i % 4]
      let length = type == .cancel ? 0 : (i * 37) % (type == .message ? 3000 : 200)
      let payload = (0..<length).map { UInt8(truncatingIfNeeded: $0 &+ i) }
      payload.withUnsafeBytes { bytes.writeFrame(type: type, callID: UInt32(i + 1), payload: $0) }
      expected.append(.frame(FrameHeader(type: type, callID: UInt32(i + 1), length: UInt32(length)), ByteBuffer(bytes: payload)))
    }
    return (bytes, expected)
  }

  /// Feeds `bytes` in reads of the given sizes (cycled) and collects the frames.
  private func read(_ bytes: ByteBuffer, chunks: [Int]) throws -> [InboundFrame] {
    var reader = FrameReader(limits: Self.limits)
    var input = bytes
    var frames: [InboundFrame] = []
    var index = 0
    while input.readableBytes > 0 {
      let size = min(chunks[index % chunks.count], input.readableBytes)
      index += 1
      var current = reader.begin(input.readSlice(length: size)!)
      while let frame = try reader.next(from: &current) { frames.append(frame) }
      reader.end(current)
    }
    return frames
  }

  @Test(arguments: [[1], [3], [12], [13], [100], [4096], [1, 500, 7, 2999, 12], [100_000]])
  func framesSplitAcrossReadsComeOutWholeAndInOrder(chunks: [Int]) throws {
    let (bytes, expected) = self.stream(count: 60)
    #expect(try self.read(bytes, chunks: chunks) == expected)
  }

  @Test func anOversizedFrameIsReportedAndItsPayloadSkippedAcrossReads() throws {
    var bytes = ByteBuffer()
    let preface = Preface(first: 1, second: 1, settings: [])
    bytes.writePreface(preface)
    let big = [UInt8](repeating: 9, count: 5000)
    big.withUnsafeBytes { bytes.writeFrame(type: .message, callID: 1, payload: $0) }
    [UInt8]([1, 2]).withUnsafeBytes { bytes.writeFrame(type: .status, callID: 1, payload: $0) }
    let frames = try self.read(bytes, chunks: [700])
    #expect(
      frames == [
        .preface(preface),
        .oversized(FrameHeader(type: .message, callID: 1, length: 5000)),
        .frame(FrameHeader(type: .status, callID: 1, length: 2), ByteBuffer(bytes: [1, 2])),
      ]
    )
  }

  @Test func garbageIsAProtocolError() {
    var reader = FrameReader(limits: Self.limits)
    var bytes = reader.begin(ByteBuffer(bytes: [0x47, 0x45, 0x54, 0x20]))
    #expect(throws: FrameDecodingError.badPrefaceMagic) { try reader.next(from: &bytes) }
  }
}

@Suite("Call table")
struct CallTableTests {
  final class Box: Equatable {
    let value: Int
    init(_ value: Int) { self.value = value }
    static func == (a: Box, b: Box) -> Bool { a.value == b.value }
  }

  @Test(arguments: [1, 7, 42])
  func matchesADictionaryUnderRandomOperations(seed: UInt64) {
    var generator = SplitMix(seed: seed)
    var table = CallTable<Box>(capacity: 4)
    var oracle: [UInt32: Box] = [:]
    var nextID: UInt32 = 1
    var mismatches = 0
    var inFlight: [UInt32] = []
    for _ in 0..<20_000 {
      let roll = generator.next() % 10
      if roll < 5 || oracle.isEmpty {
        // Mostly increasing ids, as a connection assigns them; sometimes far ahead, so ids
        // collide on their slot and wrap around the end of the table.
        let id = roll == 0 ? nextID &+ UInt32(generator.next() % 5000) : nextID
        nextID = max(nextID, id) &+ 1
        let box = Box(Int(id))
        table.insert(box, for: id)
        oracle[id] = box
        inFlight.append(id)  // ids only increase: the array stays sorted
      } else if roll < 9 {
        // Remove one in flight, usually an old one (calls end roughly in order).
        let index = Int(generator.next() % UInt64(min(inFlight.count, roll == 8 ? inFlight.count : 4)))
        let id = inFlight.remove(at: index)
        if table.removeValue(forKey: id) !== oracle.removeValue(forKey: id) { mismatches += 1 }
      } else {
        let id = UInt32(generator.next() % UInt64(nextID + 10))
        if table[id] !== oracle[id] { mismatches += 1 }
        if table.removeValue(forKey: 0) != nil { mismatches += 1 }
      }
      if table.count != oracle.count { mismatches += 1 }
    }
    #expect(mismatches == 0)
    for (id, box) in oracle { #expect(table[id] === box) }
    #expect(Set(table.keys) == Set(oracle.keys))
    table.removeAll()
    #expect(table.isEmpty && table.keys.isEmpty)
  }

  @Test func aLongLivedCallDoesNotMakeTheTableGrowWithoutBound() {
    // A server-streaming call that stays open while 200,000 unary calls come and go.
    var table = CallTable<Box>(capacity: 8)
    table.insert(Box(1), for: 1)
    var mismatches = 0
    for id in UInt32(2)...200_000 {
      table.insert(Box(Int(id)), for: id)
      if table.removeValue(forKey: id)?.value != Int(id) { mismatches += 1 }
    }
    #expect(mismatches == 0)
    #expect(table.count == 1 && table[1]?.value == 1)
    #expect(table.keys == [1])
  }
}

/// A small deterministic generator for the property test.
private struct SplitMix {
  var state: UInt64
  init(seed: UInt64) { self.state = seed }
  mutating func next() -> UInt64 {
    self.state &+= 0x9E37_79B9_7F4A_7C15
    var z = self.state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
