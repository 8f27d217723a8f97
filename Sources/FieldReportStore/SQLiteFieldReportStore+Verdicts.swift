public import FieldReportWorkflow

extension SQLiteFieldReportStore {
  public func recordVerdict(
    _ verdict: CaseVerdict, idempotencyKey: IdempotencyKey?,
    reopen: (@Sendable (CaseID, ReportCode) throws -> Transition)?
  ) async throws -> VerdictRecord {
    try Self.validate(idempotencyKey)
    let (record, created) = try await writeCaseData { database -> (VerdictRecord, CaseChangeResult?) in
      let earlierRow = try idempotencyKey.flatMap { key in
        try database.query(
          "SELECT case_id, body FROM case_verdicts WHERE idempotency_scope = ? AND idempotency_key = ?",
          [key.scope, key.key]
        ) { (CaseID($0.text(0)), $0.blob(1)) }.first
      }
      if let key = idempotencyKey, let earlier = earlierRow {
        guard earlier.0 == verdict.caseID else { throw StoreError.idempotencyConflict(key: key.key) }
        let first = try EntityCoding.decode(CaseVerdict.self, from: earlier.1, what: "verdict")
        let reopened = try first.reopenedCaseID.flatMap { id in
          try database.query("SELECT body FROM cases WHERE id = ?", [id.rawValue]) {
            try CaseRows.decodeCase($0)
          }.first
        }
        return (VerdictRecord(verdict: first, reopened: reopened, isReplay: true), nil)
      }
      if try database.scalarInt64("SELECT 1 FROM case_verdicts WHERE case_id = ?", [verdict.caseID.rawValue]) != nil {
        throw StoreError.duplicate("verdict of case \(verdict.caseID)")
      }
      var stored = verdict
      var created: CaseChangeResult?
      if let reopen {
        let result = try self.insertNewCase(receivedAt: verdict.recordedAt, build: reopen, in: database)
        stored.reopenedCaseID = result.storedCase.id
        created = result
      }
      try database.run(
        """
        INSERT INTO case_verdicts(case_id, unit_id, rating, not_resolved, recorded_at, recorded_by,
          reopened_case_id, idempotency_scope, idempotency_key, body)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
        [
          stored.caseID.rawValue, stored.unitID.rawValue, stored.rating, stored.notResolved,
          stored.recordedAt.millisecondsSince1970, stored.recordedBy.rawValue,
          stored.reopenedCaseID?.rawValue, idempotencyKey?.scope, idempotencyKey?.key,
          try EntityCoding.encode(stored),
        ])
      return (VerdictRecord(verdict: stored, reopened: created?.storedCase, isReplay: false), created)
    } committed: { [latestCases] result in
      if let created = result.1 { latestCases.recordCommitted(created.storedCase, isNew: true) }
    }
    if let created {
      decoded.recordWrite(created.storedCase, entry: created.entry)
      eventBell.ring()
    }
    return record
  }

  public func duplicates(of id: CaseID) async throws -> [CaseID] {
    try await read { database in
      try database.query(
        "SELECT case_id FROM case_links WHERE kind = 'duplicates' AND subject = ? ORDER BY received_at, case_id",
        [id.rawValue]
      ) { CaseID($0.text(0)) }
    }
  }

  public func closureStatistics(unitIDs: [UnitID], from: Timestamp, to: Timestamp) async throws -> [ClosureStatistics] {
    try await read { database in
      try unitIDs.map { unit in
        let bounds: [any SQLBindable] = [unit.rawValue, from.millisecondsSince1970, to.millisecondsSince1970]
        var figures = ClosureStatistics(unitID: unit)
        for (raw, count) in try database.query(ClosureStatistics.outcomeCountsSQL, bounds, { ($0.text(0), $0.int64(1)) }) {
          if let outcome = CaseOutcome(rawValue: raw) { figures.outcomes[outcome] = Int(count) }
        }
        if let sums = try database.query(
          ClosureStatistics.verdictSumsSQL, bounds, { ($0.int64(0), $0.int64(1), $0.int64(2)) }
        ).first {
          figures.verdictCount = Int(sums.0)
          figures.ratingSum = Int(sums.1)
          figures.notResolvedCount = Int(sums.2)
        }
        return figures
      }
    }
  }

  public func verdict(caseID: CaseID) async throws -> CaseVerdict? {
    try await read { database in
      try database.query("SELECT body FROM case_verdicts WHERE case_id = ?", [caseID.rawValue]) {
        try EntityCoding.decode(CaseVerdict.self, from: $0.blob(0), what: "verdict")
      }.first
    }
  }
}
