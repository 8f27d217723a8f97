import WireBridge

/// The reflection service (`rpc.v1.Reflection`): lists the services and methods a router
/// serves and returns the `FileDescriptorSet` given at start-up, so generic tools can
/// call any method by name.
public struct ReflectionService: RPCService {
  /// `/rpc.v1.Reflection/ListServices`.
  public static let listServices = UnaryMethod<Rpc_V1_ListServicesRequest, Rpc_V1_ListServicesResponse>(
    service: "rpc.v1.Reflection", method: "ListServices")
  /// `/rpc.v1.Reflection/GetFileDescriptorSet`.
  public static let getFileDescriptorSet =
    UnaryMethod<Rpc_V1_GetFileDescriptorSetRequest, Rpc_V1_GetFileDescriptorSetResponse>(
      service: "rpc.v1.Reflection", method: "GetFileDescriptorSet")

  private let fileDescriptorSet: [UInt8]

  /// Creates the service.
  /// - Parameter fileDescriptorSet: An encoded `google.protobuf.FileDescriptorSet`
  ///   (`protoc --descriptor_set_out --include_imports`), served as given.
  public init(fileDescriptorSet: [UInt8]) {
    self.fileDescriptorSet = fileDescriptorSet
  }

  /// Registers the service. Register it *last*: the list it serves is the router's
  /// methods at registration time, plus its own.
  public func register(into router: inout RPCRouter) {
    let set = self.fileDescriptorSet
    router.register(Self.getFileDescriptorSet) { _, _ in
      var response = Rpc_V1_GetFileDescriptorSetResponse()
      response.fileDescriptorSet = set
      return response
    }
    // Registered second so the snapshot below includes both reflection methods.
    let snapshot = router.descriptors + [Self.listServices.descriptor]
    let services = Self.services(from: snapshot)
    router.register(Self.listServices) { _, _ in
      var response = Rpc_V1_ListServicesResponse()
      response.services = services
      return response
    }
  }

  static func services(from descriptors: [MethodDescriptor]) -> [Rpc_V1_ServiceInfo] {
    let grouped = Dictionary(grouping: descriptors, by: \.service)
    return grouped.keys.sorted().map { name in
      var service = Rpc_V1_ServiceInfo()
      service.name = name
      service.methods = (grouped[name] ?? []).sorted { $0.method < $1.method }.map { descriptor in
        var method = Rpc_V1_MethodInfo()
        method.name = descriptor.method
        method.path = descriptor.path
        method.inputMessage = descriptor.inputMessage
        method.outputMessage = descriptor.outputMessage
        method.serverStreaming = descriptor.kind == .serverStreaming
        return method
      }
      return service
    }
  }
}
