// fieldreport-store-crashhelper: a helper process for the store's crash test.
//
// Usage: fieldreport-store-crashhelper <database path> <case count> [<committed count>]
//
// Opens the store (already seeded by the test), first commits <committed count> cases (0 by
// default), each its own write, all submitted at once (so group commit batches them), then
// begins ONE transaction that creates <case count> cases with their journal entries and
// notifications, and kills itself with SIGKILL before the COMMIT, without closing anything.
// The test then checks that every committed case is there and nothing of the last
// transaction is visible.
import Foundation
@_spi(Testing) import FieldReportStore
import FieldReportWorkflow

let arguments = CommandLine.arguments
guard (3...4).contains(arguments.count), let count = Int(arguments[2]), count > 0,
  let committedCount = arguments.count == 4 ? Int(arguments[3]) : 0, committedCount >= 0
else {
  print("usage: fieldreport-store-crashhelper <database path> <case count> [<committed count>]")
  exit(2)
}

let ioc = Unit(id: "ioc", name: "Trung tâm IOC tỉnh Hà Tĩnh", kind: .ioc)
let platform = User(id: "platform", fullName: "Nền tảng chính quyền số", kind: .serviceAccount)
let category = Category(id: "moi-truong", name: "Môi trường")
let directory = Directory(units: [ioc], users: [platform], categories: [category])
// 09:00 on 6 March 2026, Asia/Ho_Chi_Minh.
let now = Timestamp(millisecondsSince1970: 1_772_762_400_000)

@Sendable func submission(title: String) -> @Sendable (CaseID, ReportCode) throws -> Transition {
  { id, code in
    let report = NewReport(
      iocUnitID: ioc.id, reporter: Case.Reporter(fullName: "Trần Thị Dân"), categoryID: category.id,
      title: title, description: String(repeating: "Nội dung dài. ", count: 20),
      location: Case.Location(address: "99 Bùi Thị Xuân"), isPublic: true)
    return try CaseWorkflow.submit(
      report, caseID: id, reportCode: code, by: Actor(user: platform, grants: []), now: now,
      directory: directory
    ).get()
  }
}

let store = try await SQLiteFieldReportStore(path: arguments[1])
try await withThrowingTaskGroup(of: Void.self) { group in
  for index in 0..<committedCount {
    group.addTask {
      _ = try await store.createCase(
        receivedAt: now, idempotencyKey: nil, build: submission(title: "Đã lưu \(index)"))
    }
  }
  try await group.waitForAll()
}
try await store.createCasesThenCrashForTesting(count: count, receivedAt: now, build: submission(title: "Phản ánh dở dang"))
