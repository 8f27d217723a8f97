import FieldReportWorkflow

/// Assembles ``UnitStatistics`` rows from an engine's grouped queries (completed tasks by
/// timeliness, open tasks, tasks received, handling times), keyed by unit and category; one
/// assembly for every engine. A new count is one more `add…` here and one aggregate in each
/// engine's query.
package struct UnitStatisticsTable {
  private let byCategory: Bool
  private var rows: [String: UnitStatistics] = [:]

  /// An empty table; `byCategory` false keys rows by unit only (the category column is '').
  package init(byCategory: Bool) {
    self.byCategory = byCategory
  }

  private func entry(_ unit: String, _ category: String) -> UnitStatistics {
    rows[unit + "\u{0}" + category]
      ?? UnitStatistics(
        unitID: UnitID(unit), categoryID: byCategory ? CategoryID(category) : nil, early: 0, onTime: 0, late: 0,
        pending: 0, pendingOverdue: 0)
  }

  /// Adds one group of tasks completed in the period.
  package mutating func addCompleted(
    unit: String, category: String, early: Int, onTime: Int, late: Int, unclassified: Int, returned: Int,
    returnedConfirmed: Int
  ) {
    var stats = entry(unit, category)
    stats.returnedConfirmed = returnedConfirmed
    stats.early = early
    stats.onTime = onTime
    stats.late = late
    stats.unclassified = unclassified
    stats.returnedToIoc = returned
    rows[unit + "\u{0}" + category] = stats
  }

  /// Adds one group of tasks still open.
  package mutating func addOpen(unit: String, category: String, pending: Int, overdue: Int) {
    var stats = entry(unit, category)
    stats.pending = pending
    stats.pendingOverdue = overdue
    rows[unit + "\u{0}" + category] = stats
  }

  /// Adds the number of tasks received in the period.
  package mutating func addVolume(unit: String, category: String, received: Int) {
    var stats = entry(unit, category)
    stats.volume = received
    rows[unit + "\u{0}" + category] = stats
  }

  /// Adds one approved task's handling time (the engine returns them in ascending order).
  package mutating func addHandling(unit: String, category: String, milliseconds: Int64) {
    var stats = entry(unit, category)
    stats.handlingMilliseconds.append(milliseconds)
    rows[unit + "\u{0}" + category] = stats
  }

  /// The rows by unit, then category.
  package var sorted: [UnitStatistics] {
    rows.values.sorted {
      ($0.unitID.rawValue, $0.categoryID?.rawValue ?? "") < ($1.unitID.rawValue, $1.categoryID?.rawValue ?? "")
    }
  }
}
