import NIOCore

/// The connection preface each side sends first (docs/PROTOCOL.md, "Connection preface"):
///
/// | offset | size | field |
/// |---|---|---|
/// | 0 | 8 | magic `89 52 50 43 0D 0A 1A 0A` ("\x89RPC\r\n\x1a\n") |
/// | 8 | 2 | client: lowest version it speaks; server: the chosen version (0: none in common) |
/// | 10 | 2 | client: highest version it speaks; server: 0 |
/// | 12 | 4 | length of the settings that follow |
/// | 16 | n | `rpc.v1.Settings` |
public struct Preface: Hashable, Sendable {
  /// The magic bytes.
  public static let magic: [UInt8] = [0x89, 0x52, 0x50, 0x43, 0x0D, 0x0A, 0x1A, 0x0A]
  /// The fixed part's size.
  public static let fixedSize = 16
  /// The largest settings payload accepted.
  public static let maxSettingsSize = 4096

  /// Bytes 8–9.
  public var first: UInt16
  /// Bytes 10–11.
  public var second: UInt16
  /// The encoded settings.
  public var settings: [UInt8]

  /// Creates a preface.
  public init(first: UInt16, second: UInt16, settings: [UInt8]) {
    self.first = first
    self.second = second
    self.settings = settings
  }
}

extension ByteBuffer {
  /// Writes a preface.
  mutating func writePreface(_ preface: Preface) {
    self.writeBytes(Preface.magic)
    self.writeMultipleIntegers(preface.first, preface.second, UInt32(preface.settings.count))
    self.writeBytes(preface.settings)
  }
}
