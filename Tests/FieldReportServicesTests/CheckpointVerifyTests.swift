import FieldReportAPI
import FieldReportServices
@_spi(Testing) import FieldReportStore
import FieldReportWorkflow
import Foundation
import RPCCore
import StoreTestSupport
import TestSupport
import Testing
import WireBridge

/// Signed checkpoints (issue 14, item 6): made over a real socket, exported, and proven
/// offline by the real `fieldreport-server verify --checkpoint` binary against the SQLite file
/// after honest growth (passes) and after each kind of tampering (detected, naming the case
/// and the entry).
@Suite("Signed journal checkpoints and verify --checkpoint", .timeLimit(.minutes(2)))
struct CheckpointVerifyTests {
  typealias P = DemoProvince

  /// How the file is changed after the checkpoint.
  enum Change: String, CaseIterable, Sendable {
    /// The chain goes on: an approval on the checkpointed case, and a new case.
    case honestGrowth
    /// Entry 3's content edited in place (its stored hash left as it was).
    case contentChanged
    /// Entry 3's content edited and the whole chain rehashed, head included, so the ordinary
    /// chain check passes.
    case contentChangedAndRehashed
    /// Entry 2 deleted.
    case entryDeleted
    /// An entry inserted before the checkpoint's count (a copy of entry 2 as entry 3, later ones
    /// renumbered, the chain rehashed, the version raised).
    case entryInserted
    /// The second checkpointed case deleted with its rows.
    case caseDeleted
    /// A case the checkpoint does not cover, inserted with a receipt time an hour before it (a
    /// copy of the second case's row under another id and code).
    case caseInsertedBehind
    /// Verified with another public key than the signer's.
    case wrongKey
    /// The checkpoint's heads edited (the first case shortened by one entry) with its digest
    /// recomputed, the signature kept: a forgery.
    case forgedSignature
  }

  @Test("verify --checkpoint: honest growth passes; each tampering is detected", arguments: Change.allCases)
  func verifyCheckpoint(_ change: Change) async throws {
    try await TestServer.with(limits: CaseWorld.limits) { server in
      try await server.withLiveServer { client in
        let world = try await CaseWorld.over(server, transport: client)
        let atUnit = try await world.dispatch(try await world.submit("Nhật ký được ký"), to: P.dongLoc)
        let assigned = try unwrap(try await world.assign(atUnit, by: P.duong, to: P.thang, content: "Phân công xử lý").caseSummary)
        let awaiting = try await world.submitResult(assigned, by: P.thang, letter: "Đã xử lý")
        #expect(awaiting.version == 4)
        let second = try await world.submit("Phản ánh thứ hai")

        // The checkpoint, made and exported over the socket.
        let made = try unwrap(try await world.journal.createCheckpoint(.init(), options: world.as(P.quan)).checkpoint)
        var get = Fieldreport_V1_GetCheckpointRequest()
        get.checkpointId = made.checkpointId
        let exported = try await world.journal.getCheckpoint(get, options: world.as(P.quan))
        #expect(exported.heads.map(\.entryCount).sorted() == [1, 4])
        let folder = server.directory
        let file = folder.appendingPathComponent("checkpoint.json").path
        try Data(exported.exportJson.utf8).write(to: URL(fileURLWithPath: file))
        let keyHex = JournalFile.hex(made.publicKey)
        let database = folder.appendingPathComponent("test.sqlite").path
        let caseID = awaiting.caseId
        var key = keyHex

        // Before any change the checkpoint holds.
        let clean = try await OperatorToolsTests.run(["verify", "--checkpoint", file, "--public-key", keyHex, "--database", database])
        #expect(clean.status == 0, "\(clean.output)\(clean.error)")
        #expect(clean.output.contains("CHECKPOINT HOLDS"))
        #expect(clean.output.contains("signing key: trusted"))

        let rows = try await JournalFile.rows(database: database, caseID: caseID)
        let drop = "DROP TRIGGER IF EXISTS journal_no_update; DROP TRIGGER IF EXISTS journal_no_delete;"
        /// Rewrites the case's chain from `bodies` (sequence → (at, body)) and moves its head.
        func rehash(_ entries: [(Int64, Int64, [UInt8])]) -> String {
          var previous = [UInt8](repeating: 0, count: 32)
          var sql = ""
          for (sequence, at, body) in entries {
            let hash = JournalFile.chainHash(caseID: caseID, sequence: sequence, at: at, previous: previous, body: body)
            sql += " UPDATE journal SET body = \(JournalFile.blob(body)), prev_hash = \(JournalFile.blob(previous)), "
              + "hash = \(JournalFile.blob(hash)) WHERE case_id = '\(caseID)' AND case_seq = \(sequence);"
            previous = hash
          }
          return sql + " UPDATE cases SET journal_head = \(JournalFile.blob(previous)) WHERE id = '\(caseID)';"
        }
        // Entry 3's body with "công" (5 bytes) replaced by "cong!" (5 bytes): same length, still decodes.
        let original = Array("công".utf8)
        var edited = rows[2].body
        let start = try #require((0...(edited.count - original.count)).first { Array(edited[$0..<$0 + original.count]) == original })
        edited.replaceSubrange(start..<start + original.count, with: Array("cong!".utf8))

        var expected: (entry: String, words: String)?
        switch change {
        case .honestGrowth:
          _ = try await world.approve(awaiting, by: P.duong)
          _ = try await world.submit("Phản ánh sau checkpoint")
        case .contentChanged:
          try await server.store.executeRawSQLForTesting(
            drop + " UPDATE journal SET body = \(JournalFile.blob(edited)) WHERE case_id = '\(caseID)' AND case_seq = 3;")
          expected = ("entry 3", "the entry was changed")
        case .contentChangedAndRehashed:
          try await server.store.executeRawSQLForTesting(
            drop + rehash(rows.map { ($0.sequence, $0.at, $0.sequence == 3 ? edited : $0.body) }))
          expected = ("entry 4", "changed, added or removed")
        case .entryDeleted:
          try await server.store.executeRawSQLForTesting(drop + " DELETE FROM journal WHERE case_id = '\(caseID)' AND case_seq = 2;")
          expected = ("entry 2", "is missing")
        case .entryInserted:
          // Entries 3 and 4 become 4 and 5; a copy of entry 2 (as entry 3) goes between.
          let copy = rows[1]
          let shifted: [(Int64, Int64, [UInt8])] =
            [(1, rows[0].at, rows[0].body), (2, copy.at, copy.body), (3, copy.at, copy.body),
             (4, rows[2].at, rows[2].body), (5, rows[3].at, rows[3].body)]
          try await server.store.executeRawSQLForTesting(
            drop
              + " UPDATE journal SET case_seq = case_seq + 100 WHERE case_id = '\(caseID)' AND case_seq >= 3;"
              + " UPDATE journal SET case_seq = case_seq - 99 WHERE case_id = '\(caseID)' AND case_seq >= 100;"
              + " INSERT INTO journal(case_id, case_seq, at, body, prev_hash, hash) SELECT case_id, 3, at, body, prev_hash, hash FROM journal"
              + " WHERE case_id = '\(caseID)' AND case_seq = 2;"
              + " UPDATE cases SET version = 5 WHERE id = '\(caseID)';" + rehash(shifted))
          expected = ("entry 4", "changed, added or removed")
        case .caseDeleted:
          let id = second.caseId
          try await server.store.executeRawSQLForTesting(
            drop
              + ["journal", "notifications", "unit_tasks", "case_drafts", "case_links"].map {
                " DELETE FROM \($0) WHERE case_id = '\(id)';"
              }.joined() + " DELETE FROM cases WHERE id = '\(id)';")
          expected = ("case \(second.reportCode)", "the case was deleted")
        case .caseInsertedBehind:
          let received = made.createdAtMs - 3_600_000
          try await server.store.executeRawSQLForTesting(
            "CREATE TEMP TABLE forged AS SELECT * FROM cases WHERE id = '\(second.caseId)';"
              + " UPDATE forged SET id = 'forged-case', report_code = '010126999', received_at = \(received);"
              + " INSERT INTO cases SELECT * FROM forged; DROP TABLE forged;")
          expected = ("case 010126999", "added since")
        case .wrongKey:
          key = JournalFile.hex(Array(CheckpointSigner().publicKey))
        case .forgedSignature:
          var forged = try JournalCheckpoint.importJSON(Array(exported.exportJson.utf8))
          let index = try #require(forged.heads.firstIndex { $0.caseID.rawValue == caseID })
          forged.heads[index].entryCount = 3
          forged.heads[index].headHash = rows[2].hash
          try Data(forged.exportJSON().utf8).write(to: URL(fileURLWithPath: file))
        }

        let run = try await OperatorToolsTests.run(["verify", "--checkpoint", file, "--public-key", key, "--database", database])
        let output = run.output
        switch change {
        case .honestGrowth:
          #expect(run.status == 0, "\(output)\(run.error)")
          #expect(output.contains("CHECKPOINT HOLDS"))
          #expect(output.contains("1 grew since (allowed), 1 cases created since (allowed)"))
        case .wrongKey:
          #expect(run.status == 1)
          #expect(output.contains("signing key: NOT TRUSTED"))
          #expect(output.contains("CHECKPOINT FAILED"))
        case .forgedSignature:
          #expect(run.status == 1)
          #expect(output.contains("signature (Ed25519 over the digest): INVALID"))
          #expect(output.contains("CHECKPOINT FAILED"))
        default:
          let (entry, words) = try #require(expected)
          #expect(run.status == 1, "\(output)")
          let first = try #require(output.split(separator: "\n").first { $0.hasPrefix("FIRST FAILURE") }, "\(output)")
          let named =
            switch change {
            case .caseDeleted: "case \(second.reportCode)"
            case .caseInsertedBehind: "case 010126999"
            default: "case \(awaiting.reportCode)"
            }
          #expect(first.contains(named), "\(first)")
          #expect(first.contains(entry) && first.contains(words), "\(first)")
          #expect(output.contains("CHECKPOINT FAILED"))
        }
        // Without --public-key the output says the checkpoint's own key proves nothing.
        let untrusted = try await OperatorToolsTests.run(["verify", "--checkpoint", file, "--database", database])
        #expect(untrusted.output.contains("signing key: NOT CHECKED"))
        #expect(untrusted.output.contains(change == .wrongKey || change == .honestGrowth ? "CHECKPOINT NOT PROVEN" : "CHECKPOINT FAILED"))
        #expect(untrusted.status != 0, "without a trusted key the checkpoint proves nothing: not a pass")
      }
    }
  }

  @Test("checkpoints on both engines: made, listed newest first page by page, got with heads matching the journals", arguments: StoreEngine.all)
  func checkpointsOnBothEngines(engine: StoreEngine) async throws {
    try await TestServer.with(engine: engine, limits: CaseWorld.limits) { server in
      try await server.withLiveServer { client in
        let world = try await CaseWorld.over(server, transport: client)
        let journal = world.journal
        let dispatched = try await world.dispatch(try await world.submit("Một"), to: P.dongLoc)
        let first = try unwrap(try await journal.createCheckpoint(.init(), options: world.as(P.quan)).checkpoint)
        #expect(first.createdBy?.userId == P.quan.id.rawValue && first.trigger == "on_demand")
        _ = try await world.submit("Hai")
        world.clock.advance(milliseconds: 1_000)
        let second = try unwrap(try await journal.createCheckpoint(.init(), options: world.as(CaseWorld.admin)).checkpoint)
        #expect(second.caseCount == first.caseCount + 1 && second.entryCount == first.entryCount + 1)

        var list = Fieldreport_V1_ListCheckpointsRequest()
        list.pageSize = 1
        let page1 = try await journal.listCheckpoints(list, options: world.as(P.quan))
        #expect(page1.checkpoints.map(\.checkpointId) == [second.checkpointId] && !page1.nextPageToken.isEmpty)
        list.pageToken = page1.nextPageToken
        let page2 = try await journal.listCheckpoints(list, options: world.as(P.quan))
        #expect(page2.checkpoints.map(\.checkpointId) == [first.checkpointId] && page2.nextPageToken.isEmpty)

        let newest = try await journal.getCheckpoint(.init(), options: world.as(P.quan))
        #expect(newest.checkpoint?.checkpointId == second.checkpointId)
        let parsed = try JournalCheckpoint.importJSON(Array(newest.exportJson.utf8))
        #expect(parsed.signatureIsValid && parsed.digest == newest.checkpoint?.digest)
        #expect(JournalCheckpoint.fingerprint(of: parsed.publicKey) == newest.checkpoint?.keyFingerprint)
        for head in newest.heads {
          let entries = try await world.store.journal(caseID: CaseID(head.caseId))
          #expect(Int64(entries.count) == head.entryCount)
          #expect(entries.last?.hashHex == JournalFile.hex(head.headHash))
        }
        #expect(newest.heads.contains { $0.caseId == dispatched.caseId && $0.entryCount == 2 })
        var missing = Fieldreport_V1_GetCheckpointRequest()
        missing.checkpointId = "ckp-none"
        #expect(await failure { _ = try await journal.getCheckpoint(missing, options: world.as(P.quan)) } == .notFound)
      }
    }
  }

  @Test("the checkpoint message and file: byte layout, signature, round trip, a periodic one only when a journal grew")
  func messageAndPeriodic() async throws {
    let heads = [
      CheckpointHead(caseID: "b", reportCode: "020326002", entryCount: 2, headHash: [UInt8](repeating: 0xBB, count: 32)),
      CheckpointHead(caseID: "a", reportCode: "020326001", entryCount: 1, headHash: [UInt8](repeating: 0xAA, count: 32)),
    ]
    let message = JournalCheckpoint.message(createdAt: Timestamp(millisecondsSince1970: 0x0102), heads: heads)
    // "fieldreport.checkpoint.v1" 0x00, i64be time, u32be count, then case "a" first.
    var expected = Array("fieldreport.checkpoint.v1".utf8) + [0]
    expected += [0, 0, 0, 0, 0, 0, 0x01, 0x02] + [0, 0, 0, 2]
    expected += [0, 0, 0, 1] + Array("a".utf8) + [0, 0, 0, 9] + Array("020326001".utf8) + [0, 0, 0, 0, 0, 0, 0, 1]
    expected += [UInt8](repeating: 0xAA, count: 32)
    expected += [0, 0, 0, 1] + Array("b".utf8) + [0, 0, 0, 9] + Array("020326002".utf8) + [0, 0, 0, 0, 0, 0, 0, 2]
    expected += [UInt8](repeating: 0xBB, count: 32)
    #expect(message == expected)
    #expect(JournalCheckpoint.parse(message: message)?.heads == JournalCheckpoint.sorted(heads))

    try await TestServer.with { server in
      let signer = try #require(server.env.checkpointSigner)
      let first = try #require(
        try await signer.makeCheckpoint(store: server.store, origin: .periodic, by: nil, now: server.clock.now, skipIfUnchanged: true))
      #expect(first.signatureIsValid && first.publicKey == signer.publicKey)
      #expect(try JournalCheckpoint.importJSON(Array(first.exportJSON().utf8)).digest == first.digest)
      // Nothing grew: no new periodic checkpoint; on demand always.
      #expect(try await signer.makeCheckpoint(store: server.store, origin: .periodic, by: nil, now: server.clock.now, skipIfUnchanged: true) == nil)
      #expect(try await server.store.findCheckpoint(id: nil)?.id == first.id)
      #expect(try await server.store.checkpoints(before: nil, limit: 10).count == 1)
      var tampered = first
      tampered.signature[0] ^= 1
      #expect(!tampered.signatureIsValid)
    }
  }

  @Test("the key file: created 0600 on first start, read back the same; a bad file, or one others can read, is refused")
  func keyFile() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ckp-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let path = folder.appendingPathComponent("db.sqlite.checkpoint-key").path
    let (created, isNew) = try CheckpointSigner.loadOrCreate(path: path)
    #expect(isNew)
    #expect(try OperatorToolsTests.mode(path) & 0o777 == 0o600)
    let (loaded, again) = try CheckpointSigner.loadOrCreate(path: path)
    #expect(!again && loaded.publicKey == created.publicKey && loaded.fingerprint == created.fingerprint)
    let bad = folder.appendingPathComponent("bad").path
    try Data("not a key\n".utf8).write(to: URL(fileURLWithPath: bad))
    #expect(chmod(bad, 0o600) == 0)
    #expect(throws: CheckpointSigner.KeyFileError.self) { try CheckpointSigner.loadOrCreate(path: bad) }
    // The good key copied with loose permissions: refused, naming the mode and the fix.
    #expect(chmod(path, 0o644) == 0)
    do {
      _ = try CheckpointSigner.loadOrCreate(path: path)
      Issue.record("a key file others can read was used")
    } catch {
      #expect(error.description.contains("mode 644") && error.description.contains("chmod 600"))
    }
  }
}
