import FieldReportClient
import Synchronization

/// A transport that answers every call with an empty response (or a login token) and
/// remembers the options of the last call.
final class RecordingTransport: ClientTransport, Sendable {
  private let state = Mutex<(last: CallOptions?, token: String)>((nil, ""))

  var last: CallOptions? { self.state.withLock { $0.last } }
  var loginToken: String {
    get { self.state.withLock { $0.token } }
    set { self.state.withLock { $0.token = newValue } }
  }

  func unary<Input, Output>(
    _ method: UnaryMethod<Input, Output>, request: Input, options: CallOptions
  ) async throws(RPCError) -> UnaryResponse<Output> {
    let token = self.state.withLock { state in
      state.last = options
      return state.token
    }
    var output = Output()
    if var login = output as? Fieldreport_V1_LoginResponse {
      login.sessionToken = token
      output = login as! Output
    }
    return UnaryResponse(message: output, trailers: Metadata())
  }

  func serverStreaming<Input, Output>(
    _ method: ServerStreamingMethod<Input, Output>, request: Input, options: CallOptions,
    onResponse: (Output) async throws -> Void
  ) async throws(RPCError) -> Metadata {
    self.state.withLock { $0.last = options }
    return Metadata()
  }
}
