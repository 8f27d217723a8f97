import FieldReportWorkflow

// The body-format codecs of a case and a journal entry and everything in them, written out
// (see ``BodyCodable`` for why, and for the rule they keep: the bytes of the synthesized
// `Codable` conformances). Each type's keys are listed once, in declaration order, and the
// positions used below are positions in that list.

extension Identifier: BodyCodable {
  // Not through ``BodyCodableRawString``: its generic `Self(rawValue:)` made every identifier
  // read look up `Identifier<Entity>`'s metadata at run time (6 % of a decode, perf).
  func write(to body: BodyWriter) { body.writeString(rawValue) }
  init(body: BodyReader, at index: Int) throws { self.init(rawValue: try body.readString(at: index)) }
}
extension ReportCode: BodyCodableRawString {}
extension CaseState: BodyCodableRawString {}
extension ActionKind: BodyCodableRawString {}
extension RejectionReason: BodyCodableRawString {}
extension UnitTask.TaskType: BodyCodableRawString {}
extension UnitTask.Outcome: BodyCodableRawString {}
extension ClockHold.Kind: BodyCodableRawString {}
extension OutputProduct.Kind: BodyCodableRawString {}

extension Timestamp: BodyCodable {
  func write(to body: BodyWriter) { body.writeSigned(millisecondsSince1970) }
  init(body: BodyReader, at index: Int) throws {
    self.init(millisecondsSince1970: try body.readInteger(Int64.self, at: index))
  }
}

extension AttachmentRef: BodyCodable {
  static let keys = BodyKeys("sha256Hex", "size", "name", "mimeType")

  func write(to body: BodyWriter) {
    body.keyed { k in
      k("sha256Hex", sha256Hex)
      k("size", size)
      k("name", name)
      k("mimeType", mimeType)
    }
  }

  init(body: BodyReader, at index: Int) throws {
    let keys = Self.keys
    let e = try body.entries(at: index, keys)
    self.init(
      sha256Hex: try body.required(e, 0, keys), size: try body.required(e, 1, keys),
      name: try body.required(e, 2, keys), mimeType: try body.required(e, 3, keys))
  }
}

extension OutputProduct: BodyCodable {
  static let keys = BodyKeys("kind", "number")

  func write(to body: BodyWriter) {
    body.keyed { k in
      k("kind", kind)
      k("number", number)
    }
  }

  init(body: BodyReader, at index: Int) throws {
    let keys = Self.keys
    let e = try body.entries(at: index, keys)
    self.init(kind: try body.required(e, 0, keys), number: try body.required(e, 1, keys))
  }
}

extension ClockHold: BodyCodable {
  static let keys = BodyKeys("kind", "reason", "heldBy", "heldAt", "resumedBy", "resumedAt")

  func write(to body: BodyWriter) {
    body.keyed { k in
      k("kind", kind)
      k("reason", reason)
      k("heldBy", heldBy)
      k("heldAt", heldAt)
      k("resumedBy", resumedBy)
      k("resumedAt", resumedAt)
    }
  }

  init(body: BodyReader, at index: Int) throws {
    let keys = Self.keys
    let e = try body.entries(at: index, keys)
    self.init(
      kind: try body.required(e, 0, keys), reason: try body.required(e, 1, keys),
      heldBy: try body.required(e, 2, keys), heldAt: try body.required(e, 3, keys),
      resumedBy: try body.optional(e, 4), resumedAt: try body.optional(e, 5))
  }
}

extension UnitTask: BodyCodable {
  static let keys = BodyKeys(
    "id", "caseID", "unitID", "taskType", "receivedAt", "start", "due", "completedAt", "outcome", "title",
    "returnBy", "clockHolds", "returnOutsideCompetence")

  func write(to body: BodyWriter) {
    body.keyed { k in
      k("id", id)
      k("caseID", caseID)
      k("unitID", unitID)
      k("taskType", taskType)
      k("receivedAt", receivedAt)
      k("start", start)
      k("due", due)
      k("completedAt", completedAt)
      k("outcome", outcome)
      k("title", title)
      k("returnBy", returnBy)
      // The stored `clockHolds` is nil when there are none (``UnitTask/holds`` keeps it so).
      k("clockHolds", holds.isEmpty ? nil : holds)
      k("returnOutsideCompetence", returnOutsideCompetence)
    }
  }

  init(body: BodyReader, at index: Int) throws {
    let keys = Self.keys
    let e = try body.entries(at: index, keys)
    self.init(
      id: try body.required(e, 0, keys), caseID: try body.required(e, 1, keys),
      unitID: try body.required(e, 2, keys), taskType: try body.required(e, 3, keys),
      receivedAt: try body.required(e, 4, keys), start: try body.required(e, 5, keys),
      due: try body.required(e, 6, keys), completedAt: try body.optional(e, 7), outcome: try body.optional(e, 8),
      title: try body.optional(e, 9), returnBy: try body.optional(e, 10))
    if let holds: [ClockHold] = try body.optional(e, 11) { self.holds = holds }
    returnOutsideCompetence = try body.optional(e, 12)
  }
}

extension Assignment: BodyCodable {
  static let keys = BodyKeys(
    "mainHandler", "coordinators", "followers", "start", "due", "outputProduct", "doNotPublish", "assignedBy",
    "assignedAt")

  func write(to body: BodyWriter) {
    body.keyed { k in
      k("mainHandler", mainHandler)
      k("coordinators", coordinators)
      k("followers", followers)
      k("start", start)
      k("due", due)
      k("outputProduct", outputProduct)
      k("doNotPublish", doNotPublish)
      k("assignedBy", assignedBy)
      k("assignedAt", assignedAt)
    }
  }

  init(body: BodyReader, at index: Int) throws {
    let keys = Self.keys
    let e = try body.entries(at: index, keys)
    self.init(
      mainHandler: try body.required(e, 0, keys), coordinators: try body.required(e, 1, keys),
      followers: try body.required(e, 2, keys), start: try body.required(e, 3, keys),
      due: try body.required(e, 4, keys), outputProduct: try body.optional(e, 5),
      doNotPublish: try body.required(e, 6, keys), assignedBy: try body.required(e, 7, keys),
      assignedAt: try body.required(e, 8, keys))
  }
}

extension Holder: BodyCodable {
  static let cases = BodyKeys("unit", "person", "recipients", "nobody")
  static let unitKeys = BodyKeys("_0")
  static let personKeys = BodyKeys("_0", "unit")

  func write(to body: BodyWriter) {
    switch self {
    case .unit(let unit): body.enumCase("unit") { $0("_0", unit) }
    case .person(let user, let unit):
      body.enumCase("person") { k in
        k("_0", user)
        k("unit", unit)
      }
    case .recipients(let users, let unit):
      body.enumCase("recipients") { k in
        k("_0", users)
        k("unit", unit)
      }
    case .nobody: body.enumCase("nobody")
    }
  }

  init(body: BodyReader, at index: Int) throws {
    let (position, values) = try body.enumCase(at: index, Self.cases)
    switch position {
    case 0:
      let keys = Self.unitKeys
      let e = try body.entries(at: values, keys)
      self = .unit(try body.required(e, 0, keys))
    case 1, 2:
      let keys = Self.personKeys
      let e = try body.entries(at: values, keys)
      self =
        position == 1
        ? .person(try body.required(e, 0, keys), unit: try body.required(e, 1, keys))
        : .recipients(try body.required(e, 0, keys), unit: try body.required(e, 1, keys))
    default:
      _ = try body.entries(at: values, Self.unitKeys)
      self = .nobody
    }
  }
}

extension Case.Reporter: BodyCodable {
  static let keys = BodyKeys("userID", "fullName", "phone", "email")

  func write(to body: BodyWriter) {
    body.keyed { k in
      k("userID", userID)
      k("fullName", fullName)
      k("phone", phone)
      k("email", email)
    }
  }

  init(body: BodyReader, at index: Int) throws {
    let keys = Self.keys
    let e = try body.entries(at: index, keys)
    self.init(
      userID: try body.optional(e, 0), fullName: try body.required(e, 1, keys),
      phone: try body.required(e, 2, keys), email: try body.required(e, 3, keys))
  }
}

extension Case.Location: BodyCodable {
  static let keys = BodyKeys("address", "latitude", "longitude")

  func write(to body: BodyWriter) {
    body.keyed { k in
      k("address", address)
      k("latitude", latitude)
      k("longitude", longitude)
    }
  }

  init(body: BodyReader, at index: Int) throws {
    let keys = Self.keys
    let e = try body.entries(at: index, keys)
    self.init(address: try body.required(e, 0, keys), latitude: try body.optional(e, 1), longitude: try body.optional(e, 2))
  }
}

extension Case.Result: BodyCodable {
  static let keys = BodyKeys(
    "content", "attachments", "submittedBy", "submittedAt", "outputProduct", "cannotBeResolvedReason")

  func write(to body: BodyWriter) {
    body.keyed { k in
      k("content", content)
      k("attachments", attachments)
      k("submittedBy", submittedBy)
      k("submittedAt", submittedAt)
      k("outputProduct", outputProduct)
      k("cannotBeResolvedReason", cannotBeResolvedReason)
    }
  }

  init(body: BodyReader, at index: Int) throws {
    let keys = Self.keys
    let e = try body.entries(at: index, keys)
    self.init(
      content: try body.required(e, 0, keys), attachments: try body.required(e, 1, keys),
      submittedBy: try body.required(e, 2, keys), submittedAt: try body.required(e, 3, keys),
      outputProduct: try body.optional(e, 4), cannotBeResolvedReason: try body.optional(e, 5))
  }
}

extension Case.Note: BodyCodable {
  static let keys = BodyKeys("author", "content", "attachments", "at")

  func write(to body: BodyWriter) {
    body.keyed { k in
      k("author", author)
      k("content", content)
      k("attachments", attachments)
      k("at", at)
    }
  }

  init(body: BodyReader, at index: Int) throws {
    let keys = Self.keys
    let e = try body.entries(at: index, keys)
    self.init(
      author: try body.required(e, 0, keys), content: try body.required(e, 1, keys),
      attachments: try body.required(e, 2, keys), at: try body.required(e, 3, keys))
  }
}

extension Case.Monitoring.Acknowledgement: BodyCodable {
  static let keys = BodyKeys("userID", "at")

  func write(to body: BodyWriter) {
    body.keyed { k in
      k("userID", userID)
      k("at", at)
    }
  }

  init(body: BodyReader, at index: Int) throws {
    let keys = Self.keys
    let e = try body.entries(at: index, keys)
    self.init(userID: try body.required(e, 0, keys), at: try body.required(e, 1, keys))
  }
}

extension Case.Monitoring: BodyCodable {
  static let keys = BodyKeys("recipients", "groupID", "acknowledgements", "transferredBy", "transferredAt")

  func write(to body: BodyWriter) {
    body.keyed { k in
      k("recipients", recipients)
      k("groupID", groupID)
      k("acknowledgements", acknowledgements)
      k("transferredBy", transferredBy)
      k("transferredAt", transferredAt)
    }
  }

  init(body: BodyReader, at index: Int) throws {
    let keys = Self.keys
    let e = try body.entries(at: index, keys)
    self.init(
      recipients: try body.required(e, 0, keys), groupID: try body.optional(e, 1),
      acknowledgements: try body.required(e, 2, keys), transferredBy: try body.required(e, 3, keys),
      transferredAt: try body.required(e, 4, keys))
  }
}

extension Case.StepSummary: BodyCodable {
  static let keys = BodyKeys("actor", "actorUnit", "action", "at", "content")

  func write(to body: BodyWriter) {
    body.keyed { k in
      k("actor", actor)
      k("actorUnit", actorUnit)
      k("action", action)
      k("at", at)
      k("content", content)
    }
  }

  init(body: BodyReader, at index: Int) throws {
    let keys = Self.keys
    let e = try body.entries(at: index, keys)
    self.init(
      actor: try body.required(e, 0, keys), actorUnit: try body.optional(e, 1), action: try body.required(e, 2, keys),
      at: try body.required(e, 3, keys), content: try body.required(e, 4, keys))
  }
}

extension Case.Rejection: BodyCodable {
  static let keys = BodyKeys("reason", "at", "duplicateOf", "routedTo")

  func write(to body: BodyWriter) {
    body.keyed { k in
      k("reason", reason)
      k("at", at)
      k("duplicateOf", duplicateOf)
      k("routedTo", routedTo)
    }
  }

  init(body: BodyReader, at index: Int) throws {
    let keys = Self.keys
    let e = try body.entries(at: index, keys)
    self.init(
      reason: try body.required(e, 0, keys), at: try body.required(e, 1, keys),
      duplicateOf: try body.optional(e, 2), routedTo: try body.optional(e, 3))
  }
}

extension Case.Publication: BodyCodable {
  static let keys = BodyKeys("publicly", "at", "text")

  func write(to body: BodyWriter) {
    body.keyed { k in
      k("publicly", publicly)
      k("at", at)
      k("text", text)
    }
  }

  init(body: BodyReader, at index: Int) throws {
    let keys = Self.keys
    let e = try body.entries(at: index, keys)
    self.init(publicly: try body.required(e, 0, keys), at: try body.required(e, 1, keys), text: try body.optional(e, 2))
  }
}

extension Case: BodyCodable {
  static let keys = BodyKeys(
    "id", "reportCode", "version", "state", "holder", "iocUnitID", "currentUnitID", "unitsPassedThrough",
    "reporter", "submittedBy", "categoryID", "title", "description", "location", "isPublic", "reportAttachments",
    "linkedCaseID", "reportedAt", "receivedAt", "updatedAt", "stepReceivedAt", "stepDue", "tasks", "assignment",
    "contributions", "result", "monitoring", "previousStep", "rejection", "publication", "platformReference")

  func write(to body: BodyWriter) {
    body.keyed { k in
      k("id", id)
      k("reportCode", reportCode)
      k("version", version)
      k("state", state)
      k("holder", holder)
      k("iocUnitID", iocUnitID)
      k("currentUnitID", currentUnitID)
      k("unitsPassedThrough", unitsPassedThrough)
      k("reporter", reporter)
      k("submittedBy", submittedBy)
      k("categoryID", categoryID)
      k("title", title)
      k("description", description)
      k("location", location)
      k("isPublic", isPublic)
      k("reportAttachments", reportAttachments)
      k("linkedCaseID", linkedCaseID)
      k("reportedAt", reportedAt)
      k("receivedAt", receivedAt)
      k("updatedAt", updatedAt)
      k("stepReceivedAt", stepReceivedAt)
      k("stepDue", stepDue)
      k("tasks", tasks)
      k("assignment", assignment)
      k("contributions", contributions)
      k("result", result)
      k("monitoring", monitoring)
      k("previousStep", previousStep)
      k("rejection", rejection)
      k("publication", publication)
      k("platformReference", platformReference)
    }
  }

  init(body: BodyReader, at index: Int) throws {
    let keys = Self.keys
    let e = try body.entries(at: index, keys)
    self.init(
      id: try body.required(e, 0, keys), reportCode: try body.required(e, 1, keys),
      version: try body.required(e, 2, keys), state: try body.required(e, 3, keys),
      holder: try body.required(e, 4, keys), iocUnitID: try body.required(e, 5, keys),
      currentUnitID: try body.required(e, 6, keys), unitsPassedThrough: try body.required(e, 7, keys),
      reporter: try body.required(e, 8, keys), submittedBy: try body.required(e, 9, keys),
      categoryID: try body.required(e, 10, keys), title: try body.required(e, 11, keys),
      description: try body.required(e, 12, keys), location: try body.required(e, 13, keys),
      isPublic: try body.required(e, 14, keys), reportAttachments: try body.required(e, 15, keys),
      linkedCaseID: try body.optional(e, 16), reportedAt: try body.required(e, 17, keys),
      receivedAt: try body.required(e, 18, keys), updatedAt: try body.required(e, 19, keys),
      stepReceivedAt: try body.required(e, 20, keys), stepDue: try body.optional(e, 21),
      tasks: try body.required(e, 22, keys), assignment: try body.optional(e, 23),
      contributions: try body.required(e, 24, keys), result: try body.optional(e, 25),
      monitoring: try body.optional(e, 26), previousStep: try body.optional(e, 27),
      rejection: try body.optional(e, 28), publication: try body.optional(e, 29),
      platformReference: try body.optional(e, 30))
  }
}

extension CaseSubmission: BodyCodable {
  static let keys = BodyKeys(
    "caseID", "reportCode", "iocUnitID", "reporter", "categoryID", "title", "description", "location", "isPublic",
    "linkedCaseID", "reportedAt", "platformReference", "reopenedTask")

  func write(to body: BodyWriter) {
    body.keyed { k in
      k("caseID", caseID)
      k("reportCode", reportCode)
      k("iocUnitID", iocUnitID)
      k("reporter", reporter)
      k("categoryID", categoryID)
      k("title", title)
      k("description", description)
      k("location", location)
      k("isPublic", isPublic)
      k("linkedCaseID", linkedCaseID)
      k("reportedAt", reportedAt)
      k("platformReference", platformReference)
      k("reopenedTask", reopenedTask)
    }
  }

  init(body: BodyReader, at index: Int) throws {
    let keys = Self.keys
    let e = try body.entries(at: index, keys)
    self.init(
      caseID: try body.required(e, 0, keys), reportCode: try body.required(e, 1, keys),
      iocUnitID: try body.required(e, 2, keys), reporter: try body.required(e, 3, keys),
      categoryID: try body.required(e, 4, keys), title: try body.required(e, 5, keys),
      description: try body.required(e, 6, keys), location: try body.required(e, 7, keys),
      isPublic: try body.required(e, 8, keys), linkedCaseID: try body.optional(e, 9),
      reportedAt: try body.required(e, 10, keys), platformReference: try body.optional(e, 11),
      reopenedTask: try body.optional(e, 12))
  }
}

extension JournalEvent: BodyCodable {
  static let cases = BodyKeys(
    "submitted", "dispatched", "rejected", "returnedToIoc", "assigned", "reassigned", "transferredForMonitoring",
    "monitoringAcknowledged", "monitoringClosed", "draftSaved", "resultSubmitted", "contributionAdded", "approved",
    "returnedToOfficer", "sentBackToUnit", "published", "clockHeld", "clockResumed")
  static let single = BodyKeys("_0")
  static let dispatchedKeys = BodyKeys("unit", "leader", "task", "returnOutsideCompetence")
  static let rejectedKeys = BodyKeys("reason", "duplicateOf", "routedTo", "returnOutsideCompetence")
  static let transferKeys = BodyKeys("recipients", "group")
  static let resultKeys = BodyKeys("nextHandler", "outputProduct", "cannotBeResolved")
  static let officerKeys = BodyKeys("officer", "newDue")
  static let handlerKeys = BodyKeys("handler", "newDue")
  static let publishedKeys = BodyKeys("publicly", "text")
  static let heldKeys = BodyKeys("kind")

  func write(to body: BodyWriter) {
    switch self {
    case .submitted(let submission): body.enumCase("submitted") { $0("_0", submission) }
    case .dispatched(let unit, let leader, let task, let returnOutsideCompetence):
      body.enumCase("dispatched") { k in
        k("unit", unit)
        k("leader", leader)
        k("task", task)
        k("returnOutsideCompetence", returnOutsideCompetence)
      }
    case .rejected(let reason, let duplicateOf, let routedTo, let returnOutsideCompetence):
      body.enumCase("rejected") { k in
        k("reason", reason)
        k("duplicateOf", duplicateOf)
        k("routedTo", routedTo)
        k("returnOutsideCompetence", returnOutsideCompetence)
      }
    case .returnedToIoc: body.enumCase("returnedToIoc")
    case .assigned(let assignment): body.enumCase("assigned") { $0("_0", assignment) }
    case .reassigned(let assignment): body.enumCase("reassigned") { $0("_0", assignment) }
    case .transferredForMonitoring(let recipients, let group):
      body.enumCase("transferredForMonitoring") { k in
        k("recipients", recipients)
        k("group", group)
      }
    case .monitoringAcknowledged: body.enumCase("monitoringAcknowledged")
    case .monitoringClosed: body.enumCase("monitoringClosed")
    case .draftSaved: body.enumCase("draftSaved")
    case .resultSubmitted(let nextHandler, let outputProduct, let cannotBeResolved):
      body.enumCase("resultSubmitted") { k in
        k("nextHandler", nextHandler)
        k("outputProduct", outputProduct)
        k("cannotBeResolved", cannotBeResolved)
      }
    case .contributionAdded: body.enumCase("contributionAdded")
    case .approved: body.enumCase("approved")
    case .returnedToOfficer(let officer, let newDue):
      body.enumCase("returnedToOfficer") { k in
        k("officer", officer)
        k("newDue", newDue)
      }
    case .sentBackToUnit(let handler, let newDue):
      body.enumCase("sentBackToUnit") { k in
        k("handler", handler)
        k("newDue", newDue)
      }
    case .published(let publicly, let text):
      body.enumCase("published") { k in
        k("publicly", publicly)
        k("text", text)
      }
    case .clockHeld(let kind): body.enumCase("clockHeld") { $0("kind", kind) }
    case .clockResumed: body.enumCase("clockResumed")
    }
  }

  init(body: BodyReader, at index: Int) throws {
    let (position, values) = try body.enumCase(at: index, Self.cases)
    /// The associated values' entries against `keys`.
    func entries(_ keys: BodyKeys) throws -> BodyEntries { try body.entries(at: values, keys) }
    switch position {
    case 0:
      let e = try entries(Self.single)
      self = .submitted(try body.required(e, 0, Self.single))
    case 1:
      let keys = Self.dispatchedKeys
      let e = try entries(keys)
      self = .dispatched(
        unit: try body.required(e, 0, keys), leader: try body.optional(e, 1), task: try body.required(e, 2, keys),
        returnOutsideCompetence: try body.optional(e, 3))
    case 2:
      let keys = Self.rejectedKeys
      let e = try entries(keys)
      self = .rejected(
        reason: try body.required(e, 0, keys), duplicateOf: try body.optional(e, 1), routedTo: try body.optional(e, 2),
        returnOutsideCompetence: try body.optional(e, 3))
    case 4, 5:
      let e = try entries(Self.single)
      let assignment: Assignment = try body.required(e, 0, Self.single)
      self = position == 4 ? .assigned(assignment) : .reassigned(assignment)
    case 6:
      let keys = Self.transferKeys
      let e = try entries(keys)
      self = .transferredForMonitoring(recipients: try body.required(e, 0, keys), group: try body.optional(e, 1))
    case 10:
      let e = try entries(Self.resultKeys)
      self = .resultSubmitted(
        nextHandler: try body.optional(e, 0), outputProduct: try body.optional(e, 1),
        cannotBeResolved: try body.optional(e, 2))
    case 13:
      let keys = Self.officerKeys
      let e = try entries(keys)
      self = .returnedToOfficer(officer: try body.required(e, 0, keys), newDue: try body.optional(e, 1))
    case 14:
      let keys = Self.handlerKeys
      let e = try entries(keys)
      self = .sentBackToUnit(handler: try body.required(e, 0, keys), newDue: try body.optional(e, 1))
    case 15:
      let keys = Self.publishedKeys
      let e = try entries(keys)
      self = .published(publicly: try body.required(e, 0, keys), text: try body.optional(e, 1))
    case 16:
      let keys = Self.heldKeys
      let e = try entries(keys)
      self = .clockHeld(kind: try body.required(e, 0, keys))
    default:
      // The cases without associated values: an empty container (whatever it holds is ignored,
      // as the synthesized conformance ignores it).
      _ = try entries(Self.single)
      switch position {
      case 3: self = .returnedToIoc
      case 7: self = .monitoringAcknowledged
      case 8: self = .monitoringClosed
      case 9: self = .draftSaved
      case 11: self = .contributionAdded
      case 12: self = .approved
      default: self = .clockResumed
      }
    }
  }
}

extension JournalEntry: BodyCodable {
  static let keys = BodyKeys(
    "caseID", "sequence", "actor", "actorUnit", "action", "fromState", "toState", "fromHolder", "toHolder", "content",
    "attachments", "notify", "at", "event")

  func write(to body: BodyWriter) {
    body.keyed { k in
      k("caseID", caseID)
      k("sequence", sequence)
      k("actor", actor)
      k("actorUnit", actorUnit)
      k("action", action)
      k("fromState", fromState)
      k("toState", toState)
      k("fromHolder", fromHolder)
      k("toHolder", toHolder)
      k("content", content)
      k("attachments", attachments)
      k("notify", notify)
      k("at", at)
      k("event", event)
    }
  }

  init(body: BodyReader, at index: Int) throws {
    let keys = Self.keys
    let e = try body.entries(at: index, keys)
    // `action` is always `event.kind`: ``JournalEntry``'s initializer derives it, so it is
    // required here (as the synthesized conformance requires it) but not used.
    let _: ActionKind = try body.required(e, 4, keys)
    let event: JournalEvent = try body.required(e, 13, keys)
    self.init(
      caseID: try body.required(e, 0, keys), sequence: try body.required(e, 1, keys),
      actor: try body.required(e, 2, keys), actorUnit: try body.optional(e, 3),
      fromState: try body.optional(e, 5), toState: try body.required(e, 6, keys),
      fromHolder: try body.optional(e, 7), toHolder: try body.required(e, 8, keys),
      content: try body.required(e, 9, keys), attachments: try body.required(e, 10, keys),
      notify: try body.required(e, 11, keys), at: try body.required(e, 12, keys), event: event)
  }
}
