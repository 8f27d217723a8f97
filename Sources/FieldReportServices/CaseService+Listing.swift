import FieldReportAPI
import FieldReportStore
import FieldReportWorkflow
public import RPCCore
public import WireBridge

extension CaseService {
  /// Lists cases: the inbox (No., Title, Sender, Current handler, From, To, overdue) and
  /// searches.
  ///
  /// A scope is a union of store queries (e.g. "mine" = held by me, or waiting at a unit I
  /// lead, or at my IOC); the union is paged by the store's stable order (newest report
  /// first, or the requested order; the cursor carries the sort key and the case id), so
  /// pages never skip or repeat a case. Overdue-only is a store filter. Every row is checked against the
  /// workflow's visibility and redacted for the caller. The page token is bound to the
  /// filters and the caller.
  public func listCases(
    _ request: Fieldreport_V1_ListCasesRequest, context: ServerContext
  ) async throws -> Fieldreport_V1_ListCasesResponse {
    let principal = try context.principal()
    let actor = principal.actor
    guard request.pageSize >= 0 else { throw invalidArgument("page_size", "must not be negative") }
    let limit = env.limits.pageSize(request.pageSize)
    guard request.textQuery.utf8.count <= 200 else {
      throw invalidArgument("text_query", "is longer than 200 bytes")
    }
    if let from = request.reportedFromMs, let to = request.reportedToMs, from >= to {
      throw invalidArgument("reported_to_ms", "must be after reported_from_ms")
    }
    var states: Set<CaseState>?
    if !request.states.isEmpty {
      var chosen: Set<CaseState> = []
      for (index, state) in request.states.enumerated() {
        guard let known = state.domain else { throw invalidArgument("states[\(index)]", "unknown state") }
        chosen.insert(known)
      }
      states = chosen
    }
    var outcomes: Set<CaseOutcome>?
    if !request.outcomes.isEmpty {
      var chosen: Set<CaseOutcome> = []
      for (index, outcome) in request.outcomes.enumerated() {
        guard let known = outcome.domain else { throw invalidArgument("outcomes[\(index)]", "unknown outcome") }
        chosen.insert(known)
      }
      outcomes = chosen
    }
    let unit: UnitID? = request.unitId.isEmpty ? nil : UnitID(request.unitId)

    var base = CaseQuery(limit: limit)
    base.states = states
    base.outcomes = outcomes
    base.category = request.categoryId.isEmpty ? nil : CategoryID(request.categoryId)
    base.receivedFrom = request.reportedFromMs.map(Timestamp.init(millisecondsSince1970:))
    base.receivedBefore = request.reportedToMs.map(Timestamp.init(millisecondsSince1970:))
    base.text = request.textQuery.isEmpty ? nil : request.textQuery
    let scope = request.scope == .unspecified ? .mine : request.scope
    let order: CaseListOrder
    switch request.order {
    // A submitter's own reports, newest first: the order their link rows are kept in (in step
    // order the store sorts the submitter's cases; ``CaseIndexing/unsteppedKind``).
    case .unspecified where scope == .reported: order = .reportedNewest
    case .unspecified, .stepStartedDesc: order = .stepStartedNewest
    case .stepDueAsc: order = .stepDueSoonest
    case .reportedDesc: order = .reportedNewest
    case .reportedAsc: order = .reportedOldest
    case .updatedDesc: order = .updatedNewest
    default: throw invalidArgument("order", "unknown value")
    }
    base.order = order
    let now = env.now()
    // Overdue is judged by the store on the contract's step due time, so pages are full.
    if request.overdueOnly { base.overdueAt = now }

    let plan = try Self.plan(scope: scope, unit: unit, base: base, principal: principal)

    let filterKey = Self.filterKey(request, scope: scope, caller: principal.id)
    var after: CaseCursor?
    if !request.pageToken.isEmpty {
      guard let cursor = PageToken.decode(request.pageToken, filterKey: filterKey), cursor.order == order else {
        throw invalidArgument("page_token", "is malformed or was issued for other filters")
      }
      after = cursor
    }

    let pages = try await env.store.listCases(
      plan.queries.map { query in
        var query = query
        query.after = after
        return query
      })
    // Merge the pages by (key, id), each key computed once, moving positions rather than
    // cases (a case is a large value: copies showed in the profile).
    var kept: [Case]
    var mergedCount: Int
    if pages.count == 1 {
      kept = Array(pages[0].cases.prefix(limit))
      mergedCount = pages[0].cases.count
    } else {
      var positions: [(key: Int64, id: String, page: Int, index: Int)] = []
      positions.reserveCapacity(pages.reduce(0) { $0 + $1.cases.count })
      for (p, page) in pages.enumerated() {
        for (i, c) in page.cases.enumerated() {
          positions.append((order.key(of: c, policy: env.policy), c.id.rawValue, p, i))
        }
      }
      let descending = order.isDescending
      positions.sort { descending ? ($0.key, $0.id) > ($1.key, $1.id) : ($0.key, $0.id) < ($1.key, $1.id) }
      // A case in two pages (held by me *and* in my unit's inbox) sorts next to itself: the
      // pages come from one snapshot, so both copies have the same key. Dropping neighbours
      // with the same id replaces a set of every id (5 % of an IOC inbox call, perf).
      var unique = 0
      for index in positions.indices where unique == 0 || positions[unique - 1].id != positions[index].id {
        positions[unique] = positions[index]
        unique += 1
      }
      positions.removeLast(positions.count - unique)
      mergedCount = positions.count
      kept = positions.prefix(limit).map { pages[$0.page].cases[$0.index] }
    }
    let more = mergedCount > limit || pages.contains { $0.nextCursor != nil }
    let renderer = try await CaseRenderer.forSummaries(env: env, viewer: actor, cases: kept)
    var response = Fieldreport_V1_ListCasesResponse()
    response.cases.reserveCapacity(kept.count)
    for c in kept where CaseVisibility.canSee(c, viewer: actor) && plan.keep(c) {
      response.cases.append(Fieldreport_V1_CaseSummary())
      renderer.fillSummary(c, into: &response.cases[response.cases.count - 1])
    }
    if more, let last = kept.last {
      response.nextPageToken = PageToken.encode(
        order.cursor(after: last, policy: env.policy), filterKey: filterKey)
    }
    return response
  }

  /// The store queries whose union is a scope, and the row filter that narrows it.
  struct ListingPlan {
    var queries: [CaseQuery]
    var keep: (Case) -> Bool
  }

  static func plan(
    scope: Fieldreport_V1_CaseScope, unit: UnitID?, base: CaseQuery, principal: Principal
  ) throws(RPCError) -> ListingPlan {
    let me = principal.id
    let isIOC = principal.hasAnywhere(.iocOperator)
    func held(_ query: CaseQuery) -> CaseQuery {
      var query = query
      if let unit { query.currentUnit = unit }
      return query
    }
    func narrowed(_ query: CaseQuery, to allowed: Set<CaseState>) -> CaseQuery {
      var query = query
      query.states = query.states.map { $0.intersection(allowed) } ?? allowed
      return query
    }
    switch scope {
    case .mine:
      var queries: [CaseQuery] = []
      var heldByMe = held(base)
      heldByMe.heldBy = me
      queries.append(heldByMe)
      let collective: Set<CaseState> = [.atUnit, .awaitingApproval]
      for grant in principal.grants where grant.role == .leader && (unit == nil || unit == grant.unitID) {
        var query = narrowed(base, to: collective)
        query.currentUnit = grant.unitID
        queries.append(query)
      }
      let atIOC: Set<CaseState> = [.received, .returnedToIoc, .resolved]
      for grant in principal.grants
      where grant.role == .iocOperator && (unit == nil || unit == grant.unitID) {
        var query = narrowed(base, to: atIOC)
        query.currentUnit = grant.unitID
        queries.append(query)
      }
      return ListingPlan(queries: queries) { c in
        if c.holder.userIDs.contains(me) { return true }
        if case .unit(let holderUnit) = c.holder {
          if collective.contains(c.state), principal.has(.leader, at: holderUnit) { return true }
          if atIOC.contains(c.state), principal.has(.iocOperator, at: holderUnit) { return true }
        }
        return false
      }

    case .myUnits:
      let units: [UnitID]
      if let unit {
        guard principal.grants.contains(where: { $0.unitID == unit }) else {
          throw RPCError(code: .permissionDenied, message: "You hold no role at unit \(unit).")
        }
        units = [unit]
      } else {
        units = Array(Set(principal.grants.map(\.unitID))).sorted()
      }
      let queries = units.map { unit -> CaseQuery in
        var query = base
        query.involvingUnit = unit
        return query
      }
      return ListingPlan(queries: queries) { _ in true }

    case .participating:
      var query = held(base)
      query.participant = me
      return ListingPlan(queries: [query]) { c in
        c.assignment.map { $0.coordinators.contains(me) || $0.followers.contains(me) } ?? false
          || (c.assignment?.mainHandler == me)
      }

    case .all:
      guard isIOC || principal.isSystemAdmin else {
        throw RPCError(
          code: .permissionDenied, message: "Only IOC operators and system administrators list every case.")
      }
      var query = base
      query.involvingUnit = unit
      return ListingPlan(queries: [query]) { _ in true }

    case .reported:
      var query = held(base)
      query.submittedBy = me
      return ListingPlan(queries: [query]) { _ in true }

    case .public:
      var query = narrowed(held(base), to: [.published])
      query.publicOnly = true
      return ListingPlan(queries: [query]) { CaseVisibility.isPubliclyListed($0) }

    default:
      throw invalidArgument("scope", "unknown value")
    }
  }

  /// What a page token is bound to: the caller and every filter (not the page size).
  static func filterKey(
    _ request: Fieldreport_V1_ListCasesRequest, scope: Fieldreport_V1_CaseScope, caller: UserID
  ) -> String {
    let parts: [String] = [
      caller.rawValue, String(scope.rawValue), request.unitId,
      request.states.map { String($0.rawValue) }.sorted().joined(separator: ","),
      request.categoryId, String(request.overdueOnly),
      request.reportedFromMs.map(String.init) ?? "-", request.reportedToMs.map(String.init) ?? "-",
      request.textQuery, String(request.order.rawValue),
      request.outcomes.map { String($0.rawValue) }.sorted().joined(separator: ","),
    ]
    return PageToken.fingerprint(parts)
  }
}
