import FieldReportAPI
import WireBridge
import FieldReportServices
import FieldReportWorkflow
import Foundation
import Testing

@Suite("Unit kinds on the wire")
struct WardNameTests {
  @Test("a commune-level unit named \"Phường …\" (not \"Phương …\") is a ward, in composed or decomposed spelling, asked once or again")
  func wardsByName() {
    let names: [(String, Fieldreport_V1_UnitKind)] = [
      ("Phường Trần Phú", .ward), ("UBND phường 3", .ward), ("PHƯỜNG BẮC HÀ", .ward),
      ("Phuong 3", .ward), ("Xã Đồng Lộc", .commune), ("Thị trấn Nghèn", .commune),
      // "Phương" (a place name) is not "Phường" (a ward): a commune of Hà Tĩnh.
      ("Xã Phương Điền", .commune), ("Xa Phuong Dien", .ward),
    ]
    for (name, kind) in names {
      for spelling in [name, name.decomposedStringWithCanonicalMapping, name.precomposedStringWithCanonicalMapping] {
        for _ in 0..<2 {
          let unit = FieldReportWorkflow.Unit(id: UnitID("U"), name: spelling, kind: .communeWard)
          #expect(Fieldreport_V1_UnitKind(unit) == kind, "\(spelling.unicodeScalars.count) scalars: \(spelling)")
        }
      }
    }
    #expect(Fieldreport_V1_UnitKind(FieldReportWorkflow.Unit(id: UnitID("I"), name: "Phường IOC", kind: .ioc)) == .ioc)
  }
}
