import Foundation
import FieldReportWorkflow
import Testing

/// What a publication shows the citizen (the approved reply letter or the IOC's text, never the
/// IOC's note), and who receives a monitoring transfer (never the transferring leader).
@Suite("Publication text and monitoring recipients") struct PublicationRulesTests {
  static let note = "Ghi chú của IOC"

  @Test("publishing with only a note shows the approved reply letter; the note stays the entry's content")
  func noteIsNotPublished() throws {
    var history = try Canonical.history(in: .resolved)
    let letter = try #require(history.current.result?.content)
    let t = try history.act(.publish(publicly: true), by: Demo.iocOperator, content: Self.note, at: Demo.at(27, 2))
    #expect(t.entry.content == Self.note)
    #expect(t.entry.event == .published(publicly: true, text: letter))
    #expect(history.current.publication?.text == letter)
    #expect(try CaseReplay.replay(history.journal) == history.current)
  }

  @Test("publishing with a text and a note keeps both: the text for the citizen, the note for the IOC")
  func textAndNoteBothKept() throws {
    var history = try Canonical.history(in: .resolved)
    let t = try history.act(
      .publish(publicly: false, text: "Kết quả đã xử lý xong."), by: Demo.iocOperator, content: Self.note,
      at: Demo.at(27, 2))
    #expect(t.entry.content == Self.note)
    #expect(t.entry.event == .published(publicly: false, text: "Kết quả đã xử lý xong."))
    #expect(history.current.publication?.text == "Kết quả đã xử lý xong.")
  }

  @Test("the IOC's note is hidden from people outside the case; entries from before keep their content")
  func noteHiddenOutsideTheCase() throws {
    var history = try Canonical.history(in: .resolved)
    try history.act(.publish(publicly: true), by: Demo.iocOperator, content: Self.note, at: Demo.at(27, 2))
    let c = history.current
    let entry = try #require(history.journal.last)
    #expect(entry.redacted(for: Demo.actor(Demo.iocOperator), of: c).content == Self.note)
    #expect(entry.redacted(for: Demo.actor(Demo.duong), of: c).content == Self.note)
    #expect(entry.redacted(for: Demo.actor(Demo.platform), of: c).content == "")
    #expect(entry.redacted(for: nil, of: c).content == "")
    // An entry written before the text was recorded apart: its content was what was shown.
    var legacy = entry
    legacy.event = .published(publicly: true)
    legacy.content = "Đã đăng"
    #expect(legacy.redacted(for: nil, of: c).content == "Đã đăng")
  }

  @Test("a publish event stored before the text was recorded decodes with no text, and replays")
  func legacyPublishEventDecodes() throws {
    let decoded = try JSONDecoder().decode(JournalEvent.self, from: Data(#"{"published":{"publicly":true}}"#.utf8))
    #expect(decoded == .published(publicly: true, text: nil))
    var history = try Canonical.history(in: .resolved)
    try history.act(.publish(publicly: true), by: Demo.iocOperator, content: "Đăng tải", at: Demo.at(27, 2))
    var journal = history.journal
    journal[journal.count - 1].event = decoded
    let replayed = try CaseReplay.replay(journal)
    #expect(replayed.state == .published)
    #expect(replayed.publication?.text == nil)
    let event = JournalEvent.published(publicly: false, text: "Văn bản")
    #expect(try JSONDecoder().decode(JournalEvent.self, from: JSONEncoder().encode(event)) == event)
  }

  @Test("the transferring leader is left out alike when named and when in a group, and it is said")
  func leaderNeverReceivesTheirOwnTransfer() throws {
    let (recipients, leftOut) = CaseWorkflow.monitoringRecipients(
      named: [Demo.thang], groupMembers: [Demo.khcnLeader, Demo.toan], transferredBy: Demo.khcnLeader)
    #expect(recipients == [Demo.thang, Demo.toan])
    #expect(leftOut == [Demo.khcnLeader])
    let named = CaseWorkflow.monitoringRecipients(
      named: [Demo.khcnLeader, Demo.toan], groupMembers: [], transferredBy: Demo.khcnLeader)
    #expect(named.recipients == [Demo.toan] && named.leftOut == [Demo.khcnLeader])

    var history = try CaseHistory.submit()
    try history.act(.dispatch(DispatchOrder(unit: Demo.khcn)), by: Demo.iocOperator, at: Demo.at(26, 2, 10))
    // Naming only themselves leaves nobody: refused, as an empty group would be.
    let refusal = history.refusal(
      .transferForMonitoring(recipients: [Demo.khcnLeader], group: nil), by: Demo.khcnLeader,
      content: "Trao đổi nội bộ", at: Demo.at(26, 2, 11))
    guard case .invalidField(let name, let reason)? = refusal else {
      Issue.record("expected an invalid recipients field, got \(String(describing: refusal))")
      return
    }
    #expect(name == "recipients" && reason.contains("besides yourself"))
    try history.act(
      .transferForMonitoring(recipients: [Demo.khcnLeader, Demo.thang], group: Demo.stormGroup.id),
      by: Demo.khcnLeader, content: "Trao đổi nội bộ", at: Demo.at(26, 2, 11))
    #expect(history.current.monitoring?.recipients == [Demo.thang, Demo.toan])
  }
}
