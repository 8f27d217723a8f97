// fieldreport-store-crashhelper: a helper process for the store's crash test.
//
// Usage: fieldreport-store-crashhelper <database path> <case count>
//
// Opens the store (already seeded by the test), begins ONE transaction that creates
// <case count> cases with their journal entries and notifications, and kills itself with
// SIGKILL before the COMMIT. The test then checks that nothing of it is visible.
import Foundation
@_spi(Testing) import FieldReportStore
import FieldReportWorkflow

let arguments = CommandLine.arguments
guard arguments.count == 3, let count = Int(arguments[2]), count > 0 else {
  print("usage: fieldreport-store-crashhelper <database path> <case count>")
  exit(2)
}

let ioc = Unit(id: "ioc", name: "Trung tâm IOC tỉnh Hà Tĩnh", kind: .ioc)
let platform = User(id: "platform", fullName: "Nền tảng chính quyền số", kind: .serviceAccount)
let category = Category(id: "moi-truong", name: "Môi trường")
let directory = Directory(units: [ioc], users: [platform], categories: [category])
// 09:00 on 6 March 2026, Asia/Ho_Chi_Minh.
let now = Timestamp(millisecondsSince1970: 1_772_762_400_000)

let store = try await SQLiteFieldReportStore(path: arguments[1])
try await store.createCasesThenCrashForTesting(count: count, receivedAt: now) { id, code in
  let report = NewReport(
    iocUnitID: ioc.id, reporter: Case.Reporter(fullName: "Trần Thị Dân"), categoryID: category.id,
    title: "Phản ánh dở dang", description: String(repeating: "Nội dung dài. ", count: 20),
    location: Case.Location(address: "99 Bùi Thị Xuân"), isPublic: true)
  return try CaseWorkflow.submit(
    report, caseID: id, reportCode: code, by: Actor(user: platform, grants: []), now: now,
    directory: directory
  ).get()
}
