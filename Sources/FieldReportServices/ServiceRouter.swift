import Foundation
import FieldReportAPI
public import RPCCore
import WireBridge

/// Router assembly: the services, the interceptors, health and reflection.
public enum ServiceRouter {
  /// The encoded `FileDescriptorSet` of the whole contract, for reflection.
  public static let fileDescriptorSet: [UInt8] = {
    Data(base64Encoded: WireDescriptorSet.base64, options: .ignoreUnknownCharacters).map { Array($0) } ?? []
  }()

  /// The interceptors every call passes, outermost first: call logging (assigns the trace
  /// id, writes the access log), then authentication (attaches the ``Principal``). Call
  /// metrics come from the transport (`RPCServer`), which sees every call's final status.
  public static func interceptors(env: ServiceEnvironment) -> [any ServerInterceptor] {
    [
      CallLoggingInterceptor(logger: env.logger),
      Authenticator(env: env).interceptor(),
    ]
  }

  /// A router serving `services`, with the interceptors, health (`rpc.v1.Health`, returned
  /// so statuses can be set) and reflection (`rpc.v1.Reflection`, registered last).
  /// The request limits that differ from the RPC runtime's per-method default (1 MiB,
  /// `ConnectionLimits.maxRequestSize`): an upload carries an attachment of up to
  /// `ServiceLimits.maximumAttachmentBytes` plus its name and type. Every other request of the
  /// contract is text and ids, far under the default.
  public static func requestSizeLimits(_ limits: ServiceLimits) -> [String: Int] {
    [Fieldreport_V1_CaseServiceMethods.uploadAttachment.descriptor.path: limits.maximumAttachmentBytes + 64 * 1024]
  }

  public static func make(env: ServiceEnvironment, services: [any RPCService]) -> (RPCRouter, HealthService) {
    var router = RPCRouter()
    for service in services { router.register(service) }
    let health = HealthService()
    router.register(health)
    router.register(ReflectionService(fileDescriptorSet: self.fileDescriptorSet))
    router.interceptors = self.interceptors(env: env)
    return (router, health)
  }
}

/// The complete fieldreport router: the Identity, Case, Assignment and Journal services, the
/// interceptors (call logging with trace ids, authentication), health and
/// reflection. ``RPCNIO/RPCServer`` re-registers its own health service; use
/// ``ServiceRouter/make(env:services:)`` to keep a handle on this one.
public func makeRouter(env: ServiceEnvironment) -> RPCRouter {
  ServiceRouter.make(env: env, services: ServiceRouter.allServices(env: env)).0
}

extension ServiceRouter {
  /// The four fieldreport.v1 services.
  public static func allServices(env: ServiceEnvironment) -> [any RPCService] {
    [
      IdentityService(env: env),
      CaseService(env: env),
      AssignmentService(env: env),
      JournalService(env: env),
    ]
  }
}
