public import FieldReportStore
public import FieldReportWorkflow
import PostgresNIO

extension PostgresFieldReportStore {
  public func recordVerdict(
    _ verdict: CaseVerdict, idempotencyKey: IdempotencyKey?,
    reopen: (@Sendable (CaseID, ReportCode) throws -> Transition)?
  ) async throws -> VerdictRecord {
    try StoreRules.validate(idempotencyKey)
    let policy = configuration.store.policy
    let (record, created) = try await writeCaseData { session -> (VerdictRecord, CaseChangeResult?) in
      // The case's row lock orders two verdicts on one case (one waits for the other's commit).
      try await session.query("SELECT 1 FROM cases WHERE id = $1 FOR UPDATE", [verdict.caseID.rawValue])
      if let key = idempotencyKey,
        let earlier = try await session.first(
          "SELECT case_id, body FROM case_verdicts WHERE idempotency_scope = $1 AND idempotency_key = $2",
          [key.scope, key.key])
      {
        guard try earlier.value(0, as: String.self) == verdict.caseID.rawValue else {
          throw StoreError.idempotencyConflict(key: key.key)
        }
        let first = try EntityCoding.decode(CaseVerdict.self, from: earlier.bytes(1), what: "verdict")
        var reopened: Case?
        if let id = first.reopenedCaseID,
          let row = try await session.first("SELECT body FROM cases WHERE id = $1", [id.rawValue])
        {
          reopened = try EntityCoding.decode(Case.self, from: row.bytes(0), what: "case")
        }
        return (VerdictRecord(verdict: first, reopened: reopened, isReplay: true), nil)
      }
      if try await session.first("SELECT 1 FROM case_verdicts WHERE case_id = $1", [verdict.caseID.rawValue]) != nil {
        throw StoreError.duplicate("verdict of case \(verdict.caseID)")
      }
      var stored = verdict
      var created: CaseChangeResult?
      if let reopen {
        let result = try await Self.insertNewCase(
          receivedAt: verdict.recordedAt, idempotencyKey: nil, policy: policy, build: reopen, in: session)
        stored.reopenedCaseID = result.storedCase.id
        created = result
      }
      try await session.query(
        """
        INSERT INTO case_verdicts(case_id, unit_id, rating, not_resolved, recorded_at, recorded_by,
          reopened_case_id, idempotency_scope, idempotency_key, body)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
        """,
        [
          stored.caseID.rawValue, stored.unitID.rawValue, stored.rating, stored.notResolved,
          stored.recordedAt.millisecondsSince1970, stored.recordedBy.rawValue,
          stored.reopenedCaseID?.rawValue, idempotencyKey?.scope, idempotencyKey?.key,
          try EntityCoding.encode(stored),
        ])
      return (VerdictRecord(verdict: stored, reopened: created?.storedCase, isReplay: false), created)
    }
    if let created {
      decoded.recordWrite(created.storedCase, entry: created.entry)
      eventBell.ring()
    }
    return record
  }

  public func duplicates(of id: CaseID) async throws -> [CaseID] {
    try await single { session in
      try await session.query(
        "SELECT case_id FROM case_links WHERE kind = 'duplicates' AND subject = $1 ORDER BY received_at, case_id",
        [id.rawValue]
      ).map { CaseID(try $0.value(0, as: String.self)) }
    }
  }

  public func closureStatistics(unitIDs: [UnitID], from: Timestamp, to: Timestamp) async throws -> [ClosureStatistics] {
    try await single { session in
      var all: [ClosureStatistics] = []
      for unit in unitIDs {
        let bounds: [any PostgresArgument] = [unit.rawValue, from.millisecondsSince1970, to.millisecondsSince1970]
        var figures = ClosureStatistics(unitID: unit)
        for row in try await session.query(ClosureStatistics.numbered(ClosureStatistics.outcomeCountsSQL), bounds) {
          if let outcome = CaseOutcome(rawValue: try row.value(0, as: String.self)) {
            figures.outcomes[outcome] = Int(try row.value(1, as: Int64.self))
          }
        }
        if let sums = try await session.first(ClosureStatistics.numbered(ClosureStatistics.verdictSumsSQL), bounds) {
          figures.verdictCount = Int(try sums.value(0, as: Int64.self))
          figures.ratingSum = Int(try sums.value(1, as: Int64.self))
          figures.notResolvedCount = Int(try sums.value(2, as: Int64.self))
        }
        all.append(figures)
      }
      return all
    }
  }

  public func verdict(caseID: CaseID) async throws -> CaseVerdict? {
    try await single { session in
      guard let row = try await session.first("SELECT body FROM case_verdicts WHERE case_id = $1", [caseID.rawValue])
      else { return nil }
      return try EntityCoding.decode(CaseVerdict.self, from: row.bytes(0), what: "verdict")
    }
  }
}
