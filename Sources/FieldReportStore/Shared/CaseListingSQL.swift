import FieldReportWorkflow
import Synchronization

/// The case-listing statement, one builder for every engine: which index range drives a
/// query, its filters, its order and its cursor condition. Engines differ only in the
/// ``Dialect`` (parameter placeholders and two literals), so paging with a ``CaseCursor`` means
/// the same on SQLite and PostgreSQL.
package enum CaseListingSQL {
  /// A bound value of a listing statement.
  package enum Value: Sendable, Hashable {
    case text(String)
    case integer(Int64)
  }

  /// What differs between engines in a listing statement.
  package struct Dialect: Sendable {
    /// The engine's name (part of a statement's ``Shape``).
    package var name: String
    /// The placeholder of the n-th (1-based) bound value.
    package var placeholder: @Sendable (Int) -> String
    /// A condition that is always false (an empty state filter).
    package var falseCondition: String
    /// The condition "the case is public".
    package var isPublicCondition: String

    /// SQLite: `?` placeholders, integer booleans.
    package static let sqlite = Dialect(
      name: "sqlite", placeholder: { _ in "?" }, falseCondition: "0", isPublicCondition: "c.is_public = 1")
    /// PostgreSQL: `$n` placeholders, boolean columns.
    package static let postgres = Dialect(
      name: "postgres", placeholder: { "$\($0)" }, falseCondition: "FALSE", isPublicCondition: "c.is_public")
  }

  /// The single-state parts of a query over one current unit and several states (the IOC's
  /// and a leader's inboxes), or nil when the query is not of that shape.
  package static func stateSplit(of query: CaseQuery) -> [CaseQuery]? {
    guard query.currentUnit != nil, let states = query.states, states.count > 1, query.heldBy == nil,
      query.involvingUnit == nil, query.participant == nil, query.submittedBy == nil
    else { return nil }
    return states.sorted { $0.rawValue < $1.rawValue }.map { state in
      var part = query
      part.states = [state]
      return part
    }
  }

  /// Builds the listing statement. The first person/unit filter drives the query through the
  /// `case_links` primary key (already in paging order for the report-time orders); the rest
  /// are index lookups. Other orders sort on the `cases` row's key column and id.
  ///
  /// The statement's text depends only on the query's ``Shape`` (which filters it has, how
  /// many states, the order, whether it continues a page), never on the values bound: the text
  /// of each shape is built once and kept (building it was 7 % of an inbox's reader-thread
  /// time, once per state of a unit's inbox). The values are collected on every call, by the
  /// same code, so text and values cannot disagree.
  package static func build(for query: CaseQuery, select: String, dialect: Dialect) -> (String, [Value]) {
    let text = query.text.map(TextFolding.fold)
    let shape = Shape(query, foldedText: text, select: select, dialect: dialect)
    if let sql = statements.withLock({ $0[shape] }) {
      return (sql, compose(query, foldedText: text, select: select, dialect: dialect, withText: false).1)
    }
    let (sql, values) = compose(query, foldedText: text, select: select, dialect: dialect, withText: true)
    statements.withLock { known in
      // Shapes are few (a handful of filters, states and orders); the bound only guards the
      // memory against a caller trying every combination.
      if known.count >= Self.maximumShapes { known.removeAll() }
      known[shape] = sql
    }
    return (sql, values)
  }

  /// The most statement texts kept at once.
  static let maximumShapes = 1_024

  /// Statement texts by shape.
  private static let statements = Mutex<[Shape: String]>([:])

  /// What a listing statement's text depends on: which filters are present (not their values),
  /// how many states and outcomes, the order, whether a cursor continues a page, the columns
  /// selected and the engine.
  package struct Shape: Hashable, Sendable {
    var filters: UInt16
    var stateCount: Int
    var outcomeCount: Int
    var order: CaseListOrder
    var select: String
    var dialect: String

    init(_ query: CaseQuery, foldedText: String?, select: String, dialect: Dialect) {
      var bits: UInt16 = 0
      var next: UInt16 = 1
      func flag(_ present: Bool) {
        if present { bits |= next }
        next <<= 1
      }
      flag(query.heldBy != nil)
      flag(query.involvingUnit != nil)
      flag(query.participant != nil)
      flag(query.submittedBy != nil)
      flag(query.currentUnit != nil)
      flag(query.category != nil)
      flag(query.overdueAt != nil)
      flag(query.receivedFrom != nil)
      flag(query.receivedBefore != nil)
      flag(!(foldedText ?? "").isEmpty)
      flag(query.publicOnly)
      flag(query.after != nil)
      filters = bits
      stateCount = query.states?.count ?? -1
      outcomeCount = query.outcomes?.count ?? -1
      order = query.order
      self.select = select
      self.dialect = dialect.name
    }
  }

  /// The statement's values, and its text when `withText` (else the text is empty).
  package static func compose(
    _ query: CaseQuery, foldedText: String?, select: String, dialect: Dialect, withText: Bool
  ) -> (String, [Value]) {
    var links: [(String, String)] = []
    if let user = query.heldBy { links.append(("holder", user.rawValue)) }
    if let unit = query.involvingUnit { links.append(("unit", unit.rawValue)) }
    if let user = query.participant { links.append(("participant", user.rawValue)) }
    if let user = query.submittedBy { links.append(("submitter", user.rawValue)) }

    var sql = ""
    var conditions: [String] = []
    var values: [Value] = []
    // The placeholder of the `offset`-th value appended next.
    func p(_ offset: Int) -> String { dialect.placeholder(values.count + offset) }
    // Adds a condition's text (only evaluated when the text is wanted).
    func condition(_ text: @autoclosure () -> String) { if withText { conditions.append(text()) } }
    let orderKey: (String, String)
    if let driver = links.first {
      if withText { sql = "SELECT \(select) FROM case_links l JOIN cases c ON c.id = l.case_id" }
      condition("l.kind = \(p(1)) AND l.subject = \(p(2))")
      values += [.text(driver.0), .text(driver.1)]
      // The link rows carry the report time, and all but a submitter's (holder, unit,
      // participant) the step start, so the default inbox orders walk a link index in paging
      // order (the partial `case_links_by_step` only when the query states its condition).
      // A submitter's rows carry no step start (``CaseIndexing/unsteppedKind``): in step order
      // its cases are sorted, as every link listing is in the due and update orders.
      switch query.order {
      case .reportedNewest, .reportedOldest: orderKey = ("l.received_at", "l.case_id")
      case .stepStartedNewest where CaseIndexing.isStepped(driver.0):
        orderKey = ("l.step_started", "l.case_id")
        condition(CaseIndexing.stepIndexCondition(alias: "l"))
      case .stepStartedNewest, .stepDueSoonest, .updatedNewest: orderKey = (query.order.keyExpression, "c.id")
      }
    } else {
      if withText { sql = "SELECT \(select) FROM cases c" }
      orderKey = (query.order.keyExpression, "c.id")
    }
    for link in links.dropFirst() {
      condition(
        """
        EXISTS (SELECT 1 FROM case_links x WHERE x.kind = \(p(1)) AND x.subject = \(p(2))
          AND x.received_at = c.received_at AND x.case_id = c.id)
        """)
      values += [.text(link.0), .text(link.1)]
    }
    if let unit = query.currentUnit {
      condition("c.current_unit_id = \(p(1))")
      values.append(.text(unit.rawValue))
    }
    if let states = query.states {
      let sorted = states.map(\.rawValue).sorted()
      if sorted.isEmpty {
        condition(dialect.falseCondition)
      } else {
        condition("c.state IN (\((1...sorted.count).map(p).joined(separator: ", ")))")
        values += sorted.map(Value.text)
      }
    }
    if let category = query.category {
      condition("c.category_id = \(p(1))")
      values.append(.text(category.rawValue))
    }
    if let outcomes = query.outcomes {
      // One primary-key probe of `case_outcomes` per listed row.
      let sorted = outcomes.map(\.rawValue).sorted()
      if sorted.isEmpty {
        condition(dialect.falseCondition)
      } else {
        condition(
          "EXISTS (SELECT 1 FROM case_outcomes o WHERE o.case_id = c.id AND o.outcome IN ("
            + (1...sorted.count).map(p).joined(separator: ", ") + "))")
        values += sorted.map(Value.text)
      }
    }
    if let now = query.overdueAt {
      // listed_due is NULL for terminal cases and steps without a due time.
      condition("c.listed_due IS NOT NULL AND c.listed_due < \(p(1))")
      values.append(.integer(now.millisecondsSince1970))
    }
    if let from = query.receivedFrom {
      condition("c.received_at >= \(p(1))")
      values.append(.integer(from.millisecondsSince1970))
    }
    if let before = query.receivedBefore {
      condition("c.received_at < \(p(1))")
      values.append(.integer(before.millisecondsSince1970))
    }
    if let text = foldedText, !text.isEmpty {
      condition("c.search_text LIKE \(p(1)) ESCAPE '\\'")
      values.append(.text(TextFolding.likePattern(containing: text)))
    }
    if query.publicOnly { condition(dialect.isPublicCondition) }
    if let cursor = query.after {
      condition("(\(orderKey.0), \(orderKey.1)) \(query.order.isDescending ? "<" : ">") (\(p(1)), \(p(2)))")
      values += [.integer(cursor.key), .text(cursor.caseID.rawValue)]
    }
    if withText {
      if !conditions.isEmpty { sql += " WHERE " + conditions.joined(separator: " AND ") }
      let direction = query.order.isDescending ? "DESC" : "ASC"
      sql += " ORDER BY \(orderKey.0) \(direction), \(orderKey.1) \(direction) LIMIT \(p(1))"
    }
    values.append(.integer(Int64(query.limit + 1)))
    return (sql, values)
  }

}
