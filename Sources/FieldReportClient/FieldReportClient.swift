@_exported public import FieldReportAPI
@_exported public import RPCCore
@_exported public import WireBridge
@_exported public import struct RPCNIO.ClientTLS
@_exported public import struct RPCNIO.TLSSetupError
@_exported public import enum RPCNIO.RPCTLS
public import Logging
import RPCNIO

/// A connection to a `fieldreport-server` with credentials: the four typed service clients
/// (``identity``, ``cases``, ``assignments``, ``journal``), each call carrying the
/// credentials, a deadline and extra metadata.
///
/// Importing `FieldReportClient` also imports the generated message types (`WireBridge`), the
/// typed clients (`FieldReportAPI`) and the runtime's `RPCError`, `CallOptions` and `Metadata`
/// (`RPCCore`).
///
/// ```swift
/// import FieldReportClient
///
/// let client = FieldReportClient(server: try ServerAddress(parsing: "127.0.0.1:7443"))
/// defer { Task { await client.close() } }   // or `await client.close()` when done
///
/// // People log in; the session token is kept and sent with every later call.
/// try await client.login(username: "ioc.operator", password: password)
///
/// // The inbox: every typed method takes an optional `options:` for a per-call deadline
/// // and metadata.
/// var inbox = Fieldreport_V1_ListCasesRequest()
/// inbox.scope = .mine
/// let page = try await client.cases.listCases(inbox, options: CallOptions(timeout: .seconds(5)))
/// for row in page.cases { print(row.reportCode, row.title, row.overdue ? "overdue" : "") }
///
/// // Service accounts (the platform) use an API key instead.
/// let platform = FieldReportClient(server: address, credentials: .apiKey(key))
///
/// // Errors are typed: `RPCError` with a status code, message and field violations.
/// do { _ = try await client.cases.getCase(request) }
/// catch { print(error.code, error.message, error.fieldViolations) }
/// ```
///
/// # Thread safety
/// `Sendable`: share one client between tasks; calls are multiplexed on one connection,
/// opened on the first call and reopened (with backoff) after a failure.
public final class FieldReportClient: Sendable {
  /// Identity, units, accounts, roles and transfer groups.
  public let identity: Fieldreport_V1_IdentityServiceClient
  /// Reports: submit, get, inbox, dispatch, reject, send back, publish, categories,
  /// attachments, statistics.
  public let cases: Fieldreport_V1_CaseServiceClient
  /// The handling unit's actions: assign, return, transfer, process, approve.
  public let assignments: Fieldreport_V1_AssignmentServiceClient
  /// Journal, workflow, event stream, notifications.
  public let journal: Fieldreport_V1_JournalServiceClient

  /// The transport every typed client uses (it adds credentials, deadline and metadata).
  public let transport: DecoratingTransport
  private let rpcClient: RPCClient?

  /// The largest response the client accepts (12 MiB, announced to the server as its
  /// `max_frame_size`): an attachment download carries up to the server's 8 MiB attachment
  /// limit, over the RPC runtime's 4 MiB default.
  public static let maxResponseBytes = 12 << 20

  /// Connects to `server` (lazily: the first call opens the connection).
  /// - Parameters:
  ///   - server: Where `fieldreport-server` listens.
  ///   - credentials: A session token or an API key; `.none` until ``login(username:password:deviceLabel:options:)``.
  ///   - timeout: The deadline of every call that does not set its own; `nil`: none.
  ///   - metadata: Metadata sent with every call (e.g. `x-trace-id`), unless a call sets the key.
  ///   - connectTimeout: How long to wait for the TCP connection and the server's preface.
  ///   - tls: TLS to the server (a CA to trust, a client certificate for mutual TLS); `nil`:
  ///     plain TCP.
  ///   - logger: The runtime's logger (connection events).
  public convenience init(
    server: ServerAddress,
    credentials: Credentials = .none,
    timeout: Duration? = .seconds(30),
    metadata: Metadata = Metadata(),
    connectTimeout: Duration = .seconds(5),
    tls: ClientTLS? = nil,
    logger: Logger = Logger(label: "fieldreport.client", factory: { _ in SwiftLogNoOpLogHandler() })
  ) {
    var configuration = RPCClient.Configuration(host: server.host, port: server.port, connectTimeout: connectTimeout, tls: tls)
    configuration.limits.maxMessageSize = Self.maxResponseBytes
    let client = RPCClient(configuration: configuration, logger: logger)
    self.init(
      transport: client,
      defaults: .init(credentials: credentials, timeout: timeout, metadata: metadata),
      owning: client
    )
  }

  /// Wraps any transport (e.g. an in-process one in tests); ``close()`` does not close it.
  public convenience init(transport: any ClientTransport, defaults: DecoratingTransport.Defaults = .init()) {
    self.init(transport: transport, defaults: defaults, owning: nil)
  }

  private init(transport: any ClientTransport, defaults: DecoratingTransport.Defaults, owning: RPCClient?) {
    let decorating = DecoratingTransport(base: transport, defaults: defaults)
    self.transport = decorating
    self.rpcClient = owning
    self.identity = Fieldreport_V1_IdentityServiceClient(decorating)
    self.cases = Fieldreport_V1_CaseServiceClient(decorating)
    self.assignments = Fieldreport_V1_AssignmentServiceClient(decorating)
    self.journal = Fieldreport_V1_JournalServiceClient(decorating)
  }

  /// The credentials sent with every call.
  public var credentials: Credentials {
    get { self.transport.defaults.credentials }
    set { self.transport.defaults.credentials = newValue }
  }

  /// The deadline of calls that set none.
  public var defaultTimeout: Duration? {
    get { self.transport.defaults.timeout }
    set { self.transport.defaults.timeout = newValue }
  }

  /// Metadata sent with every call, unless the call sets the key.
  public var defaultMetadata: Metadata {
    get { self.transport.defaults.metadata }
    set { self.transport.defaults.metadata = newValue }
  }

  /// Logs in with a username and password and keeps the session token: every later call
  /// carries `authorization: Bearer <token>`.
  /// - Returns: The login response (token, expiry, user, approved roles).
  /// - Throws: `RPCError` (`UNAUTHENTICATED` for a wrong password, `RESOURCE_EXHAUSTED` when
  ///   rate-limited, `UNAVAILABLE` when the server cannot be reached).
  @discardableResult
  public func login(
    username: String,
    password: String,
    deviceLabel: String = "",
    options: CallOptions = .defaults
  ) async throws(RPCError) -> Fieldreport_V1_LoginResponse {
    var request = Fieldreport_V1_LoginRequest()
    request.username = username
    request.password = password
    request.deviceLabel = deviceLabel
    let response = try await self.identity.login(request, options: options)
    self.credentials = .sessionToken(response.sessionToken)
    return response
  }

  /// Revokes the session (or every session of the user) and forgets the token.
  @discardableResult
  public func logout(allSessions: Bool = false, options: CallOptions = .defaults) async throws(RPCError) -> Fieldreport_V1_LogoutResponse {
    var request = Fieldreport_V1_LogoutRequest()
    request.allSessions = allSessions
    let response = try await self.identity.logout(request, options: options)
    self.credentials = .none
    return response
  }

  /// Closes the connection (if this client opened it); later calls fail `UNAVAILABLE`.
  public func close() async {
    await self.rpcClient?.close()
  }
}
