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
    } committed: { [latestCases, decoded] result in
      latestCases.remove(verdict.caseID)  // its view now shows the verdict
      if let created = result.1 {
        decoded.recordWrite(created.storedCase, entry: created.entry)
        latestCases.recordCommitted(created.storedCase, isNew: true)
      }
    }
    if created != nil { eventBell.ring() }
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

  public func verdict(caseID: CaseID) async throws -> CaseVerdict? {
    try await read { database in
      try database.query("SELECT body FROM case_verdicts WHERE case_id = ?", [caseID.rawValue]) {
        try EntityCoding.decode(CaseVerdict.self, from: $0.blob(0), what: "verdict")
      }.first
    }
  }
}
