public import FieldReportWorkflow

/// An attachment's bytes and metadata as stored (once per SHA-256).
public struct StoredAttachment: Hashable, Sendable {
  /// The reference (hash, size, and the MIME type recorded at the first upload; `name` is empty:
  /// names belong to the referring entries).
  public var ref: AttachmentRef
  /// The content.
  public var content: [UInt8]

  /// Creates a stored attachment.
  public init(ref: AttachmentRef, content: [UInt8]) {
    self.ref = ref
    self.content = content
  }
}
