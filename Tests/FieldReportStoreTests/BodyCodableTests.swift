import Foundation
import Testing

@_spi(Testing) @testable import FieldReportStore
import FieldReportWorkflow

/// The codecs written for the body format (``BodyCodable``) against the `Codable` path they
/// replace (``BodyEncoder``, ``BodyDecoder``), over random cases and journal entries with every
/// optional both set and unset and every enum case.
@Suite("Body codecs written for the format")
struct BodyCodableTests {
  /// Random values of every type in a case or a journal entry.
  struct Values {
    var generator: SeededGenerator

    mutating func chance() -> Bool { Bool.random(using: &generator) }
    mutating func maybe<T>(_ make: (inout Values) -> T) -> T? { chance() ? make(&self) : nil }
    mutating func list<T>(_ make: (inout Values) -> T) -> [T] {
      (0..<Int.random(in: 0...3, using: &generator)).map { _ in make(&self) }
    }
    mutating func pick<T>(_ choices: [T]) -> T { choices.randomElement(using: &generator)! }

    mutating func text() -> String {
      pick(["", "a", "Rác thải 🗑️ tại 12 Nguyễn Du — \"khẩn\"", String(repeating: "đường ", count: 40), "x\u{0}y"])
    }
    mutating func id<E>() -> Identifier<E> { Identifier(pick(["u1", "", "01JABCDEFGHJKMNPQRSTVWXYZ0", "đơn-vị/3"])) }
    mutating func time() -> Timestamp {
      Timestamp(millisecondsSince1970: pick([0, -1, 1_767_225_600_000, .max, .min, Int64.random(in: -1...1 << 45, using: &generator)]))
    }
    mutating func code() -> ReportCode { ReportCode(rawValue: pick(["060326001", "311299999", "010100001"]))! }
    mutating func attachment() -> AttachmentRef {
      AttachmentRef(sha256Hex: text(), size: pick([0, 1, .max, -5]), name: text(), mimeType: text())
    }
    mutating func output() -> OutputProduct { OutputProduct(kind: pick(OutputProduct.Kind.allCases), number: text()) }
    mutating func hold() -> ClockHold {
      ClockHold(
        kind: pick(ClockHold.Kind.allCases), reason: text(), heldBy: id(), heldAt: time(),
        resumedBy: maybe { $0.id() }, resumedAt: maybe { $0.time() })
    }
    mutating func task() -> UnitTask {
      var task = UnitTask(
        id: id(), caseID: id(), unitID: id(), taskType: pick(UnitTask.TaskType.allCases), receivedAt: time(),
        start: time(), due: time(), completedAt: maybe { $0.time() }, outcome: maybe { $0.pick(UnitTask.Outcome.allCases) },
        title: maybe { $0.text() }, returnBy: maybe { $0.time() })
      task.holds = list { $0.hold() }
      task.returnOutsideCompetence = maybe { $0.chance() }
      return task
    }
    mutating func assignment() -> Assignment {
      Assignment(
        mainHandler: id(), coordinators: list { $0.id() }, followers: list { $0.id() }, start: time(), due: time(),
        outputProduct: maybe { $0.output() }, doNotPublish: chance(), assignedBy: id(), assignedAt: time())
    }
    mutating func holder() -> Holder {
      switch Int.random(in: 0..<4, using: &generator) {
      case 0: .unit(id())
      case 1: .person(id(), unit: id())
      case 2: .recipients(list { $0.id() }, unit: id())
      default: .nobody
      }
    }
    mutating func reporter() -> Case.Reporter {
      Case.Reporter(userID: maybe { $0.id() }, fullName: text(), phone: text(), email: text())
    }
    mutating func location() -> Case.Location {
      Case.Location(address: text(), latitude: maybe { $0.pick([0, -0.0, 18.342, .infinity]) }, longitude: maybe { _ in 105.9 })
    }

    mutating func makeCase() -> Case {
      Case(
        id: id(), reportCode: code(), version: pick([1, 7, .max]), state: pick(CaseState.allCases), holder: holder(),
        iocUnitID: id(), currentUnitID: id(), unitsPassedThrough: list { $0.id() }, reporter: reporter(),
        submittedBy: id(), categoryID: id(), title: text(), description: text(), location: location(),
        isPublic: chance(), reportAttachments: list { $0.attachment() }, linkedCaseID: maybe { $0.id() },
        reportedAt: time(), receivedAt: time(), updatedAt: time(), stepReceivedAt: time(), stepDue: maybe { $0.time() },
        tasks: list { $0.task() }, assignment: maybe { $0.assignment() },
        contributions: list { Case.Note(author: $0.id(), content: $0.text(), attachments: $0.list { $0.attachment() }, at: $0.time()) },
        result: maybe {
          Case.Result(
            content: $0.text(), attachments: $0.list { $0.attachment() }, submittedBy: $0.id(), submittedAt: $0.time(),
            outputProduct: $0.maybe { $0.output() }, cannotBeResolvedReason: $0.maybe { $0.text() })
        },
        monitoring: maybe {
          Case.Monitoring(
            recipients: $0.list { $0.id() }, groupID: $0.maybe { $0.id() },
            acknowledgements: $0.list { Case.Monitoring.Acknowledgement(userID: $0.id(), at: $0.time()) },
            transferredBy: $0.id(), transferredAt: $0.time())
        },
        previousStep: maybe {
          Case.StepSummary(
            actor: $0.id(), actorUnit: $0.maybe { $0.id() }, action: $0.pick(ActionKind.allCases), at: $0.time(),
            content: $0.text())
        },
        rejection: maybe {
          Case.Rejection(
            reason: $0.pick(RejectionReason.allCases), at: $0.time(), duplicateOf: $0.maybe { $0.id() },
            routedTo: $0.maybe { $0.text() })
        },
        publication: maybe { Case.Publication(publicly: $0.chance(), at: $0.time(), text: $0.maybe { $0.text() }) },
        platformReference: maybe { $0.text() })
    }

    mutating func event(_ number: Int) -> JournalEvent {
      switch number {
      case 0:
        .submitted(
          CaseSubmission(
            caseID: id(), reportCode: code(), iocUnitID: id(), reporter: reporter(), categoryID: id(), title: text(),
            description: text(), location: location(), isPublic: chance(), linkedCaseID: maybe { $0.id() },
            reportedAt: time(), platformReference: maybe { $0.text() }, reopenedTask: maybe { $0.task() }))
      case 1: .dispatched(unit: id(), leader: maybe { $0.id() }, task: task(), returnOutsideCompetence: maybe { $0.chance() })
      case 2:
        .rejected(
          reason: pick(RejectionReason.allCases), duplicateOf: maybe { $0.id() }, routedTo: maybe { $0.text() },
          returnOutsideCompetence: maybe { $0.chance() })
      case 3: .returnedToIoc
      case 4: .assigned(assignment())
      case 5: .reassigned(assignment())
      case 6: .transferredForMonitoring(recipients: list { $0.id() }, group: maybe { $0.id() })
      case 7: .monitoringAcknowledged
      case 8: .monitoringClosed
      case 9: .draftSaved
      case 10: .resultSubmitted(nextHandler: maybe { $0.id() }, outputProduct: maybe { $0.output() }, cannotBeResolved: maybe { $0.text() })
      case 11: .contributionAdded
      case 12: .approved
      case 13: .returnedToOfficer(officer: id(), newDue: maybe { $0.time() })
      case 14: .sentBackToUnit(handler: id(), newDue: maybe { $0.time() })
      case 15: .published(publicly: chance(), text: maybe { $0.text() })
      case 16: .clockHeld(kind: pick(ClockHold.Kind.allCases))
      default: .clockResumed
      }
    }
    static let eventCount = 18

    mutating func entry(_ number: Int) -> JournalEntry {
      JournalEntry(
        caseID: id(), sequence: pick([1, 2, .max]), actor: id(), actorUnit: maybe { $0.id() },
        fromState: maybe { $0.pick(CaseState.allCases) }, toState: pick(CaseState.allCases), fromHolder: maybe { $0.holder() },
        toHolder: holder(), content: text(), attachments: list { $0.attachment() }, notify: chance(), at: time(),
        event: event(number))
    }
  }

  /// Both paths write the same bytes and read each other's.
  static func agree<T: BodyCodable & Codable & Equatable>(_ value: T) throws {
    let written = try T.encodeBody(value)
    let synthesized = try BodyEncoder.encode(value)
    let same = written == synthesized  // compared outside #expect: it would print both bodies
    #expect(same, "\(T.self): the written codec's \(written.count) bytes differ from Codable's \(synthesized.count)")
    #expect(try T.decodeBody(synthesized) == value)
    #expect(try BodyDecoder.decode(T.self, from: written) == value)
  }

  @Test("random cases and journal entries: the same bytes as Codable, read back by both")
  func agreesWithCodable() throws {
    var values = Values(generator: SeededGenerator(state: 20261203))
    for round in 0..<400 {
      try Self.agree(values.makeCase())
      try Self.agree(values.entry(round % Values.eventCount))
    }
  }

  @Test("EntityCoding uses the written codecs for cases and entries, and still reads JSON rows")
  func entityCoding() throws {
    var values = Values(generator: SeededGenerator(state: 7))
    let value = values.makeCase()
    #expect(try EntityCoding.encode(value) == BodyEncoder.encode(value))
    #expect(try EntityCoding.decode(Case.self, from: EntityCoding.encodeLegacyJSON(value), what: "case") == value)
    let entry = values.entry(1)
    #expect(try EntityCoding.decode(JournalEntry.self, from: EntityCoding.encodeLegacyJSON(entry), what: "entry") == entry)
  }

  @Test("a missing required key, a wrong type, an unknown enum case or a bad report code throws")
  func refusesWhatCodableRefuses() throws {
    var values = Values(generator: SeededGenerator(state: 11))
    let value = values.makeCase()
    struct Partial: Codable { var id: String; var version: Int64 }
    let partial = try BodyEncoder.encode(Partial(id: "c1", version: 1))
    #expect(throws: DecodingError.self) { try Case.decodeBody(partial) }
    #expect(throws: DecodingError.self) { try BodyDecoder.decode(Case.self, from: partial) }
    struct BadHolder: Codable { var elsewhere: [String: String] }
    let badHolder = try BodyEncoder.encode(BadHolder(elsewhere: [:]))
    #expect(throws: DecodingError.self) { try Holder.decodeBody(badHolder) }
    #expect(throws: DecodingError.self) { try BodyDecoder.decode(Holder.self, from: badHolder) }
    #expect(throws: DecodingError.self) { try ReportCode.decodeBody(BodyEncoder.encode("not a code")) }
    #expect(throws: DecodingError.self) { try Timestamp.decodeBody(BodyEncoder.encode("soon")) }
    // Unknown keys are skipped, as Codable skips them.
    struct Extra: Codable { var sha256Hex = "ab", size: Int64 = 3, extra = [1, 2], name = "n", mimeType = "m" }
    let extra = try AttachmentRef.decodeBody(BodyEncoder.encode(Extra()))
    #expect(extra == AttachmentRef(sha256Hex: "ab", size: 3, name: "n", mimeType: "m"))
    // Every truncation throws; byte flips throw or decode, never trap.
    let body = try Case.encodeBody(value)
    for length in 0..<body.count {
      #expect(throws: DecodingError.self) { try Case.decodeBody(Array(body.prefix(length))) }
    }
    for index in body.indices {
      var bad = body
      bad[index] ^= 0xFF
      _ = try? Case.decodeBody(bad)
    }
  }
}

/// The written codecs' key lists against the types' stored properties, read by reflection: a
/// property added to an entity (even an optional the random values never set) or moved must
/// be added to its codec, or this fails. Synthesized `Codable` keys are the stored properties
/// in declaration order.
@Suite("Body codecs cover every stored property")
struct BodyCodableCoverageTests {
  static func labels(_ value: Any) -> [String] {
    Mirror(reflecting: value).children.map { $0.label ?? "?" }
  }

  static func names(_ keys: BodyKeys) -> [String] { keys.names.map { "\($0)" } }

  /// `Case` and `JournalEntry` keep their fields in a box (`storage.fields`).
  static func boxedFields(_ value: Any) -> Any {
    let storage = Mirror(reflecting: value).children.first { $0.label == "storage" }!.value
    return Mirror(reflecting: storage).children.first { $0.label == "fields" }!.value
  }

  @Test("each struct's keys are its stored properties, in order")
  func structs() {
    var values = BodyCodableTests.Values(generator: SeededGenerator(state: 5))
    let c = values.makeCase()
    let entry = values.entry(0)
    #expect(Self.labels(Self.boxedFields(c)) == Self.names(Case.keys))
    #expect(Self.labels(Self.boxedFields(entry)) == Self.names(JournalEntry.keys))
    #expect(Self.labels(values.reporter()) == Self.names(Case.Reporter.keys))
    #expect(Self.labels(values.location()) == Self.names(Case.Location.keys))
    #expect(Self.labels(values.task()) == Self.names(UnitTask.keys))
    #expect(Self.labels(values.hold()) == Self.names(ClockHold.keys))
    #expect(Self.labels(values.assignment()) == Self.names(Assignment.keys))
    #expect(Self.labels(values.attachment()) == Self.names(AttachmentRef.keys))
    #expect(Self.labels(values.output()) == Self.names(OutputProduct.keys))
    let at = Timestamp(millisecondsSince1970: 0)
    #expect(Self.labels(Case.Result(content: "", attachments: [], submittedBy: "u", submittedAt: at)) == Self.names(Case.Result.keys))
    #expect(Self.labels(Case.Note(author: "u", content: "", attachments: [], at: at)) == Self.names(Case.Note.keys))
    #expect(
      Self.labels(Case.Monitoring(recipients: [], groupID: nil, transferredBy: "u", transferredAt: at))
        == Self.names(Case.Monitoring.keys))
    #expect(Self.labels(Case.Monitoring.Acknowledgement(userID: "u", at: at)) == Self.names(Case.Monitoring.Acknowledgement.keys))
    #expect(
      Self.labels(Case.StepSummary(actor: "u", actorUnit: nil, action: .submit, at: at, content: ""))
        == Self.names(Case.StepSummary.keys))
    #expect(Self.labels(Case.Rejection(reason: .spam, at: at)) == Self.names(Case.Rejection.keys))
    #expect(Self.labels(Case.Publication(publicly: true, at: at)) == Self.names(Case.Publication.keys))
    guard case .submitted(let submission) = values.event(0) else { Issue.record("not a submission"); return }
    #expect(Self.labels(submission) == Self.names(CaseSubmission.keys))
  }

  @Test("each enum case's name and associated-value labels are its codec's")
  func enums() {
    var values = BodyCodableTests.Values(generator: SeededGenerator(state: 6))
    let keysByCase: [String: BodyKeys?] = [
      "dispatched": JournalEvent.dispatchedKeys, "rejected": JournalEvent.rejectedKeys,
      "transferredForMonitoring": JournalEvent.transferKeys, "resultSubmitted": JournalEvent.resultKeys,
      "returnedToOfficer": JournalEvent.officerKeys, "sentBackToUnit": JournalEvent.handlerKeys,
      "published": JournalEvent.publishedKeys, "clockHeld": JournalEvent.heldKeys,
    ]
    for number in 0..<BodyCodableTests.Values.eventCount {
      let event = values.event(number)
      let name = Self.names(JournalEvent.cases)[number]
      let child = Mirror(reflecting: event).children.first
      // A case without associated values has no child; its label is the value's description.
      #expect((child?.label ?? "\(event)") == name)
      if let keys = keysByCase[name] ?? nil, let payload = child?.value {
        #expect(Self.labels(payload) == Self.names(keys), "\(name)")
      }
    }
    #expect(Self.names(JournalEvent.cases).count == BodyCodableTests.Values.eventCount)
    let holders: [Holder] = [.unit("u"), .person("p", unit: "u"), .recipients([], unit: "u"), .nobody]
    for (holder, name) in zip(holders, Self.names(Holder.cases)) {
      #expect((Mirror(reflecting: holder).children.first?.label ?? "\(holder)") == name)
    }
  }
}

/// The decoded cache's bound on journal entries (``DecodedCache/journalEntryBudget``).
@Suite("Decoded cache: journals bounded by their entries")
struct DecodedCacheBudgetTests {
  static func journal(_ count: Int, of id: CaseID) -> [StoredJournalEntry] {
    var values = BodyCodableTests.Values(generator: SeededGenerator(state: UInt64(count)))
    let entry = values.entry(3)
    return (0..<count).map { StoredJournalEntry(eventSequence: Int64($0), entry: entry, previousHashHex: "", hashHex: "\(id)-\($0)") }
  }

  @Test("a generation holds at most the budget's entries; a longer journal is not kept; lookups stay right")
  func budget() {
    let cache = DecodedCache(capacity: 100, journalEntryBudget: 50)
    for n in 0..<40 {
      let id = CaseID("c\(n)")
      cache.insertJournal(Self.journal(10, of: id), for: id)
      #expect(cache.heldJournalEntries <= 2 * 50)
    }
    // The latest journals are still there, whole; the oldest were dropped with their generation.
    #expect(cache.journal(CaseID("c39")).count == 10)
    #expect(cache.journal(CaseID("c0")).isEmpty)
    // Over the budget alone: not kept, and nothing else is dropped for it.
    let before = cache.heldJournalEntries
    cache.insertJournal(Self.journal(51, of: "long"), for: "long")
    #expect(cache.journal("long").isEmpty)
    #expect(cache.heldJournalEntries == before)
    // A journal that grows by replacement is counted once.
    let growing = CaseID("growing")
    for length in 1...30 {
      cache.insertJournal(Self.journal(length, of: growing), for: growing)
      #expect(cache.heldJournalEntries <= 2 * 50)
      #expect(cache.journal(growing).count == length)
    }
  }

  @Test("by default the budget is 16 entries per case of capacity, and long journals stay bounded")
  func defaultBudget() {
    let cache = DecodedCache(capacity: 64)
    #expect(cache.journalEntryBudget == 64 * DecodedCache.journalEntriesPerCase)
    for n in 0..<500 {
      let id = CaseID("c\(n)")
      cache.insertJournal(Self.journal(200, of: id), for: id)
    }
    #expect(cache.heldJournalEntries <= 2 * cache.journalEntryBudget)
  }
}

@Suite("Reading a page's rows by rowid")
struct FindByRowidTests {
  @Test("the kept statement for each page width is the one built for it, placeholders and all")
  func keptTexts() {
    for width in [8, 16, 32, 64, 128, 256, 512, 12] {
      let sql = CaseRows.findByRowidSQL(width: width)
      #expect(sql.filter { $0 == "?" }.count == width, "\(width)")
      #expect(sql.hasPrefix("SELECT c.rowid, \(CaseRows.cachedCaseColumns) FROM cases c WHERE c.rowid IN ("))
    }
  }
}
