import FieldReportAPI
import FieldReportStore
import FieldReportWorkflow
public import RPCCore

/// Turns a call's `authorization` metadata into a ``Principal``: `Bearer <session token>`
/// (people, from Login) or `ApiKey <key>` (service accounts). Missing, unknown, revoked or
/// expired credentials, and disabled accounts, are UNAUTHENTICATED with one message (so
/// nothing about accounts can be probed).
public struct Authenticator: Sendable {
  private let env: ServiceEnvironment

  /// The methods callable without credentials: Login only (the contract), besides the
  /// health and reflection services.
  public static let publicPaths: Set<String> = [Fieldreport_V1_IdentityServiceMethods.login.descriptor.path]
  /// The services callable without credentials.
  public static let publicServices: Set<String> = ["rpc.v1.Health", "rpc.v1.Reflection"]

  /// Creates an authenticator over the environment's store.
  public init(env: ServiceEnvironment) {
    self.env = env
  }

  /// The interceptor that attaches the principal to every non-public call.
  public func interceptor() -> AuthInterceptor<PrincipalKey> {
    AuthInterceptor(key: PrincipalKey.self, publicPaths: Self.publicPaths, publicServices: Self.publicServices) {
      context in try await self.authenticate(context)
    }
  }

  /// The credential a call carries.
  enum Presented {
    case session(String)
    case apiKey(String)
  }

  /// Parses the `authorization` metadata; nil when absent, malformed, binary or repeated (two
  /// credentials on one call are ambiguous: refused, never one picked). The scheme is
  /// case-insensitive (`Bearer`, `bearer`), as in HTTP.
  static func presented(in metadata: Metadata) -> Presented? {
    var found: String?
    var count = 0
    for entry in metadata where entry.key == "authorization" {
      count += 1
      found = entry.value.text
    }
    guard count == 1, let header = found else { return nil }
    // `<scheme> <secret>`, spaces around either ignored, read on the UTF-8 bytes in one pass
    // (this runs on every call: no split array, no lowercased copy).
    let bytes = header.utf8
    let space = UInt8(ascii: " ")
    guard let schemeStart = bytes.firstIndex(where: { $0 != space }) else { return nil }
    guard let schemeEnd = bytes[schemeStart...].firstIndex(of: space),
      let secretStart = bytes[schemeEnd...].firstIndex(where: { $0 != space }),
      let secretLast = bytes.lastIndex(where: { $0 != space })
    else { return nil }
    // Just past the secret's last byte: the start of the next character (a space) or the end,
    // so the secret is cut on character boundaries whatever its last character is.
    let secretEnd = bytes.index(after: secretLast)
    // Secrets are at most a few hundred bytes; anything longer is not ours.
    guard bytes.distance(from: secretStart, to: secretEnd) <= 512 else { return nil }
    let scheme = bytes[schemeStart..<schemeEnd]
    if Self.isScheme(scheme, "bearer") { return .session(String(header[secretStart..<secretEnd])) }
    if Self.isScheme(scheme, "apikey") { return .apiKey(String(header[secretStart..<secretEnd])) }
    return nil
  }

  /// Whether `bytes` spell `lowercase` in any ASCII case (`Bearer`, `BEARER`, …).
  private static func isScheme(_ bytes: Substring.UTF8View, _ lowercase: StaticString) -> Bool {
    guard bytes.count == lowercase.utf8CodeUnitCount else { return false }
    return lowercase.withUTF8Buffer { expected in
      zip(bytes, expected).allSatisfy { byte, want in
        (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte) == want
      }
    }
  }

  static let refusal = RPCError(
    code: .unauthenticated,
    message: "Missing, unknown, expired or revoked credentials: log in again or check the API key.")

  /// Authenticates a call.
  /// - Throws: UNAUTHENTICATED; UNAVAILABLE when the store cannot be read.
  public func authenticate(_ context: ServerContext) async throws(RPCError) -> Principal {
    // Mutual TLS: the client certificate's fingerprint, if the connection presented one.
    let certificate = context.peerCertificateFingerprint
    guard let presented = Self.presented(in: context.metadata) else {
      guard let certificate else { throw Self.refusal }
      return try await self.authenticate(certificate: certificate, context: context)
    }
    do {
      let now = self.env.now()
      switch presented {
      case .session(let token):
        guard let session = try await self.env.store.findSession(token: token, at: now),
          let account = try await self.env.store.findUser(id: session.userID),
          account.user.isActive, account.user.kind != .serviceAccount
        else { throw Self.refusal }
        let grants = try await self.env.store.roleGrants(userID: account.user.id)
        return Principal(
          user: account.user, username: account.username, grants: grants,
          credential: .session(expiresAt: session.expiresAt))
      case .apiKey(let key):
        guard let found = try await self.env.store.findAPIKey(key, at: now),
          let account = try await self.env.store.findUser(id: found.userID),
          account.user.isActive, account.user.kind == .serviceAccount
        else { throw Self.refusal }
        // A registered certificate and an API key on one call must name the same account.
        if let certificate, let owner = try await self.env.store.findClientCertificate(certificate), owner != account.user.id {
          throw Self.refusal
        }
        try await self.checkMethodRights(account, context: context)
        let grants = try await self.env.store.roleGrants(userID: account.user.id)
        return Principal(
          user: account.user, username: account.username, grants: grants,
          credential: .apiKey(expiresAt: found.expiresAt))
      }
    } catch {
      throw rpcError(error, logger: self.env.logger(for: context))
    }
  }

  /// A service account limited by method rights may call only the listed methods; refused
  /// before any handler runs, naming the method.
  private func checkMethodRights(_ account: UserAccount, context: ServerContext) async throws {
    guard let allowed = try await self.env.store.methodRights(userID: account.user.id) else { return }
    guard allowed.contains(context.method.path) else {
      throw RPCError(
        code: .permissionDenied,
        message: "The service account \(account.username ?? account.user.id.rawValue) may not call \(context.method.path): it is not among its method rights.")
    }
  }

  /// A call with no `authorization` on a mutual TLS connection: its certificate must be
  /// registered (not revoked) for an active service account.
  private func authenticate(certificate: String, context: ServerContext) async throws(RPCError) -> Principal {
    do {
      guard let owner = try await self.env.store.findClientCertificate(certificate),
        let account = try await self.env.store.findUser(id: owner),
        account.user.isActive, account.user.kind == .serviceAccount
      else {
        throw RPCError(
          code: .unauthenticated,
          message: "The client certificate (SHA-256 \(certificate)) is not registered for an active service account, or was revoked.")
      }
      try await self.checkMethodRights(account, context: context)
      let grants = try await self.env.store.roleGrants(userID: account.user.id)
      return Principal(user: account.user, username: account.username, grants: grants, credential: .certificate)
    } catch {
      throw rpcError(error, logger: self.env.logger(for: context))
    }
  }
}
