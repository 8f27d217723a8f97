// TEMPORARY stub on branch `rpc` (see WireMessage.swift).

public enum Rpc_V1_StatusCode: Sendable, Hashable {
  case ok, cancelled, unknown, invalidArgument, deadlineExceeded, notFound, alreadyExists
  case permissionDenied, resourceExhausted, failedPrecondition, aborted, outOfRange
  case unimplemented, `internal`, unavailable, dataLoss, unauthenticated
  case unrecognized(Int32)
}
public enum Rpc_V1_GoAwayCode: Sendable, Hashable {
  case noError, protocolError, frameTooLarge, internalError, idleTimeout, keepaliveTimeout
  case unrecognized(Int32)
}
public enum Rpc_V1_ServingStatus: Sendable, Hashable {
  case unknown, serving, notServing, serviceUnknown
  case unrecognized(Int32)
}
public struct Rpc_V1_MetadataEntry: WireMessage {
  public static let protoFullName = "rpc.v1.MetadataEntry"
  public enum Value: Sendable, Hashable { case text(String), binary([UInt8]) }
  public var key: String = ""
  public var value: Value? = nil
  public init() {}
}
public struct Rpc_V1_Settings: WireMessage {
  public static let protoFullName = "rpc.v1.Settings"
  public var maxFrameSize: UInt32 = 0
  public var maxConcurrentCalls: UInt32 = 0
  public var maxMetadataSize: UInt32 = 0
  public var keepaliveIntervalMs: UInt32 = 0
  public var idleTimeoutMs: UInt32 = 0
  public var implementation: String = ""
  public init() {}
}
public struct Rpc_V1_CallHeaders: WireMessage {
  public static let protoFullName = "rpc.v1.CallHeaders"
  public var methodPath: String = ""
  public var timeoutUs: Int64? = nil
  public var metadata: [Rpc_V1_MetadataEntry] = []
  public init() {}
}
public struct Rpc_V1_Status: WireMessage {
  public static let protoFullName = "rpc.v1.Status"
  public var code: Rpc_V1_StatusCode = .ok
  public var message: String = ""
  public var details: [Rpc_V1_StatusDetail] = []
  public var trailers: [Rpc_V1_MetadataEntry] = []
  public init() {}
}
public struct Rpc_V1_StatusDetail: WireMessage {
  public static let protoFullName = "rpc.v1.StatusDetail"
  public enum Detail: Sendable, Hashable {
    case badRequest(Rpc_V1_BadRequest), preconditionFailure(Rpc_V1_PreconditionFailure)
    case retryInfo(Rpc_V1_RetryInfo), errorInfo(Rpc_V1_ErrorInfo), opaque(Rpc_V1_OpaqueDetail)
  }
  public var detail: Detail? = nil
  public init() {}
}
public struct Rpc_V1_BadRequest: WireMessage {
  public static let protoFullName = "rpc.v1.BadRequest"
  public var fieldViolations: [Rpc_V1_FieldViolation] = []
  public init() {}
}
public struct Rpc_V1_FieldViolation: WireMessage {
  public static let protoFullName = "rpc.v1.FieldViolation"
  public var field: String = ""
  public var explanation: String = ""
  public init() {}
}
public struct Rpc_V1_PreconditionFailure: WireMessage {
  public static let protoFullName = "rpc.v1.PreconditionFailure"
  public var violations: [Rpc_V1_PreconditionViolation] = []
  public init() {}
}
public struct Rpc_V1_PreconditionViolation: WireMessage {
  public static let protoFullName = "rpc.v1.PreconditionViolation"
  public var kind: String = ""
  public var subject: String = ""
  public var explanation: String = ""
  public init() {}
}
public struct Rpc_V1_RetryInfo: WireMessage {
  public static let protoFullName = "rpc.v1.RetryInfo"
  public var retryDelayMs: Int64 = 0
  public init() {}
}
public struct Rpc_V1_ErrorInfo: WireMessage {
  public static let protoFullName = "rpc.v1.ErrorInfo"
  public var reason: String = ""
  public var domain: String = ""
  public var metadata: [Rpc_V1_MetadataEntry] = []
  public init() {}
}
public struct Rpc_V1_OpaqueDetail: WireMessage {
  public static let protoFullName = "rpc.v1.OpaqueDetail"
  public var kind: String = ""
  public var value: [UInt8] = []
  public init() {}
}
public struct Rpc_V1_GoAway: WireMessage {
  public static let protoFullName = "rpc.v1.GoAway"
  public var lastCallId: UInt32 = 0
  public var code: Rpc_V1_GoAwayCode = .noError
  public var reason: String = ""
  public init() {}
}
public struct Rpc_V1_HealthCheckRequest: WireMessage {
  public static let protoFullName = "rpc.v1.HealthCheckRequest"
  public var service: String = ""
  public init() {}
}
public struct Rpc_V1_HealthCheckResponse: WireMessage {
  public static let protoFullName = "rpc.v1.HealthCheckResponse"
  public var status: Rpc_V1_ServingStatus = .unknown
  public init() {}
}
public struct Rpc_V1_ListServicesRequest: WireMessage {
  public static let protoFullName = "rpc.v1.ListServicesRequest"
  public init() {}
}
public struct Rpc_V1_ListServicesResponse: WireMessage {
  public static let protoFullName = "rpc.v1.ListServicesResponse"
  public var services: [Rpc_V1_ServiceInfo] = []
  public init() {}
}
public struct Rpc_V1_ServiceInfo: WireMessage {
  public static let protoFullName = "rpc.v1.ServiceInfo"
  public var name: String = ""
  public var methods: [Rpc_V1_MethodInfo] = []
  public init() {}
}
public struct Rpc_V1_MethodInfo: WireMessage {
  public static let protoFullName = "rpc.v1.MethodInfo"
  public var name: String = ""
  public var path: String = ""
  public var inputMessage: String = ""
  public var outputMessage: String = ""
  public var serverStreaming: Bool = false
  public init() {}
}
public struct Rpc_V1_GetFileDescriptorSetRequest: WireMessage {
  public static let protoFullName = "rpc.v1.GetFileDescriptorSetRequest"
  public init() {}
}
public struct Rpc_V1_GetFileDescriptorSetResponse: WireMessage {
  public static let protoFullName = "rpc.v1.GetFileDescriptorSetResponse"
  public var fileDescriptorSet: [UInt8] = []
  public init() {}
}
public struct Rpc_Testing_V1_Empty: WireMessage {
  public static let protoFullName = "rpc.testing.v1.Empty"
  public init() {}
}
public struct Rpc_Testing_V1_Payload: WireMessage {
  public static let protoFullName = "rpc.testing.v1.Payload"
  public var body: [UInt8] = []
  public init() {}
}
public struct Rpc_Testing_V1_SimpleRequest: WireMessage {
  public static let protoFullName = "rpc.testing.v1.SimpleRequest"
  public var responseSize: Int32 = 0
  public var payload: Rpc_Testing_V1_Payload? = nil
  public var responseCode: Int32 = 0
  public var responseMessage: String = ""
  public var sleepMs: Int64 = 0
  public var echoMetadata: Bool = false
  public init() {}
}
public struct Rpc_Testing_V1_SimpleResponse: WireMessage {
  public static let protoFullName = "rpc.testing.v1.SimpleResponse"
  public var payload: Rpc_Testing_V1_Payload? = nil
  public init() {}
}
public struct Rpc_Testing_V1_ResponseParameters: WireMessage {
  public static let protoFullName = "rpc.testing.v1.ResponseParameters"
  public var size: Int32 = 0
  public var intervalMs: Int32 = 0
  public init() {}
}
public struct Rpc_Testing_V1_StreamingOutputCallRequest: WireMessage {
  public static let protoFullName = "rpc.testing.v1.StreamingOutputCallRequest"
  public var responseParameters: [Rpc_Testing_V1_ResponseParameters] = []
  public var payload: Rpc_Testing_V1_Payload? = nil
  public init() {}
}
public struct Rpc_Testing_V1_StreamingOutputCallResponse: WireMessage {
  public static let protoFullName = "rpc.testing.v1.StreamingOutputCallResponse"
  public var payload: Rpc_Testing_V1_Payload? = nil
  public init() {}
}
