import FieldReportAPI
import FieldReportStore
import FieldReportWorkflow
import RPCCore
import WireBridge

/// Client certificates for mutual TLS: registered by fingerprint for service accounts.
extension IdentityService {
  /// A fingerprint as given (hex, any case, colons allowed) → 64 lowercase hex digits.
  static func normalizedFingerprint(_ text: String) throws(RPCError) -> String {
    let hex = text.lowercased().filter { $0 != ":" }
    guard hex.utf8.count == 64, hex.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }) else {
      throw invalidArgument("fingerprint_sha256", "must be the certificate's SHA-256: 64 hex digits (colons allowed)")
    }
    return hex
  }

  static func wire(_ record: ClientCertificateRecord) -> Fieldreport_V1_ClientCertificate {
    var certificate = Fieldreport_V1_ClientCertificate()
    certificate.fingerprintSha256 = record.fingerprint
    certificate.userId = record.userID.rawValue
    certificate.label = record.label
    certificate.createdAtMs = record.createdAt.millisecondsSince1970
    certificate.revokedAtMs = record.revokedAt?.millisecondsSince1970
    return certificate
  }

  public func registerClientCertificate(_ request: Fieldreport_V1_RegisterClientCertificateRequest, context: ServerContext) async throws
    -> Fieldreport_V1_RegisterClientCertificateResponse
  {
    let principal = try context.principal()
    guard principal.isSystemAdmin else { throw permissionDenied("Registering client certificates needs the system admin role.") }
    try RequestValidation.id(request.userId, "user_id")
    try RequestValidation.text(request.label, "label", maxBytes: 100)
    let fingerprint = try Self.normalizedFingerprint(request.fingerprintSha256)
    guard let account = try await self.store.findUser(id: UserID(request.userId)) else {
      throw notFound("user \(request.userId)")
    }
    guard account.user.kind == .serviceAccount else {
      throw failedPrecondition("NOT_A_SERVICE_ACCOUNT", subject: request.userId, "Only service accounts authenticate with client certificates.")
    }
    let record = ClientCertificateRecord(
      fingerprint: fingerprint, userID: account.user.id, label: request.label, createdAt: self.env.now(), revokedAt: nil)
    try await self.store.registerClientCertificate(record)
    self.env.logger(for: context).notice(
      "client certificate registered", metadata: ["target_user_id": "\(account.user.id)", "fingerprint": "\(fingerprint)"])
    var response = Fieldreport_V1_RegisterClientCertificateResponse()
    response.certificate = Self.wire(record)
    return response
  }

  public func revokeClientCertificate(_ request: Fieldreport_V1_RevokeClientCertificateRequest, context: ServerContext) async throws
    -> Fieldreport_V1_RevokeClientCertificateResponse
  {
    let principal = try context.principal()
    guard principal.isSystemAdmin else { throw permissionDenied("Revoking client certificates needs the system admin role.") }
    let fingerprint = try Self.normalizedFingerprint(request.fingerprintSha256)
    guard let record = try await self.store.revokeClientCertificate(fingerprint, at: self.env.now()) else {
      throw notFound("client certificate \(fingerprint)")
    }
    self.env.logger(for: context).notice("client certificate revoked", metadata: ["fingerprint": "\(fingerprint)"])
    var response = Fieldreport_V1_RevokeClientCertificateResponse()
    response.certificate = Self.wire(record)
    return response
  }

  public func listClientCertificates(_ request: Fieldreport_V1_ListClientCertificatesRequest, context: ServerContext) async throws
    -> Fieldreport_V1_ListClientCertificatesResponse
  {
    let principal = try context.principal()
    guard principal.isSystemAdmin else { throw permissionDenied("Listing client certificates needs the system admin role.") }
    try RequestValidation.id(request.userId, "user_id")
    guard try await self.store.findUser(id: UserID(request.userId)) != nil else { throw notFound("user \(request.userId)") }
    var response = Fieldreport_V1_ListClientCertificatesResponse()
    response.certificates = try await self.store.clientCertificates(userID: UserID(request.userId)).map(Self.wire)
    return response
  }
}
