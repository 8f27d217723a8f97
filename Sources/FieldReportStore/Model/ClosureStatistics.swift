public import FieldReportWorkflow

/// How a unit's cases ended and what their reporters said, over a period (issue 14, items 1
/// and 3): the figures GetUnitStatistics can show as "each outcome counted separately",
/// satisfaction and the reopen rate. Read by
/// ``FieldReportStore/closureStatistics(unitIDs:from:to:)`` from `case_outcomes` and
/// `case_verdicts`, one index range per unit.
public struct ClosureStatistics: Hashable, Sendable {
  /// The unit the figures count for (``Case/outcomeUnitID``, ``CaseVerdict/unitID``).
  public var unitID: UnitID
  /// Cases that ended in the period, per outcome (outcomes with none are absent).
  public var outcomes: [CaseOutcome: Int]
  /// Verdicts recorded in the period.
  public var verdictCount: Int
  /// The sum of their ratings (1 to 5 each).
  public var ratingSum: Int
  /// Verdicts saying "not resolved" (each reopened the case).
  public var notResolvedCount: Int

  public init(
    unitID: UnitID, outcomes: [CaseOutcome: Int] = [:], verdictCount: Int = 0, ratingSum: Int = 0,
    notResolvedCount: Int = 0
  ) {
    self.unitID = unitID
    self.outcomes = outcomes
    self.verdictCount = verdictCount
    self.ratingSum = ratingSum
    self.notResolvedCount = notResolvedCount
  }

  /// Satisfaction: the mean rating, nil without verdicts.
  public var meanRating: Double? {
    verdictCount > 0 ? Double(ratingSum) / Double(verdictCount) : nil
  }

  /// Published cases of the period: resolved plus cannot be resolved.
  public var publishedCount: Int {
    (outcomes[.resolved] ?? 0) + (outcomes[.cannotBeResolved] ?? 0)
  }

  /// The reopen rate: "not resolved" verdicts over published cases, nil without publications.
  public var reopenRate: Double? {
    publishedCount > 0 ? Double(notResolvedCount) / Double(publishedCount) : nil
  }

  /// The statements both engines run, with `?` placeholders (PostgreSQL: `$1`…`$3`) for the
  /// unit, the period start (inclusive) and end (exclusive).
  package static let outcomeCountsSQL =
    "SELECT outcome, COUNT(*) FROM case_outcomes WHERE unit_id = ? AND ended_at >= ? AND ended_at < ? GROUP BY outcome"
  /// See ``outcomeCountsSQL``.
  package static let verdictSumsSQL = """
    SELECT COUNT(*), COALESCE(SUM(rating), 0), COALESCE(SUM(CASE WHEN not_resolved THEN 1 ELSE 0 END), 0)
    FROM case_verdicts WHERE unit_id = ? AND recorded_at >= ? AND recorded_at < ?
    """

  /// The PostgreSQL form of a statement (`$n` placeholders).
  package static func numbered(_ sql: String) -> String {
    var out = ""
    var n = 0
    for character in sql {
      if character == "?" {
        n += 1
        out += "$\(n)"
      } else {
        out.append(character)
      }
    }
    return out
  }
}
