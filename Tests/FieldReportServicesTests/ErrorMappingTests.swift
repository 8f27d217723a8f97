import FieldReportStore
import FieldReportWorkflow
import Logging
import RPCCore
import Testing
import WireBridge

@testable import FieldReportServices

@Suite("Error mapping")
struct ErrorMappingTests {
  static let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

  @Test("workflow refusals map to their status family, with details")
  func refusals() {
    let wrongState = RPCError(WorkflowRefusal.wrongState(current: .received, action: .approve))
    #expect(wrongState.code == .failedPrecondition)
    #expect(wrongState.details.contains { if case .preconditionFailure(let v) = $0 { v.first?.kind == "WRONG_STATE" } else { false } })
    let invalid = RPCError(WorkflowRefusal.invalidField(name: "mainHandler", reason: "missing"))
    #expect(invalid.code == .invalidArgument)
    #expect(invalid.fieldViolations.map(\.field) == ["main_handler"])
    #expect(RPCError(WorkflowRefusal.staleVersion(expected: 1, actual: 2)).code == .aborted)
    #expect(RPCError(WorkflowRefusal.wrongRole(required: [.leader], unit: nil)).code == .permissionDenied)
    #expect(RPCError(WorkflowRefusal.unknownUnit("x")).code == .notFound)
  }

  @Test("store errors never carry storage text")
  func storeErrors() {
    #expect(RPCError(StoreError.notFound("case 42")).code == .notFound)
    #expect(RPCError(StoreError.staleVersion(expected: 1, actual: 3)).code == .aborted)
    #expect(RPCError(StoreError.duplicate("username x")).code == .alreadyExists)
    #expect(RPCError(StoreError.idempotencyConflict(key: "k")).code == .alreadyExists)
    #expect(RPCError(StoreError.tooLarge(limit: 10)).code == .resourceExhausted)
    let integrity = RPCError(StoreError.integrity("SELECT body FROM cases: broken"))
    #expect(integrity.code == .internal)
    #expect(!integrity.message.contains("SELECT"))
    let invalid = RPCError(StoreError.invalidArgument(field: "pageToken", reason: "malformed"))
    #expect(invalid.fieldViolations.map(\.field) == ["page_token"])
  }

  @Test("unknown errors become INTERNAL with a generic message")
  func unknown() {
    struct Secret: Error { let text = "sqlite3_step failed: disk I/O" }
    let error = rpcError(Secret(), logger: Self.logger)
    #expect(error.code == .internal)
    #expect(!error.message.contains("sqlite"))
    #expect(rpcError(RPCError(code: .notFound, message: "x"), logger: Self.logger).code == .notFound)
    #expect(rpcError(WireError(.invalidUTF8, "a.b"), logger: Self.logger).code == .invalidArgument)
    #expect(invalidArgument("unit_id", "empty").fieldViolations == [FieldViolation(field: "unit_id", explanation: "empty")])
  }
}
