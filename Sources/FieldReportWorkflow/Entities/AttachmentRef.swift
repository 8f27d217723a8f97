/// Đính kèm: a reference to an uploaded file (evidence photo, letter scan) by content hash.
///
/// The bytes live in the store, once per SHA-256; journal entries and results only refer to them.
public struct AttachmentRef: Hashable, Codable, Sendable {
  /// Lowercase hex SHA-256 of the content (64 characters).
  public var sha256Hex: String
  /// Size in bytes.
  public var size: Int64
  /// The file name as uploaded, e.g. "hien-truong-1.jpg".
  public var name: String
  /// The MIME type as declared, e.g. "image/jpeg".
  public var mimeType: String

  public init(sha256Hex: String, size: Int64, name: String, mimeType: String) {
    self.sha256Hex = sha256Hex
    self.size = size
    self.name = name
    self.mimeType = mimeType
  }

  /// Whether `sha256Hex` is exactly 64 lowercase hexadecimal digits.
  public var hasWellFormedHash: Bool {
    sha256Hex.utf8.count == 64
      && sha256Hex.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
  }
}
