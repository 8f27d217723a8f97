import FieldReportClient

/// One worker: a loop of calls on a shared connection until the budget is spent.
struct LoadWorker: Sendable {
  /// The connection's client; its default credentials are the IOC operator's session.
  let client: FieldReportClient
  /// Options of the platform's calls: `authorization: ApiKey …` (a per-call credential
  /// wins over the client's).
  let platformOptions: CallOptions
  let scenario: LoadScenario
  let pool: CasePool
  let mix: LoadMix
  let budget: LoadBudget
  let workerID: Int

  /// Runs until the budget is spent; never throws (failures are counted by status).
  func run() async -> LoadStatistics {
    var statistics = LoadStatistics()
    var generator = SystemRandomNumberGenerator()
    var sequence = 0
    while self.budget.take() {
      sequence += 1
      var operation = self.mix.pick(using: &generator)
      var received: CasePool.Received? = nil
      if operation == .dispatch {
        received = self.pool.takeReceived()
        if received == nil {
          // Nothing left to dispatch: submit instead, so the budget is still spent on load.
          statistics.dispatchesWithoutCase += 1
          operation = .submit
        }
      }
      let started = ContinuousClock.now
      do {
        switch operation {
        case .submit:
          let response = try await self.client.cases.submitReport(
            self.scenario.submitRequest(worker: self.workerID, sequence: sequence), options: self.platformOptions)
          if let summary = response.caseSummary { self.pool.add(caseID: summary.caseId, version: summary.version) }
        case .dispatch:
          guard let received else { continue }
          _ = try await self.client.cases.dispatchCase(self.scenario.dispatchRequest(received, worker: self.workerID, sequence: sequence))
        case .get:
          guard let caseID = self.pool.randomCaseID() else { continue }
          var request = Fieldreport_V1_GetCaseRequest()
          request.key = .caseId(caseID)
          _ = try await self.client.cases.getCase(request)
        case .inbox:
          _ = try await self.client.cases.listCases(self.scenario.inboxRequest)
        }
        let elapsed = ContinuousClock.now - started
        statistics.record(operation, microseconds: Self.microseconds(elapsed))
      } catch {
        statistics.recordError(operation, code: error.code)
      }
    }
    return statistics
  }

  static func microseconds(_ duration: Duration) -> UInt64 {
    let (seconds, attoseconds) = duration.components
    return UInt64(max(0, seconds)) * 1_000_000 + UInt64(max(0, attoseconds / 1_000_000_000_000))
  }
}
