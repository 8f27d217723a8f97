import Foundation
public import RPCCore
import WireBridge

/// Router assembly: the services, the interceptors, health and reflection.
public enum ServiceRouter {
  /// The encoded `FileDescriptorSet` of the whole contract, for reflection.
  public static let fileDescriptorSet: [UInt8] = {
    Data(base64Encoded: WireDescriptorSet.base64, options: .ignoreUnknownCharacters).map { Array($0) } ?? []
  }()

  /// The interceptors every call passes, outermost first: call logging (assigns the trace
  /// id), metrics, then authentication (attaches the ``Principal``).
  public static func interceptors(env: ServiceEnvironment) -> [any ServerInterceptor] {
    [
      CallLoggingInterceptor(logger: env.logger),
      MetricsInterceptor(prefix: "fieldreport_rpc"),
      Authenticator(env: env).interceptor(),
    ]
  }

  /// A router serving `services`, with the interceptors, health (`rpc.v1.Health`, returned
  /// so statuses can be set) and reflection (`rpc.v1.Reflection`, registered last).
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
/// interceptors (call logging with trace ids, metrics, authentication), health and
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
