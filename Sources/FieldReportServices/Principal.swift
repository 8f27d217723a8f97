public import FieldReportWorkflow
public import RPCCore

/// The authenticated caller of an RPC, attached to the ``ServerContext`` by the
/// authentication interceptor (see ``Authenticator``).
///
/// Handlers get it with ``RPCCore/ServerContext/principal()``; it never carries a secret
/// (no token, no key), so it may be logged by id.
public struct Principal: Sendable, Hashable {
  /// How the caller proved who they are.
  public enum Credential: Sendable, Hashable {
    /// A session token from `IdentityService.Login`, valid until `expiresAt`.
    case session(expiresAt: Timestamp)
    /// A service account's API key; `expiresAt` is nil for a key that never expires.
    case apiKey(expiresAt: Timestamp?)
    /// A client certificate registered for a service account, presented in a mutual TLS
    /// handshake (no API key).
    case certificate
  }

  /// The caller's account (active: disabled accounts never authenticate).
  public let user: User
  /// The caller's login name, if the account has one.
  public let username: String?
  /// The caller's approved role grants (pending, rejected and revoked ones are left out).
  public let grants: [RoleGrant]
  /// How the caller authenticated.
  public let credential: Credential

  /// Creates a principal; only approved grants of `user` are kept.
  public init(user: User, username: String? = nil, grants: [RoleGrant], credential: Credential) {
    self.user = user
    self.username = username
    self.grants = grants.filter { $0.status == .approved && $0.userID == user.id }
    self.credential = credential
  }

  /// The caller as the workflow sees it.
  public var actor: Actor { Actor(user: self.user, grants: self.grants) }

  /// The caller's user id.
  public var id: UserID { self.user.id }

  /// Whether the caller is an approved system administrator.
  public var isSystemAdmin: Bool { self.grants.contains { $0.role == .systemAdmin } }

  /// Whether the caller holds `role`, approved, at `unit`.
  public func has(_ role: RoleGrant.Role, at unit: UnitID) -> Bool {
    // The fields read in place, as in Actor.has: iterating copied every grant tested.
    self.grants.withUnsafeBufferPointer { buffer in
      for index in buffer.indices where buffer[index].role == role && buffer[index].unitID == unit { return true }
      return false
    }
  }

  /// Whether the caller holds `role`, approved, at any unit.
  public func hasAnywhere(_ role: RoleGrant.Role) -> Bool {
    self.grants.contains { $0.role == role }
  }

  /// Whether the caller is a service account (the digital-government platform or an IOC
  /// integration). The contract's ROLE_KIND_PLATFORM is the service-account kind itself:
  /// the domain model has no separate platform grant.
  public var isServiceAccount: Bool { self.user.kind == .serviceAccount }

  /// Whether the caller is the platform: a service account holding no IOC-operator grant
  /// (an IOC integration's service account holds one and acts as an operator).
  public var isPlatform: Bool { self.isServiceAccount && !self.hasAnywhere(.iocOperator) }

  /// Whether the caller authenticated with an API key.
  public var usesAPIKey: Bool {
    if case .apiKey = self.credential { return true }
    return false
  }
}

/// Where the authentication interceptor stores the ``Principal`` in a ``ServerContext``.
public enum PrincipalKey: ServerContextKey {
  public typealias Value = Principal
}

extension ServerContext {
  /// The authenticated caller.
  /// - Throws: `UNAUTHENTICATED` when the call carried no valid credentials (a public
  ///   method, or a router assembled without the authentication interceptor).
  public func principal() throws(RPCError) -> Principal {
    guard let principal = self[PrincipalKey.self] else {
      throw RPCError(
        code: .unauthenticated,
        message: "This call needs credentials: authorization: Bearer <token> or ApiKey <key>.")
    }
    return principal
  }
}
