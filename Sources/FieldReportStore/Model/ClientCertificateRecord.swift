import FieldReportWorkflow

/// A client certificate registered for a service account (mutual TLS).
public struct ClientCertificateRecord: Hashable, Sendable {
  /// SHA-256 of the certificate's DER encoding, 64 lowercase hex digits.
  public var fingerprint: String
  /// The service account it authenticates as.
  public var userID: UserID
  /// A label.
  public var label: String
  /// When it was registered.
  public var createdAt: Timestamp
  /// When it was revoked, or nil while valid.
  public var revokedAt: Timestamp?

  public init(fingerprint: String, userID: UserID, label: String, createdAt: Timestamp, revokedAt: Timestamp?) {
    self.fingerprint = fingerprint
    self.userID = userID
    self.label = label
    self.createdAt = createdAt
    self.revokedAt = revokedAt
  }
}
