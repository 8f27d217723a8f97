import Synchronization
public import RPCCore
import WireBridge

/// A ``ClientTransport`` that adds the client's credentials, default deadline and default
/// metadata to every call before handing it to the underlying transport.
///
/// Per-call ``CallOptions`` win: a call's own `timeout` replaces the default, and a call's own
/// `authorization` entry replaces the client's credentials. Default metadata entries are added
/// only for keys the call did not set.
///
/// # Thread safety
/// `Sendable`; the credentials may change (``FieldReportClient/login(username:password:deviceLabel:options:)``)
/// while calls are in flight: each call reads them once, when it starts.
public final class DecoratingTransport: ClientTransport, Sendable {
  /// What every call gets unless it says otherwise.
  public struct Defaults: Sendable {
    /// The credentials.
    public var credentials: Credentials
    /// The deadline of a call that sets none; `nil`: no deadline.
    public var timeout: Duration?
    /// Metadata added to every call (e.g. `x-trace-id`), for keys the call does not set.
    public var metadata: Metadata

    /// Creates defaults.
    public init(credentials: Credentials = .none, timeout: Duration? = .seconds(30), metadata: Metadata = Metadata()) {
      self.credentials = credentials
      self.timeout = timeout
      self.metadata = metadata
    }
  }

  /// The transport calls go to.
  public let base: any ClientTransport
  private let state: Mutex<Defaults>

  /// Creates a decorating transport over `base`.
  public init(base: any ClientTransport, defaults: Defaults) {
    self.base = base
    self.state = Mutex(defaults)
  }

  /// The current defaults.
  public var defaults: Defaults {
    get { self.state.withLock { $0 } }
    set { self.state.withLock { $0 = newValue } }
  }

  /// Applies the defaults to one call's options.
  public func decorate(_ options: CallOptions) -> CallOptions {
    let defaults = self.defaults
    var options = options
    if options.timeout == nil { options.timeout = defaults.timeout }
    defaults.credentials.apply(to: &options.metadata)
    for entry in defaults.metadata where options.metadata.first(entry.key) == nil {
      options.metadata.add(entry.key, entry.value)
    }
    return options
  }

  public func unary<Input, Output>(
    _ method: UnaryMethod<Input, Output>,
    request: Input,
    options: CallOptions
  ) async throws(RPCError) -> UnaryResponse<Output> {
    try await self.base.unary(method, request: request, options: self.decorate(options))
  }

  public func serverStreaming<Input, Output>(
    _ method: ServerStreamingMethod<Input, Output>,
    request: Input,
    options: CallOptions,
    onResponse: (Output) async throws -> Void
  ) async throws(RPCError) -> Metadata {
    try await self.base.serverStreaming(method, request: request, options: self.decorate(options), onResponse: onResponse)
  }
}
