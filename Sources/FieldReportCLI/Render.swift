import FieldReportClient

/// Human-readable views of the answers: tables for lists, key–value lines for one object.
enum Render {
  /// The overdue marker shown after the due time (the source shows overdue rows in red).
  static let overdueMarker = "⚠ overdue"

  static func time(_ ms: Int64?) -> String {
    guard let ms, ms != 0 else { return "" }
    return LocalTime.format(ms)
  }

  static func user(_ user: Fieldreport_V1_UserRef?) -> String { user?.fullName ?? "" }

  static func unit(_ unit: Fieldreport_V1_UnitRef?) -> String { unit?.unitName ?? "" }

  /// "Đang XL": the person holding the case, else the recipients still to acknowledge, else the unit.
  static func handler(_ handler: Fieldreport_V1_HandlerRef?) -> String {
    guard let handler else { return "" }
    if let user = handler.user, !user.fullName.isEmpty {
      return handler.unit.map { "\(user.fullName) (\($0.unitName))" } ?? user.fullName
    }
    if !handler.pendingRecipients.isEmpty {
      return handler.pendingRecipients.map(\.fullName).joined(separator: ", ")
    }
    return handler.unit?.unitName ?? ""
  }

  /// The inbox: the source's columns (No., Title, Sender, Current handler, From, To) with the
  /// report code and state, and the overdue marker after the due time.
  static func inbox(_ cases: [Fieldreport_V1_CaseSummary], firstNumber: Int = 1) -> String {
    var table = Table(["No.", "Code", "Title", "Sender", "Current handler", "From", "To", "State"])
    for (offset, row) in cases.enumerated() {
      let due = Self.time(row.stepDueAtMs)
      table.append([
        "\(firstNumber + offset)", row.reportCode, row.title, row.senderLabel, Self.handler(row.currentHandler),
        Self.time(row.stepStartedAtMs), row.overdue ? (due + " " + Self.overdueMarker) : due, row.state.shortName,
      ])
    }
    if cases.isEmpty { return table.render() + "\n(no cases)" }
    return table.render()
  }

  /// One line for a case after an action: code, title, state, version, holder.
  static func summaryLine(_ summary: Fieldreport_V1_CaseSummary?) -> String {
    guard let summary else { return "(no case in the answer)" }
    var text = "\(summary.reportCode) \"\(summary.title)\" → \(summary.state.shortName) (version \(summary.version))"
    let holder = Self.handler(summary.currentHandler)
    if !holder.isEmpty { text += ", held by \(holder)" }
    if let due = summary.stepDueAtMs { text += ", due \(Self.time(due))" + (summary.overdue ? " " + Self.overdueMarker : "") }
    if let hold = summary.clockHold { text += ", " + Self.holdLine(hold) }
    return text
  }

  /// A clock hold in force: "clock on hold since …, awaiting-citizen: reason".
  static func holdLine(_ hold: Fieldreport_V1_ClockHold) -> String {
    "clock on hold since \(Self.time(hold.heldAtMs)) (\(hold.kind.shortName)): \(hold.reason)"
  }

  /// The workflow tab's clock holds and their total held time.
  static func clockHolds(_ holds: [Fieldreport_V1_ClockHold], totalHeldMs: Int64) -> String {
    guard !holds.isEmpty else { return "" }
    var table = Table(["Hold", "Kind", "From", "To", "Held", "By", "Reason"])
    for (index, hold) in holds.enumerated() {
      table.append([
        "\(index + 1)", hold.kind.shortName, Self.time(hold.heldAtMs),
        hold.resumedAtMs.map { Self.time($0) } ?? "(on hold)", Self.duration(hold.heldMs),
        Self.user(hold.heldBy), hold.reason,
      ])
    }
    return table.render() + "\nTotal held: \(Self.duration(totalHeldMs)) (excluded from deadlines and timeliness)"
  }

  /// Milliseconds as "2d 3h 4m" (minutes at least).
  static func duration(_ milliseconds: Int64) -> String {
    let minutes = milliseconds / 60_000
    let (days, hours, rest) = (minutes / 1_440, minutes % 1_440 / 60, minutes % 60)
    var parts: [String] = []
    if days > 0 { parts.append("\(days)d") }
    if hours > 0 { parts.append("\(hours)h") }
    parts.append("\(rest)m")
    return parts.joined(separator: " ")
  }

  /// The answer of a state-changing action.
  static func action(_ summary: Fieldreport_V1_CaseSummary?, _ entry: Fieldreport_V1_JournalEntry?, replay: Bool) -> String {
    var lines = [Self.summaryLine(summary)]
    if let entry {
      lines.append("journal #\(entry.sequence): \(entry.action.shortName) by \(Self.user(entry.actor))"
        + (entry.actorUnit.map { " (\($0.unitName))" } ?? "") + " at \(Self.time(entry.actedAtMs))")
      if case .published(let details)? = entry.details {
        lines.append("published (\(details.scope.shortName)): \(details.publishedText)")
        if !entry.content.isEmpty { lines.append("IOC note: \(entry.content)") }
      }
    }
    if replay { lines.append("(an earlier identical request: nothing changed)") }
    return lines.joined(separator: "\n")
  }

  /// Likely duplicates, one per line: code, title, similarity, distance, state.
  static func duplicateCandidates(_ candidates: [Fieldreport_V1_DuplicateCandidate]) -> String {
    candidates.map { candidate in
      let summary = candidate.caseSummary
      let similar = Int((candidate.similarity * 100).rounded())
      let distance = candidate.distanceMeters.map { ", \(Int($0.rounded())) m" } ?? ""
      return "\(summary?.reportCode ?? "?") \(summary?.title ?? "") (\(similar)% similar\(distance), \(summary?.state.shortName ?? "?")) [\(summary?.caseId ?? "")]"
    }.joined(separator: "\n")
  }

  /// A reporter's verdict on one line.
  static func verdict(_ verdict: Fieldreport_V1_CaseVerdict) -> String {
    var text = "\(verdict.rating)/5" + (verdict.notResolved ? ", not resolved" : "")
    if !verdict.comment.isEmpty { text += ": \(verdict.comment)" }
    text += " (\(Self.time(verdict.recordedAtMs)), for \(Self.unit(verdict.unit))"
    if !verdict.reopenedCaseId.isEmpty { text += ", reopened as \(verdict.reopenedCaseId)" }
    return text + ")"
  }

  /// The processing tab of a case.
  static func caseDetail(_ detail: Fieldreport_V1_CaseDetail?) -> String {
    guard let detail, let summary = detail.summary else { return "(no case in the answer)" }
    var list = KeyValueList()
    list.add("Report code", summary.reportCode)
    list.add("Case id", summary.caseId)
    list.add("Title", summary.title)
    list.add("State", "\(summary.state.shortName) (version \(summary.version))")
    list.add("Current handler", Self.handler(summary.currentHandler))
    list.add("Sender", summary.senderLabel)
    list.add("From", Self.time(summary.stepStartedAtMs))
    list.addIfPresent("To", summary.stepDueAtMs.map { Self.time($0) + (summary.overdue ? " " + Self.overdueMarker : "") })
    if let hold = summary.clockHold { list.add("Clock", Self.holdLine(hold)) }
    list.add("Category", summary.categoryName)
    list.add("Public", summary.isPublic ? "yes" : "no")
    if let report = detail.report {
      list.add("Reported", Self.time(report.reportedAtMs))
      list.addIfPresent("Address", report.eventAddress)
      if let reporter = report.reporter {
        list.add("Reporter", [reporter.fullName, reporter.phone, reporter.email].filter { !$0.isEmpty }.joined(separator: ", "))
      }
      list.add("Content", report.content)
      if !report.attachments.isEmpty { list.add("Attachments", report.attachments.map { "\($0.fileName) [\($0.attachmentId)]" }.joined(separator: ", ")) }
    }
    if let task = detail.task {
      list.add("Task", "\(task.title) at \(Self.unit(task.unit)), \(task.taskKind.shortName)")
      list.addIfPresent("Task due", task.dueAtMs.map(Self.time))
      list.add("Return window until", Self.time(task.returnDeadlineAtMs))
    }
    if let assignment = detail.assignment {
      list.add("Main handler", Self.user(assignment.mainHandler))
      list.addIfPresent("Coordinators", assignment.coordinators.map(\.fullName).joined(separator: ", "))
      list.addIfPresent("Followers", assignment.followers.map(\.fullName).joined(separator: ", "))
      list.add("Assignment", "\(Self.time(assignment.startAtMs)) → \(Self.time(assignment.dueAtMs)), \(assignment.outputProductKind.shortName)")
      list.addIfPresent("Instruction", assignment.content)
    }
    if let previous = detail.previousStep {
      list.add("Previous step", "\(previous.action.shortName) by \(Self.user(previous.actor)) at \(Self.time(previous.actedAtMs))")
      list.addIfPresent("Previous content", previous.content)
    }
    if let result = detail.result {
      list.add("Result", result.replyText)
      list.addIfPresent("Cannot be resolved", result.cannotBeResolvedReason)
      list.addIfPresent("Approved by", result.approvedBy.map(\.fullName))
    }
    for contribution in detail.contributions {
      list.add("Contribution", "\(Self.user(contribution.contributor)): \(contribution.content)")
    }
    if let draft = detail.myDraft { list.add("My draft", draft.content) }
    if let monitoring = detail.monitoring {
      list.add("Monitoring", monitoring.recipients.map { recipient in
        recipient.recipient.map(\.fullName).map { $0 + (recipient.acknowledgedAtMs == nil ? " (pending)" : " (acknowledged)") } ?? ""
      }.joined(separator: ", "))
    }
    if let rejection = detail.rejection {
      list.add("Rejected", "\(rejection.reason.shortName): \(rejection.note)")
      list.addIfPresent("Routed to", rejection.routedTo)
    }
    if let closure = detail.closure {
      list.add("Outcome", closure.outcome.shortName + (closure.reason.isEmpty ? "" : ": \(closure.reason)"))
      list.addIfPresent("Duplicate of", closure.duplicateOfCaseId)
      list.add("Ended", "\(Self.time(closure.endedAtMs)), counted for \(Self.unit(closure.countedForUnit))")
      list.add("Citizen told", closure.citizenText)
      list.addIfPresent("Original", closure.originalReportCode)
      list.addIfPresent("Original's result", closure.originalResultText)
    }
    list.addIfPresent("Duplicates", detail.duplicateCaseIds.joined(separator: ", "))
    if let publication = detail.publication {
      list.add("Published", "\(publication.scope.shortName): \(publication.publishedText)")
      list.addIfPresent("IOC note", publication.iocNote)
    }
    if let verdict = detail.verdict { list.add("Verdict", Self.verdict(verdict)) }
    list.addIfPresent("You may", detail.availableActions.map(\.shortName).joined(separator: ", "))
    list.addIfPresent("Reply template", detail.replyTemplate)
    return list.render()
  }

  /// The journal tab.
  static func journal(_ entries: [Fieldreport_V1_JournalEntry]) -> String {
    var table = Table(["#", "When", "Action", "By", "Unit", "From → To", "Content"], maxCellWidth: 60)
    for entry in entries {
      table.append([
        "\(entry.sequence)", Self.time(entry.actedAtMs), entry.action.shortName, Self.user(entry.actor),
        Self.unit(entry.actorUnit), "\(entry.fromState.shortName) → \(entry.toState.shortName)", Self.content(of: entry),
      ])
    }
    return table.render()
  }

  /// The content column of a journal row: for a publication, the IOC's note and the text the
  /// citizen was shown, each labelled (entries written before the text was recorded apart
  /// have only their content).
  static func content(of entry: Fieldreport_V1_JournalEntry) -> String {
    guard case .published(let details)? = entry.details, !details.publishedText.isEmpty else { return entry.content }
    let published = "Published: \(details.publishedText)"
    return entry.content.isEmpty ? published : "IOC note: \(entry.content) | \(published)"
  }

  /// The workflow tab.
  static func workflow(_ steps: [Fieldreport_V1_WorkflowStep]) -> String {
    var table = Table(["Step", "State", "Holder", "Received", "Completed", "Due", "Timeliness", "Done by"])
    for step in steps {
      table.append([
        "\(step.stepNumber)", step.state.shortName, Self.handler(step.holder), Self.time(step.receivedAtMs),
        Self.time(step.completedAtMs), Self.time(step.dueAtMs), step.timeliness.shortName,
        step.completedByAction == .unspecified ? "" : "\(step.completedByAction.shortName) by \(Self.user(step.completedBy))",
      ])
    }
    return table.render()
  }

  static func units(_ units: [Fieldreport_V1_Unit]) -> String {
    var table = Table(["Id", "Code", "Name", "Kind", "Parent"])
    for unit in units { table.append([unit.unitId, unit.unitCode, unit.unitName, unit.unitKind.shortName, unit.parentUnitId]) }
    return table.render()
  }

  static func users(_ users: [Fieldreport_V1_UserSummary]) -> String {
    var table = Table(["Id", "Username", "Full name", "Kind", "Unit", "Position", "Disabled"])
    for user in users {
      table.append([user.userId, user.username, user.fullName, user.userKind.shortName, Self.unit(user.displayUnit),
                    user.positionTitle, user.disabled ? "yes" : ""])
    }
    return table.render()
  }

  static func grants(_ grants: [Fieldreport_V1_RoleGrant]) -> String {
    var table = Table(["Grant", "User", "Unit", "Role", "Position", "Status", "Requested"])
    for grant in grants {
      table.append([grant.grantId, Self.user(grant.user), Self.unit(grant.unit), grant.roleKind.shortName,
                    grant.positionTitle, grant.status.shortName, Self.time(grant.requestedAtMs)])
    }
    return table.render()
  }

  static func groups(_ groups: [Fieldreport_V1_TransferGroup]) -> String {
    var table = Table(["Id", "Name", "Unit", "Members"], maxCellWidth: 80)
    for group in groups {
      table.append([group.groupId, group.groupName, Self.unit(group.unit), group.members.map(\.fullName).joined(separator: ", ")])
    }
    return table.render()
  }

  static func categories(_ categories: [Fieldreport_V1_Category]) -> String {
    var table = Table(["Id", "Code", "Name", "Active", "Default time"])
    for category in categories {
      let days = category.defaultProcessingMs == 0 ? "server default" : "\(Double(category.defaultProcessingMs) / 86_400_000) d"
      table.append([category.categoryId, category.categoryCode, category.categoryName, category.active ? "yes" : "no", days])
    }
    return table.render()
  }

  static func notifications(_ notifications: [Fieldreport_V1_Notification]) -> String {
    var table = Table(["Id", "When", "Code", "Case", "Action", "By", "Text", "Read"])
    for note in notifications {
      table.append([note.notificationId, Self.time(note.createdAtMs), note.reportCode, note.caseTitle, note.action.shortName,
                    Self.user(note.actor), note.text, note.readAtMs == nil ? "" : "yes"])
    }
    return table.render()
  }

  static func statistics(_ rows: [Fieldreport_V1_UnitStatistics]) -> String {
    var table = Table([
      "Rank", "Unit", "Category", "Volume", "Early", "On time", "Late", "Returned (confirmed)", "On time % [95 %]",
      "Median", "P90", "Pending", "Overdue", "Rank score",
    ])
    for row in rows {
      table.append([
        row.rank > 0 ? "\(row.rank)" : "–", Self.unit(row.unit), row.category?.categoryName ?? "", "\(row.volume)",
        "\(row.earlyCount)", "\(row.onTimeCount)", "\(row.lateCount)",
        "\(row.returnedToIocCount) (\(row.returnsConfirmedCount))", Self.rate(row.onTime),
        Self.duration(row.medianHandlingMs), Self.duration(row.p90HandlingMs), "\(row.pendingCount)",
        "\(row.overdueCount)", row.ranking.map { Self.percent($0.lower) } ?? "",
      ])
    }
    return table.render()
  }

  /// "80.0 % [49.0–94.3]"; "–" without trials.
  static func rate(_ rate: Fieldreport_V1_RateInterval?) -> String {
    guard let rate, rate.trials > 0 else { return "–" }
    return "\(percent(rate.rate)) [\(percentNumber(rate.lower))–\(percentNumber(rate.upper))]"
  }

  /// A share as a percentage with one decimal: "80.0 %".
  static func percent(_ share: Double) -> String { percentNumber(share) + " %" }

  /// A share as a percentage number with one decimal: "80.0".
  static func percentNumber(_ share: Double) -> String {
    let tenths = Int((share * 1000).rounded())
    return "\(tenths / 10).\(tenths % 10)"
  }

  /// A duration in milliseconds as days and hours ("2 d 5 h", "3 h", "12 min"); "–" when absent.
  static func duration(_ milliseconds: Int64?) -> String {
    guard let milliseconds else { return "–" }
    let minutes = Int((Double(milliseconds) / 60_000).rounded())
    if minutes < 60 { return "\(minutes) min" }
    let hours = Int((Double(milliseconds) / 3_600_000).rounded())
    if hours < 24 { return "\(hours) h" }
    return hours % 24 == 0 ? "\(hours / 24) d" : "\(hours / 24) d \(hours % 24) h"
  }

  static func attachment(_ attachment: Fieldreport_V1_AttachmentRef?) -> String {
    guard let attachment else { return "(no attachment in the answer)" }
    return "\(attachment.attachmentId)  \(attachment.fileName)  \(attachment.mediaType)  \(attachment.sizeBytes) bytes"
  }

  static func nextPage(_ token: String) -> String {
    token.isEmpty ? "" : "\n(more: --page-token \(token))"
  }
}
