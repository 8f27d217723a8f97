import FieldReportClient

/// The calls of every operation and scenario, shared by the closed-loop workers, the open-loop
/// scheduler and the prefill: each builds its request, calls as the right person and records
/// its latency (from the given start) or its failure in the recorder.
struct LoadActions: Sendable {
  let sessions: Sessions
  let scenario: LoadScenario
  let pool: CasePool
  let recorder: Recorder
  /// Decode the replies of reads too (by default they are received whole but not decoded).
  var decodeReplies = false

  /// Runs one operation of a mix. `start` is when the call was meant to start (open loop: its
  /// scheduled time, so that time waiting for a slot counts).
  func perform(
    _ chosen: LoadOperation, client: FieldReportClient, shard: Int, tag: String, start: ContinuousClock.Instant
  ) async {
    var operation = chosen
    var received: CasePool.Received? = nil
    if operation == .dispatch {
      received = self.pool.takeReceived()
      if received == nil {
        // Nothing left to dispatch: submit instead, so the budget is still spent on load.
        self.recorder.countMissingCase(dispatch: true, shard: shard)
        operation = .submit
      }
    }
    var caseID = ""
    if operation == .get || operation == .journal || operation == .workflow {
      guard let id = self.pool.randomCaseID() else {
        self.recorder.countMissingCase(dispatch: false, shard: shard)
        return
      }
      caseID = id
    }
    do {
      switch operation {
      case .submit:
        let response = try await client.cases.submitReport(self.scenario.submitRequest(tag: tag), options: self.sessions.platform)
        if let summary = response.caseSummary { self.pool.add(caseID: summary.caseId, version: summary.version) }
      case .dispatch:
        guard let received else { return }
        _ = try await client.cases.dispatchCase(
          self.scenario.dispatchRequest(received.caseID, version: received.version, to: self.scenario.targetUnitID, tag: tag),
          options: self.sessions.ioc)
      case .get:
        var request = Fieldreport_V1_GetCaseRequest()
        request.key = .caseId(caseID)
        if self.decodeReplies {
          _ = try await client.cases.getCase(request, options: self.sessions.ioc)
        } else {
          _ = try await client.transport.call(UndecodedMethods.getCase, request, options: self.sessions.ioc)
        }
      case .inbox, .inboxLeader, .inboxOfficer:
        let options =
          switch operation {
          case .inboxLeader: self.sessions.options(DemoPeople.dongLoc.leader)
          case .inboxOfficer: self.sessions.options(DemoPeople.dongLoc.officer)
          default: self.sessions.ioc
          }
        if self.decodeReplies {
          _ = try await client.cases.listCases(LoadScenario.inboxRequest, options: options)
        } else {
          _ = try await client.transport.call(UndecodedMethods.listCases, LoadScenario.inboxRequest, options: options)
        }
      case .journal:
        var request = Fieldreport_V1_ListJournalRequest()
        request.caseId = caseID
        if self.decodeReplies {
          _ = try await client.journal.listJournal(request, options: self.sessions.ioc)
        } else {
          _ = try await client.transport.call(UndecodedMethods.listJournal, request, options: self.sessions.ioc)
        }
      case .workflow:
        var request = Fieldreport_V1_GetWorkflowRequest()
        request.caseId = caseID
        if self.decodeReplies {
          _ = try await client.journal.getWorkflow(request, options: self.sessions.ioc)
        } else {
          _ = try await client.transport.call(UndecodedMethods.getWorkflow, request, options: self.sessions.ioc)
        }
      case .health:
        _ = try await client.transport.call(UndecodedMethods.health, Rpc_V1_HealthCheckRequest(), options: .init())
      case .assign, .submitResult, .approve, .publish:
        return  // lifecycle steps: not in a mix
      }
      self.recorder.record(operation, from: start, shard: shard)
    } catch {
      self.recorder.recordError(operation, error, shard: shard)
    }
  }

  /// How far a case goes through the source process.
  enum Stage: Int, Sendable, CaseIterable, Comparable {
    case received = 0, dispatched, assigned, resulted, approved, published

    static func < (lhs: Stage, rhs: Stage) -> Bool { lhs.rawValue < rhs.rawValue }
  }

  /// One case through the source process up to `target`, every step as its person: the
  /// platform submits, the IOC operator dispatches to `unit`, its leader assigns to its
  /// officer, the officer submits the result to the leader, the leader approves, the IOC
  /// operator publishes. Stops at the first failure (recorded). `start` is the first call's
  /// intended start; `take` is asked before each step (the closed loop's budget).
  /// - Returns: The case id, its version and how far it got; nil when the submission failed.
  @discardableResult
  func walkCase(
    to target: Stage, unit: DemoPeople.HandlingUnit, client: FieldReportClient, shard: Int, tag: String,
    start firstStart: ContinuousClock.Instant, category: String? = nil, reportedAtMs: Int64? = nil,
    take: () -> Bool = { true }
  ) async -> (caseID: String, version: Int64, reached: Stage)? {
    var start = firstStart
    var operation = LoadOperation.submit
    do {
      guard take() else { return nil }
      let submitted = try await client.cases.submitReport(
        self.scenario.submitRequest(tag: tag, category: category, reportedAtMs: reportedAtMs), options: self.sessions.platform)
      self.recorder.record(.submit, from: start, shard: shard)
      guard var summary = submitted.caseSummary else { return nil }
      let caseID = summary.caseId
      var reached = Stage.received
      let steps: [(Stage, LoadOperation)] = [
        (.dispatched, .dispatch), (.assigned, .assign), (.resulted, .submitResult), (.approved, .approve), (.published, .publish),
      ]
      for (stage, step) in steps where stage <= target {
        guard take() else { break }
        operation = step
        start = .now
        let version = summary.version
        let next: Fieldreport_V1_CaseSummary?
        switch step {
        case .dispatch:
          next = try await client.cases.dispatchCase(
            self.scenario.dispatchRequest(caseID, version: version, to: unit.unitID, tag: tag), options: self.sessions.ioc
          ).caseSummary
        case .assign:
          next = try await client.assignments.assign(
            self.scenario.assignRequest(caseID, version: version, officer: unit.officer, tag: tag),
            options: self.sessions.options(unit.leader)
          ).caseSummary
        case .submitResult:
          next = try await client.assignments.submitResult(
            self.scenario.submitResultRequest(caseID, version: version, leader: unit.leader, tag: tag),
            options: self.sessions.options(unit.officer)
          ).caseSummary
        case .approve:
          next = try await client.assignments.approve(
            self.scenario.approveRequest(caseID, version: version, tag: tag), options: self.sessions.options(unit.leader)
          ).caseSummary
        default:
          next = try await client.cases.publishResult(
            self.scenario.publishRequest(caseID, version: version, isPublic: summary.isPublic, tag: tag), options: self.sessions.ioc
          ).caseSummary
        }
        self.recorder.record(step, from: start, shard: shard)
        guard let next else { break }
        summary = next
        reached = stage
      }
      if reached == .published { self.recorder.recordCompletedCase(shard: shard) }
      return (caseID, summary.version, reached)
    } catch {
      self.recorder.recordError(operation, error, shard: shard)
      return nil
    }
  }
}
