// fieldreport-store-bench: the store's figures, side by side in one run.
//
//   swift run -c release fieldreport-store-bench [--commits N] [--large | --cases N] [--dir PATH] [--keep]
//   swift run -c release fieldreport-store-bench --codec N
//
// 1. Commits/s of single actions (a reassignment: case update + journal entry) through the
//    store, 1 in flight and 64 in flight (group commit), beside a bare loop inserting one
//    ~250-byte row per transaction with the same pragmas.
// 2. Inbox-query latency p50/p99 through the store at 10k cases, and at 1M with --large
//    (the generator fills the file in transactions of 5,000 cases).
// --codec N instead times the body format alone (no database): encoding and decoding a case
// at four points of its life (received, dispatched, assigned, result submitted) and its
// journal entries, N times each, beside copying the encoded bytes (the reference).
import Foundation
@_spi(Benchmark) import FieldReportStore
import FieldReportWorkflow

struct Options {
  var commits = 5_000
  var large = false
  /// The case count of the large table (`--cases`, default 1M).
  var largeCount = 1_000_000
  /// `--codec N`: only the body format's timings, N iterations.
  var codecIterations: Int?
  var directory = FileManager.default.temporaryDirectory.appendingPathComponent("fieldreport-store-bench").path

  init(_ arguments: [String]) {
    var iterator = arguments.dropFirst().makeIterator()
    while let argument = iterator.next() {
      switch argument {
      case "--commits": commits = iterator.next().flatMap(Int.init) ?? commits
      case "--large": large = true
      case "--cases":
        largeCount = iterator.next().flatMap(Int.init) ?? largeCount
        large = true
      case "--keep": break
      case "--codec": codecIterations = iterator.next().flatMap(Int.init) ?? 20_000
      case "--dir": directory = iterator.next() ?? directory
      default:
        print("usage: fieldreport-store-bench [--commits N] [--large | --cases N] [--dir PATH] [--keep] | --codec N")
        exit(2)
      }
    }
  }
}

// MARK: A province for the generator

let ioc = Unit(id: "ioc", name: "Trung tâm IOC", kind: .ioc)
let handlingUnits = (1...20).map { Unit(id: UnitID("unit-\($0)"), name: "Đơn vị \($0)", kind: .communeWard, parentID: ioc.id) }
let operatorUser = User(id: "ioc-operator", fullName: "Điều Phối Viên", kind: .staff, homeUnitID: ioc.id)
let platform = User(id: "platform", fullName: "Nền tảng", kind: .serviceAccount)
let leaders = handlingUnits.map { User(id: UserID("leader-\($0.id)"), fullName: "Lãnh Đạo \($0.name)", kind: .staff, homeUnitID: $0.id) }
let officers = handlingUnits.flatMap { unit in
  (1...5).map { User(id: UserID("officer-\(unit.id)-\($0)"), fullName: "Cán Bộ \($0) \(unit.name)", kind: .staff, homeUnitID: unit.id) }
}
func approved(_ user: User, _ role: RoleGrant.Role, _ unit: UnitID) -> RoleGrant {
  RoleGrant(id: RoleGrantID("\(user.id)@\(unit)"), userID: user.id, unitID: unit, role: role, status: .approved,
    requestedAt: Timestamp(millisecondsSince1970: 0))
}
let grants = [approved(operatorUser, .iocOperator, ioc.id)]
  + zip(leaders, handlingUnits).map { approved($0, .leader, $1.id) }
  + officers.map { approved($0, .officer, $0.homeUnitID ?? ioc.id) }
let categories = [
  Category(id: "moi-truong", name: "Môi trường"), Category(id: "trat-tu-do-thi", name: "Trật tự đô thị"),
  Category(id: "trat-tu-cong-cong", name: "Trật tự công cộng"),
]
let directory = Directory(
  units: [ioc] + handlingUnits, users: [operatorUser, platform] + leaders + officers, grants: grants,
  categories: categories)
// 1 January 2026, 00:00 in Hà Nội.
let epoch = Timestamp(millisecondsSince1970: 1_767_200_400_000)

func seed(_ store: SQLiteFieldReportStore) async throws {
  for unit in [ioc] + handlingUnits { try await store.createUnit(unit) }
  for user in directory.users.values.sorted(by: { $0.id < $1.id }) {
    try await store.createUser(UserAccount(user: user, username: nil, credentials: nil))
  }
  for grant in grants { try await store.createRoleGrant(grant) }
  for category in categories { try await store.createCategory(category) }
}

func submission(_ index: Int, at now: Timestamp) -> @Sendable (CaseID, ReportCode) throws -> Transition {
  { id, code in
    let report = NewReport(
      iocUnitID: ioc.id, reporter: Case.Reporter(fullName: "Công Dân \(index)"),
      categoryID: categories[index % categories.count].id, title: "Phản ánh số \(index) về trật tự",
      description: "Mô tả sự việc tại địa bàn, số \(index).", location: Case.Location(address: "\(index % 300) Ngô Quyền"),
      isPublic: index % 4 != 0)
    return try CaseWorkflow.submit(report, caseID: id, reportCode: code, by: Actor(user: platform, grants: []), now: now, directory: directory).get()
  }
}

func decide(_ user: User, _ action: CaseAction, _ current: Case, at now: Timestamp) throws -> Transition {
  let actor = Actor(user: user, grants: grants.filter { $0.userID == user.id })
  return try CaseWorkflow.decide(current, by: actor, command: CaseCommand(expectedVersion: current.version, action: action, content: "Xử lý"), now: now, directory: directory).get()
}

/// Fills the store with `count` cases: a third stay at the IOC, a third are at a unit,
/// a third are assigned to an officer; due dates spread so that some are overdue.
func generate(_ store: SQLiteFieldReportStore, count: Int, from start: Int) async throws {
  let batch = 5_000
  var index = start
  while index < start + count {
    let n = min(batch, start + count - index)
    let times = (0..<n).map { epoch.adding(milliseconds: Int64(index + $0) * 20_000) }
    let created = try await store.bulkCreateForBenchmark(receivedAt: times, build: { id, code in
      // The closure sees only the id and code: the receipt time is recovered within the code's day.
      let offset = min(Int64(code.sequence) * 20_000, Timestamp.millisecondsPerDay - 1)
      return try submission(code.sequence, at: code.day.start.adding(milliseconds: offset))(id, code)
    })
    var dispatches: [Transition] = []
    for (offset, result) in created.enumerated() where (index + offset) % 3 != 0 {
      let unit = handlingUnits[(index + offset) % handlingUnits.count]
      let now = result.storedCase.receivedAt.adding(milliseconds: 3_600_000)
      dispatches.append(try decide(operatorUser, .dispatch(DispatchOrder(unit: unit.id, due: now.adding(days: 1 + Int64((index + offset) % 20)))), result.storedCase, at: now))
    }
    try await store.bulkApplyForBenchmark(dispatches)
    var assignments: [Transition] = []
    for (offset, transition) in dispatches.enumerated() where offset % 2 == 0 {
      let c = transition.newCase
      guard let unitIndex = handlingUnits.firstIndex(where: { $0.id == c.currentUnitID }) else { continue }
      let officer = officers[unitIndex * 5 + (offset / 2) % 5]
      assignments.append(try decide(leaders[unitIndex], .assign(AssignmentOrder(mainHandler: officer.id)), c, at: c.updatedAt.adding(milliseconds: 60_000)))
    }
    try await store.bulkApplyForBenchmark(assignments)
    index += n
  }
}

func percentile(_ sorted: [Double], _ p: Double) -> Double {
  guard !sorted.isEmpty else { return 0 }
  return sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
}

func microseconds(_ duration: Duration) -> Double {
  Double(duration.components.seconds) * 1e6 + Double(duration.components.attoseconds) / 1e12
}

func measureQueries(_ store: SQLiteFieldReportStore, label: String, iterations: Int) async throws -> [(String, Double, Double, Int)] {
  let now = epoch.adding(days: 12)
  let queries: [(String, CaseQuery)] = [
    ("unit inbox (unit + state at_unit)", CaseQuery(currentUnit: handlingUnits[3].id, states: [.atUnit], limit: 50)),
    ("my cases (holder = officer)", CaseQuery(heldBy: officers[7].id, limit: 50)),
    ("unit overdue (unit + overdue)", CaseQuery(currentUnit: handlingUnits[5].id, overdueAt: now, limit: 50)),
    ("IOC received + category", CaseQuery(currentUnit: ioc.id, states: [.received], category: categories[1].id, limit: 50)),
  ]
  var rows: [(String, Double, Double, Int)] = []
  for (name, query) in queries {
    var samples: [Double] = []
    var returned = 0
    let clock = ContinuousClock()
    for i in 0..<iterations {
      var q = query
      // Every other call asks for page 2 (cursor paging).
      if i % 2 == 1, let cursor = try await store.listCases(query).nextCursor { q.after = cursor }
      let start = clock.now
      let page = try await store.listCases(q)
      samples.append(microseconds(clock.now - start))
      returned = max(returned, page.cases.count)
    }
    samples.sort()
    rows.append(("\(label) \(name)", percentile(samples, 0.5), percentile(samples, 0.99), returned))
  }
  return rows
}

let options = Options(CommandLine.arguments)

/// The body format alone: microseconds per encode and decode of a case as it grows, and of its
/// journal entries, beside a copy of the same bytes.
func codecBenchmark(iterations: Int) throws {
  let submitted = try submission(7, at: epoch)(CaseID("codec-case"), ReportCode.make(dayOf: epoch, sequence: 7))
  let unit = handlingUnits[0]
  let dispatched = try decide(
    operatorUser, .dispatch(DispatchOrder(unit: unit.id, due: epoch.adding(days: 5))), submitted.newCase,
    at: epoch.adding(milliseconds: 3_600_000))
  let assigned = try decide(
    leaders[0], .assign(AssignmentOrder(mainHandler: officers[0].id)), dispatched.newCase,
    at: epoch.adding(milliseconds: 7_200_000))
  let resulted = try decide(
    officers[0], .submitResult(nextHandler: nil, outputProduct: nil), assigned.newCase,
    at: epoch.adding(milliseconds: 10_800_000))
  let clock = ContinuousClock()
  func time(_ body: () throws -> Void) rethrows -> Double {
    let start = clock.now
    for _ in 0..<iterations { try body() }
    return microseconds(clock.now - start) / Double(iterations)
  }
  print("| value | bytes | encode µs | decode µs | copy µs (reference) |")
  print("|---|---:|---:|---:|---:|")
  for (label, transition) in [("received", submitted), ("dispatched", dispatched), ("assigned", assigned), ("result submitted", resulted)] {
    let bytes = try EntityCoding.encode(transition.newCase)
    var sink = 0
    let encode = try time { sink &+= try EntityCoding.encode(transition.newCase).count }
    let decode = try time { sink &+= try EntityCoding.decode(Case.self, from: bytes, what: "case").version == 0 ? 1 : 0 }
    let copy = time { sink &+= Array(bytes[...]).count }
    print("| case, \(label) | \(bytes.count) | \(String(format: "%.2f", encode)) | \(String(format: "%.2f", decode)) | \(String(format: "%.3f", copy)) |")
    let entryBytes = try EntityCoding.encode(transition.entry)
    let entryEncode = try time { sink &+= try EntityCoding.encode(transition.entry).count }
    let entryDecode = try time {
      sink &+= try EntityCoding.decode(JournalEntry.self, from: entryBytes, what: "entry").sequence == 0 ? 1 : 0
    }
    print("| journal entry, \(label) | \(entryBytes.count) | \(String(format: "%.2f", entryEncode)) | \(String(format: "%.2f", entryDecode)) | |")
    if sink == 42 { print("") }
  }
}

if let iterations = options.codecIterations {
  try codecBenchmark(iterations: iterations)
  exit(0)
}
if !CommandLine.arguments.contains("--keep") { try? FileManager.default.removeItem(atPath: options.directory) }
try FileManager.default.createDirectory(atPath: options.directory, withIntermediateDirectories: true)
print("fieldreport-store-bench: files in \(options.directory)")

// MARK: 1. Commits

let bareNanoseconds = try BareSQLiteBenchmark.singleRowInserts(path: options.directory + "/bare.sqlite", rows: options.commits)
let bareRate = Double(options.commits) / (Double(bareNanoseconds) / 1e9)

let commitStore = try await SQLiteFieldReportStore(path: options.directory + "/commits.sqlite")
try await seed(commitStore)
let clock = ContinuousClock()

/// Runs `count` reassignments (same people: a constant-size case body) on a fresh case; returns the microseconds spent in the workflow's
/// decisions (the caller's share, not the store's).
@discardableResult
func actionLoop(_ store: SQLiteFieldReportStore, caseIndex: Int, count: Int) async throws -> Double {
  let created = try await store.createCase(receivedAt: epoch, idempotencyKey: nil, build: submission(caseIndex, at: epoch))
  var current = created.storedCase
  current = try await store.apply(try decide(operatorUser, .dispatch(DispatchOrder(unit: handlingUnits[0].id)), current, at: epoch), expectedVersion: current.version, idempotencyKey: nil).storedCase
  current = try await store.apply(try decide(leaders[0], .assign(AssignmentOrder(mainHandler: officers[0].id)), current, at: epoch), expectedVersion: current.version, idempotencyKey: nil).storedCase
  var deciding = 0.0
  for _ in 0..<count {
    let before = clock.now
    let transition = try decide(leaders[0], .reassign(AssignmentOrder(mainHandler: officers[0].id)), current, at: epoch)
    deciding += microseconds(clock.now - before)
    current = try await store.apply(transition, expectedVersion: current.version, idempotencyKey: nil).storedCase
  }
  return deciding
}

var start = clock.now
let decidingMicroseconds = try await actionLoop(commitStore, caseIndex: 0, count: options.commits)
let serialMicroseconds = microseconds(clock.now - start)
let serialRate = Double(options.commits) / (serialMicroseconds / 1e6)
let storeOnlyRate = Double(options.commits) / ((serialMicroseconds - decidingMicroseconds) / 1e6)

let inFlight = 64
let perTask = max(1, options.commits / inFlight)
start = clock.now
try await withThrowingTaskGroup(of: Void.self) { group in
  for task in 0..<inFlight {
    group.addTask { try await actionLoop(commitStore, caseIndex: task + 1, count: perTask) }
  }
  try await group.waitForAll()
}
let concurrentRate = Double(perTask * inFlight) / (microseconds(clock.now - start) / 1e6)
await commitStore.close()

print("")
print("Commits (\(options.commits) each; ~250 B rows; WAL, synchronous=NORMAL)")
print(String(format: "  bare SQLite, 1 row per transaction:          %9.0f commits/s", bareRate))
print(String(format: "  store apply (save draft), 1 in flight:       %9.0f commits/s  (%.0f%% of bare)", serialRate, serialRate / bareRate * 100))
print(String(format: "    of which in the store (workflow decision excluded): %5.0f commits/s", storeOnlyRate))
print(String(format: "  store apply (save draft), 64 in flight:      %9.0f commits/s  (%.0f%% of bare; group commit)", concurrentRate, concurrentRate / bareRate * 100))

// MARK: 2. Inbox queries

let queryStore = try await SQLiteFieldReportStore(path: options.directory + "/inbox.sqlite")
try await seed(queryStore)
start = clock.now
try await generate(queryStore, count: 10_000, from: 0)
print("")
print(String(format: "Generated 10,000 cases in %.1f s", microseconds(clock.now - start) / 1e6))
var results = try await measureQueries(queryStore, label: "10k", iterations: 400)
if options.large && options.largeCount > 10_000 {
  start = clock.now
  try await generate(queryStore, count: options.largeCount - 10_000, from: 10_000)
  print(String(format: "Generated %d more cases in %.1f s", options.largeCount - 10_000, microseconds(clock.now - start) / 1e6))
  let label = options.largeCount % 1_000_000 == 0 ? "\(options.largeCount / 1_000_000)M" : "\(options.largeCount / 1_000)k"
  results += try await measureQueries(queryStore, label: label, iterations: 400)
}
await queryStore.close()
print("")
print("Inbox queries through the store (50 per page, decoded cases; µs)")
print("  query                                              p50       p99   rows")
for (name, p50, p99, rows) in results {
  print(String(format: "  %@ %9.0f %9.0f %6d", name.padding(toLength: 46, withPad: " ", startingAt: 0), p50, p99, rows))
}
if !CommandLine.arguments.contains("--keep") { try? FileManager.default.removeItem(atPath: options.directory) }
