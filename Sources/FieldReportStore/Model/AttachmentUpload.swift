public import FieldReportWorkflow

/// One person's upload of an attachment: the name, media type and size they uploaded it
/// with, and when. The content itself is stored once per SHA-256 (the attachment id).
public struct AttachmentUpload: Hashable, Sendable {
  /// The reference as uploaded (hash, size, the uploader's file name and media type).
  public var ref: AttachmentRef
  /// Who uploaded it.
  public var uploader: UserID
  /// When (the latest upload of these bytes by this person).
  public var uploadedAt: Timestamp

  /// Creates an upload record.
  public init(ref: AttachmentRef, uploader: UserID, uploadedAt: Timestamp) {
    self.ref = ref
    self.uploader = uploader
    self.uploadedAt = uploadedAt
  }
}
