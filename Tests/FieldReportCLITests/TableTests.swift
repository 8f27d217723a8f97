import Foundation
import FieldReportClient
import Testing
@testable import FieldReportCLI

@Suite("Tables")
struct TableTests {
  @Test("columns are padded to the widest cell, counting Vietnamese characters once")
  func padding() {
    var table = Table(["No.", "Title"])
    table.append(["1", "Gây mất trật tự Công cộng"])
    table.append(["10", "Ồn"])
    let lines = table.render().split(separator: "\n").map(String.init)
    #expect(lines == [
      "No.  Title",
      "---  -------------------------",
      "1    Gây mất trật tự Công cộng",
      "10   Ồn",
    ])
  }

  @Test("long cells are cut with an ellipsis and line breaks flattened")
  func cutting() {
    var table = Table(["A"], maxCellWidth: 5)
    table.append(["abcdefgh"])
    table.append(["x\ny"])
    #expect(table.render().split(separator: "\n").map(String.init) == ["A", "-----", "abcd…", "x y"])
  }

  @Test("the inbox shows the source's columns and marks overdue rows")
  func inbox() {
    var late = Fieldreport_V1_CaseSummary()
    late.reportCode = "260226001"
    late.title = "Làm việc gây ồn ào tại 81 Ngô Quyền"
    late.senderLabel = "Công dân"
    var handler = Fieldreport_V1_HandlerRef()
    var unit = Fieldreport_V1_UnitRef()
    unit.unitName = "UBND Xã Đồng Lộc"
    handler.unit = unit
    late.currentHandler = handler
    late.state = .atUnit
    late.stepStartedAtMs = LocalTime.parse("26/02/2026 08:00") ?? 0
    late.stepDueAtMs = LocalTime.parse("27/02/2026 08:00")
    late.overdue = true
    var onTime = late
    onTime.reportCode = "060326001"
    onTime.title = "Gây mất trật tự Công cộng"
    onTime.overdue = false
    var thang = Fieldreport_V1_UserRef()
    thang.fullName = "Lê Đại Thắng"
    onTime.currentHandler?.user = thang

    let lines = Render.inbox([late, onTime]).split(separator: "\n").map(String.init)
    #expect(lines.count == 4)
    for column in ["No.", "Title", "Sender", "Current handler", "From", "To"] {
      #expect(lines[0].contains(column))
    }
    #expect(lines[2].hasPrefix("1 "))
    #expect(lines[2].contains("UBND Xã Đồng Lộc"))
    #expect(lines[2].contains("26/02/2026 08:00"))
    #expect(lines[2].contains("27/02/2026 08:00 \(Render.overdueMarker)"))
    #expect(lines[3].hasPrefix("2 "))
    #expect(lines[3].contains("Lê Đại Thắng (UBND Xã Đồng Lộc)"))
    #expect(!lines[3].contains(Render.overdueMarker))
  }

  @Test("an empty inbox says so")
  func emptyInbox() {
    #expect(Render.inbox([]).hasSuffix("(no cases)"))
  }

  @Test("key-value lists align values and indent continuation lines")
  func keyValues() {
    var list = KeyValueList()
    list.add("Title", "A")
    list.add("Content", "line 1\nline 2")
    list.addIfPresent("Empty", "")
    #expect(list.render() == "Title:   A\nContent: line 1\n         line 2")
  }
}

@Suite("Reply letter")
struct ReplyLetterTests {
  static let template = "Kính gửi: Quý Ông/Bà.\nVấn đề quý Ông/Bà phản ánh, UBND Xã Đồng Lộc xin thông báo kết quả như sau:\n....Nội dung thực hiện....\nChân thành cảm ơn quý Ông/Bà.\nTrân trọng."

  @Test("the body replaces the placeholder line, whatever its dots")
  func replaces() {
    let letter = ReplyLetter.fill(template: Self.template, body: "Đã xử lý.")
    #expect(letter == "Kính gửi: Quý Ông/Bà.\nVấn đề quý Ông/Bà phản ánh, UBND Xã Đồng Lộc xin thông báo kết quả như sau:\nĐã xử lý.\nChân thành cảm ơn quý Ông/Bà.\nTrân trọng.")
    let ellipsis = Self.template.replacingOccurrences(of: "....Nội dung thực hiện....", with: "…Nội dung thực hiện…")
    #expect(ReplyLetter.fill(template: ellipsis, body: "Đã xử lý.") == letter)
  }

  @Test("without a placeholder the body goes before the closing, or last")
  func inserts() {
    #expect(ReplyLetter.fill(template: "A\nChân thành cảm ơn.", body: "B") == "A\nB\nChân thành cảm ơn.")
    #expect(ReplyLetter.fill(template: "A", body: "B") == "A\nB")
    #expect(ReplyLetter.fill(template: "", body: "B") == "B")
  }
}
