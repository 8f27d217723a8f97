import FieldReportClient

/// A reply the generator receives in full but does not decode: reads (GetCase, the inboxes,
/// ListJournal, GetWorkflow) whose content the run never looks at. Decoding a CaseDetail is
/// most of the client's CPU time per call, and on a machine the generator shares with the
/// server that time is taken from the server (`--decode-replies` decodes them anyway).
struct UndecodedReply: WireMessage {
  static let protoFullName = "fieldreport.loadgen.UndecodedReply"

  /// The size of the reply's encoding.
  var byteCount = 0

  init() {}

  init(serializedBytes bytes: [UInt8]) throws { self.byteCount = bytes.count }

  init(serializedBytes bytes: UnsafeRawBufferPointer) throws { self.byteCount = bytes.count }

  // Never sent: an empty encoding.
  func serializedBytes() throws -> [UInt8] { [] }

  func withSerializedBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
    try body(UnsafeRawBufferPointer(start: nil, count: 0))
  }

  func serialize(_ write: (_ size: Int, _ pack: (UnsafeMutableRawPointer) -> Int) throws -> Void) throws {
    try write(0) { _ in 0 }
  }
}

/// The read methods, with their replies left undecoded.
enum UndecodedMethods {
  static let getCase = UnaryMethod<Fieldreport_V1_GetCaseRequest, UndecodedReply>(service: "fieldreport.v1.CaseService", method: "GetCase")
  static let listCases = UnaryMethod<Fieldreport_V1_ListCasesRequest, UndecodedReply>(
    service: "fieldreport.v1.CaseService", method: "ListCases")
  static let listJournal = UnaryMethod<Fieldreport_V1_ListJournalRequest, UndecodedReply>(
    service: "fieldreport.v1.JournalService", method: "ListJournal")
  static let getWorkflow = UnaryMethod<Fieldreport_V1_GetWorkflowRequest, UndecodedReply>(
    service: "fieldreport.v1.JournalService", method: "GetWorkflow")
  static let health = UnaryMethod<Rpc_V1_HealthCheckRequest, UndecodedReply>(service: "rpc.v1.Health", method: "Check")
}
