import FieldReportAPI
import FieldReportServices
@_spi(Testing) import FieldReportStore
import FieldReportWorkflow
import Foundation
import RPCCore
import TestSupport
import Testing
import WireBridge

/// VerifyJournal over a real socket, on a journal tampered in the SQLite file so that exactly
/// one check of the verifier fires (the store-level twin is
/// `JournalIntegrityTests.eachCheckFires`).
@Suite("VerifyJournal over a socket on tampered journals", .timeLimit(.minutes(1)))
struct JournalVerificationTests {
  typealias P = DemoProvince

  @Test("VerifyJournal answers intact false, the first bad sequence and the problem of the check that fired", arguments: JournalTamper.allCases)
  func tampered(_ tamper: JournalTamper) async throws {
    try await TestServer.with(limits: CaseWorld.limits) { server in
      try await server.withLiveServer { client in
        let world = try await CaseWorld.over(server, transport: client)
        let atUnit = try await world.dispatch(try await world.submit("Nhật ký bị sửa"), to: P.dongLoc)
        let assigned = try unwrap(try await world.assign(atUnit, by: P.duong, to: P.thang).caseSummary)
        let awaiting = try await world.submitResult(assigned, by: P.thang, letter: "Đã xử lý")
        #expect(awaiting.version == 4)
        var verify = Fieldreport_V1_VerifyJournalRequest()
        verify.caseId = awaiting.caseId
        let before = try await world.journal.verifyJournal(verify, options: world.as(P.quan))
        #expect(before.intact && before.entriesChecked == 4 && before.firstBadSequence == nil && before.problem.isEmpty)

        let database = server.directory.appendingPathComponent("test.sqlite").path
        let rows = try await JournalFile.rows(database: database, caseID: awaiting.caseId)
        try await server.store.executeRawSQLForTesting(tamper.sql(caseID: awaiting.caseId, rows: rows))

        let after = try await world.journal.verifyJournal(verify, options: world.as(P.quan))
        #expect(!after.intact)
        #expect(after.firstBadSequence == tamper.firstBadSequence)
        #expect(after.problem == tamper.problem)
        #expect(after.entriesChecked == tamper.firstBadSequence)
      }
    }
  }
}
