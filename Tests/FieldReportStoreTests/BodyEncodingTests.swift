import Foundation
import Testing

@_spi(Testing) @testable import FieldReportStore
import FieldReportWorkflow
import TestSupport

@Suite("Body encoding: binary format, legacy JSON rows")
struct BodyEncodingTests {
  /// A case with history, a draft, an assignment and optional fields set and unset.
  static func busyCase(_ fixture: StoreFixture) async throws -> (Case, [StoredJournalEntry]) {
    let created = try await fixture.submit("Rác thải 🗑️ tại 12 Nguyễn Du — \"khẩn\", đường Trần Phú")
    _ = try await fixture.act(StoreFixture.iocOperator, .dispatch(DispatchOrder(unit: StoreFixture.dongLoc)), on: created.id, at: StoreFixture.at(6, hour: 10))
    _ = try await fixture.act(StoreFixture.duong, .assign(AssignmentOrder(mainHandler: StoreFixture.toan)), on: created.id, at: StoreFixture.at(6, hour: 11))
    let stored = try #require(try await fixture.store.findCase(id: created.id))
    return (stored, try await fixture.store.journal(caseID: created.id))
  }

  @Test("entities round-trip through the binary format and it is smaller than JSON")
  func roundTrip() async throws {
    let fixture = try await StoreFixture.make()
    let (stored, journal) = try await Self.busyCase(fixture)
    let body = try EntityCoding.encode(stored)
    #expect(body.first == BodyFormat.magic && body.dropFirst().first == BodyFormat.version1)
    #expect(try EntityCoding.decode(Case.self, from: body, what: "case") == stored)
    #expect(body.count < (try EntityCoding.encodeLegacyJSON(stored)).count)
    for entry in journal {
      let bytes = try EntityCoding.encode(entry.entry)
      #expect(try EntityCoding.decode(JournalEntry.self, from: bytes, what: "entry") == entry.entry)
    }
    for user in StoreFixture.users {
      #expect(try EntityCoding.decode(User.self, from: EntityCoding.encode(user), what: "user") == user)
    }
    await fixture.finish()
  }

  struct Scalars: Codable, Equatable {
    var int8: Int8 = .min, int64: Int64 = .min, uint64: UInt64 = .max, int: Int = .max
    var double: Double = -0.1, float: Float = 3.5, flag = false
    var empty = "", text = "Lê Đại Thắng 👩‍👩‍👧"
    var absent: String? = nil, present: Int? = 0
    var list: [Int?] = [1, nil, -3], nested: [[String]] = [[], ["a"]]
    var map: [String: Int] = ["x": 1, "": -1]
    var big = [UInt8](repeating: 7, count: 10_000)
  }

  @Test("scalars at their extremes, optionals, nested and empty containers round-trip")
  func scalars() throws {
    let value = Scalars()
    #expect(try BodyDecoder.decode(Scalars.self, from: BodyEncoder.encode(value)) == value)
  }

  @Test("every truncation and byte flip of a body throws or decodes, never traps")
  func malformed() throws {
    let body = try BodyEncoder.encode(Scalars(big: [1, 2]))
    for length in 0..<body.count {
      #expect(throws: DecodingError.self) { try BodyDecoder.decode(Scalars.self, from: Array(body.prefix(length))) }
    }
    for index in body.indices {
      for flip: UInt8 in [0x01, 0x80, 0xFF] {
        var bad = body
        bad[index] ^= flip
        _ = try? BodyDecoder.decode(Scalars.self, from: bad)
      }
    }
    #expect(throws: DecodingError.self) { try BodyDecoder.decode(Scalars.self, from: [BodyFormat.magic, 2] + body.dropFirst(2)) }
    #expect(throws: DecodingError.self) { try BodyDecoder.decode(Scalars.self, from: body + [0]) }
    #expect(throws: StoreError.self) { try EntityCoding.decode(Scalars.self, from: [0x00, 0x01], what: "x") }
  }

  @Test("a file whose rows and journal were written as JSON still reads, verifies and accepts actions")
  func legacyJSONFile() async throws {
    let fixture = try await StoreFixture.make()
    let (stored, journal) = try await Self.busyCase(fixture)
    // Rewrite the case and its journal exactly as the JSON-writing store left them: JSON
    // bodies, and the chain's hashes computed over those JSON bytes.
    var previous = JournalChain.genesis
    var sql = "DROP TRIGGER journal_no_update;\n"
    for entry in journal {
      let body = try EntityCoding.encodeLegacyJSON(entry.entry)
      let hash = JournalFile.chainHash(
        caseID: stored.id.rawValue, sequence: entry.entry.sequence, at: entry.entry.at.millisecondsSince1970,
        previous: previous, body: body)
      sql += """
        UPDATE journal SET body = X'\(JournalChain.hex(body))', prev_hash = X'\(JournalChain.hex(previous))',
          hash = X'\(JournalChain.hex(hash))' WHERE case_id = '\(stored.id)' AND case_seq = \(entry.entry.sequence);

        """
      previous = hash
    }
    sql += """
      UPDATE cases SET body = X'\(JournalChain.hex(try EntityCoding.encodeLegacyJSON(stored)))',
        journal_head = X'\(JournalChain.hex(previous))' WHERE id = '\(stored.id)';
      UPDATE users SET body = X'\(JournalChain.hex(try EntityCoding.encodeLegacyJSON(StoreFixture.users[2])))'
        WHERE id = '\(StoreFixture.thang)';
      CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal
      BEGIN SELECT RAISE(ABORT, 'journal entries are append-only'); END;
      """
    try await fixture.store.executeRawSQLForTesting(sql)
    await fixture.store.close()

    let store = try await SQLiteFieldReportStore(path: fixture.path)
    let jsonRows = "SELECT COUNT(*) FROM journal WHERE substr(body, 1, 1) = X'7B'"
    #expect(try await store.scalarForTesting(jsonRows) == Int64(journal.count))
    #expect(try await store.findCase(id: stored.id) == stored)
    #expect(try await store.findUser(id: StoreFixture.thang)?.user == StoreFixture.users[2])
    #expect(try await store.journal(caseID: stored.id).map(\.entry) == journal.map(\.entry))
    #expect(try await store.verifyJournal(caseID: stored.id) == .intact(entries: journal.count, headHashHex: JournalChain.hex(previous)))

    // A new action chains a binary entry onto the JSON-hashed ones; the case row is rewritten in binary.
    let fixture2 = StoreFixture(directory: fixture.directory, path: fixture.path, store: store)
    _ = try await fixture2.act(StoreFixture.toan, .submitResult(nextHandler: nil, outputProduct: nil), on: stored.id, content: "Kết quả", at: StoreFixture.at(6, hour: 12))
    #expect(try await store.verifyJournal(caseID: stored.id).isIntact)
    #expect(try await store.scalarForTesting(jsonRows) == Int64(journal.count))
    #expect(try await store.scalarForTesting("SELECT COUNT(*) FROM cases WHERE id = '\(stored.id)' AND substr(body, 1, 1) = X'FB'") == 1)
    #expect(try await store.journal(caseID: stored.id).count == journal.count + 1)
    await fixture2.finish()
  }

  @Test("a publish entry stored before the published text was recorded still reads, replays and verifies")
  func publishEntryWithoutText() async throws {
    let fixture = try await StoreFixture.make()
    let created = try await fixture.submit("Tụ tập gây ồn ào")
    let steps: [(UserID, CaseAction, Int)] = [
      (StoreFixture.iocOperator, .dispatch(DispatchOrder(unit: StoreFixture.dongLoc)), 10),
      (StoreFixture.duong, .assign(AssignmentOrder(mainHandler: StoreFixture.toan)), 11),
      (StoreFixture.toan, .submitResult(nextHandler: nil, outputProduct: nil), 12),
      (StoreFixture.duong, .approve, 13),
      (StoreFixture.iocOperator, .publish(publicly: true), 14),
    ]
    for (user, action, hour) in steps {
      _ = try await fixture.act(user, action, on: created.id, at: StoreFixture.at(6, hour: hour))
    }
    let journal = try await fixture.store.journal(caseID: created.id)
    let last = try #require(journal.last)
    #expect(last.entry.event == .published(publicly: true, text: "Nội dung"))
    // The entry as an older version wrote it (no text in the event), in the binary format,
    // chained onto the entry before it.
    var old = last.entry
    old.event = .published(publicly: true)
    let body = try EntityCoding.encode(old)
    #expect(!String(decoding: body, as: UTF8.self).contains("text"))
    let previous = try #require(JournalChain.bytes(fromHex: last.previousHashHex))
    let hash = JournalFile.chainHash(
      caseID: created.id.rawValue, sequence: old.sequence, at: old.at.millisecondsSince1970, previous: previous, body: body)
    var stored = try #require(try await fixture.store.findCase(id: created.id))
    stored.publication?.text = nil
    try await fixture.store.executeRawSQLForTesting("""
      DROP TRIGGER journal_no_update;
      UPDATE journal SET body = X'\(JournalChain.hex(body))', hash = X'\(JournalChain.hex(hash))'
        WHERE case_id = '\(created.id)' AND case_seq = \(old.sequence);
      UPDATE cases SET body = X'\(JournalChain.hex(try EntityCoding.encode(stored)))',
        journal_head = X'\(JournalChain.hex(hash))' WHERE id = '\(created.id)';
      CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal
      BEGIN SELECT RAISE(ABORT, 'journal entries are append-only'); END;
      """)
    await fixture.store.close()

    let store = try await SQLiteFieldReportStore(path: fixture.path)
    let reread = try await store.journal(caseID: created.id)
    #expect(reread.last?.entry == old)
    #expect(try CaseReplay.replay(reread.map(\.entry)) == stored)
    #expect(try await store.findCase(id: created.id) == stored)
    #expect(try await store.verifyJournal(caseID: created.id) == .intact(entries: journal.count, headHashHex: JournalChain.hex(hash)))
    await StoreFixture(directory: fixture.directory, path: fixture.path, store: store).finish()
  }
}
