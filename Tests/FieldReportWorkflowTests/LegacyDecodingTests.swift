import Foundation
import FieldReportWorkflow
import Testing

/// Journal entries and entity bodies written before the fields added for contract fidelity
/// (duplicate-of, new deadlines, task titles, platform references, category processing
/// times, creation times, contact details, request notes) still decode, and old journals
/// (with journaled drafts) still replay.
@Suite("Legacy decoding") struct LegacyDecodingTests {
  static func decode<T: Decodable>(_ type: T.Type, _ json: String) throws -> T {
    try JSONDecoder().decode(T.self, from: Data(json.utf8))
  }

  @Test func oldJournalEventsDecodeWithoutTheNewFields() throws {
    #expect(try Self.decode(JournalEvent.self, #"{"rejected":{"reason":"duplicate"}}"#)
      == .rejected(reason: .duplicate, duplicateOf: nil))
    #expect(try Self.decode(JournalEvent.self, #"{"sentBackToUnit":{"handler":"u-thang"}}"#)
      == .sentBackToUnit(handler: "u-thang", newDue: nil))
    #expect(try Self.decode(JournalEvent.self, #"{"returnedToOfficer":{"officer":"u-thang"}}"#)
      == .returnedToOfficer(officer: "u-thang", newDue: nil))
    #expect(try Self.decode(JournalEvent.self, #"{"draftSaved":{}}"#) == .draftSaved)
    let dispatched = try Self.decode(
      JournalEvent.self,
      #"{"dispatched":{"unit":"DL","task":{"id":"c/1","caseID":"c","unitID":"DL","taskType":"field_report","receivedAt":1,"start":1,"due":2}}}"#)
    guard case .dispatched(let unit, let leader, let task, _) = dispatched else {
      Issue.record("not a dispatch: \(dispatched)")
      return
    }
    #expect(unit == "DL" && leader == nil && task.title == nil && task.due == Timestamp(millisecondsSince1970: 2))
    // And the new fields round-trip.
    let event = JournalEvent.sentBackToUnit(handler: "u-thang", newDue: Timestamp(millisecondsSince1970: 9))
    #expect(try JSONDecoder().decode(JournalEvent.self, from: JSONEncoder().encode(event)) == event)
  }

  @Test func oldEntityBodiesDecode() throws {
    #expect(try Self.decode(Category.self, #"{"id":"MT","name":"Môi trường","isActive":true}"#)
      .defaultProcessingMilliseconds == nil)
    #expect(try Self.decode(Unit.self, #"{"id":"DL","name":"UBND Xã Đồng Lộc","kind":"commune_ward"}"#).createdAt == nil)
    let user = try Self.decode(User.self, #"{"id":"u","fullName":"Lê Đại Thắng","kind":"staff","isActive":true}"#)
    #expect(user.phone == nil && user.email == nil)
    let grant = try Self.decode(
      RoleGrant.self,
      #"{"id":"g","userID":"u","unitID":"DL","role":"officer","position":"","status":"pending","requestedAt":1,"decisionNote":""}"#)
    #expect(grant.requestNote == nil)
    let rejection = try Self.decode(Case.Rejection.self, #"{"reason":"spam","at":5}"#)
    #expect(rejection.duplicateOf == nil)
  }

  @Test func aJournalWithALegacyDraftEntryStillReplays() throws {
    let history = try Canonical.history(in: .inProgress)
    let c = history.current
    let draft = JournalEntry(
      caseID: c.id, sequence: c.version + 1, actor: Demo.thang, actorUnit: Demo.dongLoc,
      fromState: c.state, toState: c.state, fromHolder: c.holder, toHolder: c.holder,
      content: "nháp", attachments: [], notify: false, at: Demo.at(27, 2), event: .draftSaved)
    let replayed = try CaseReplay.replay(history.journal + [draft])
    #expect(replayed.version == c.version + 1)
    #expect(replayed.state == c.state)
    #expect(replayed.holder == c.holder)
    #expect(replayed.previousStep == c.previousStep)
  }
}
