import Foundation
import Testing
import TestSupport

@_spi(Testing) import FieldReportPostgresStore
@_spi(Testing) import FieldReportStore
import FieldReportWorkflow
import StoreTestSupport

/// Two stores on one PostgreSQL database, each with its LISTEN connection, reference cache
/// and throttle counter: what one replica learns of the other's writes, without the services.
@Suite(
  "Replicas: notifications, the reference cache and shared counts", .enabled(if: PostgresTestCluster.shouldRun),
  .timeLimit(.minutes(2)))
struct ReplicaNotificationTests {
  /// Two stores on a new seeded database; `body` gets the fixture (store A) and store B.
  static func withTwoStores(_ body: (StoreFixture, PostgresFieldReportStore) async throws -> Void) async throws {
    let fixture = try await StoreFixture.make(engine: .postgres)
    let opened = try await fixture.reopen()
    let other = try #require(opened as? PostgresFieldReportStore)
    do {
      try await Self.listening(other)
      try await body(fixture, other)
    } catch {
      await other.close()
      await fixture.finish()
      throw error
    }
    await other.close()
    await fixture.finish()
  }

  /// Waits (bounded) until `store` has established its LISTEN connection `sessions` times.
  static func listening(_ store: PostgresFieldReportStore, sessions: Int = 1) async throws {
    for _ in 0..<600 {
      if store.listeningSessionsForTesting >= sessions { return }
      try await Task.sleep(for: .milliseconds(50))
    }
    Issue.record("the store did not establish its LISTEN connection (\(sessions))")
  }

  @Test("a journal append through A rings B's event bell; so does one after B's listening connection was cut and re-established")
  func eventBell() async throws {
    try await Self.withTwoStores { fixture, other in
      var seen = other.eventBell.rings
      _ = try await fixture.submit("Thông báo qua LISTEN")
      // Bounded, not timed: without the notification the bell never rings and this fails.
      await other.eventBell.wait(after: seen, upTo: .seconds(60))
      #expect(other.eventBell.rings > seen)

      // Cut every listening connection of this database (both stores'): B reconnects.
      try await fixture.store.executeRawSQLForTesting(
        """
        SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE application_name = 'fieldreport-listener' AND datname = current_database()
        """)
      try await Self.listening(other, sessions: 2)
      seen = other.eventBell.rings
      _ = try await fixture.submit("Thông báo sau khi nối lại")
      await other.eventBell.wait(after: seen, upTo: .seconds(60))
      #expect(other.eventBell.rings > seen)
      #expect(try await other.events(after: 0, limit: 10).count == 2)
    }
  }

  @Test("reference data cached by B is refreshed by A's notification, with no credential lookup in between")
  func referenceCacheByNotification() async throws {
    try await Self.withTwoStores { fixture, other in
      for _ in 0..<3 {
        _ = try await other.units()
        _ = try await other.unitsByID()
        _ = try await other.categoriesByID()
      }
      let before = try await other.categories()
      let unit = FieldReportWorkflow.Unit(id: "ubnd-xa-thach-ha", name: "UBND Xã Thạch Hạ", kind: .communeWard, parentID: nil)
      try await fixture.store.createUnit(unit)
      try await fixture.store.createCategory(FieldReportWorkflow.Category(id: "cay-xanh", name: "Cây xanh"))
      // Bounded polling: B's cached maps change only when the notification clears them. The
      // maps by id are polled alone (reading the lists would rebuild them), so a map the clear
      // left behind would stay stale here.
      var byID: ([UnitID: FieldReportWorkflow.Unit], [CategoryID: FieldReportWorkflow.Category]) = ([:], [:])
      for _ in 0..<600 {
        byID = (try await other.unitsByID(), try await other.categoriesByID())
        if byID.0[unit.id] != nil, byID.1["cay-xanh"] != nil { break }
        try await Task.sleep(for: .milliseconds(50))
      }
      #expect(byID.0[unit.id]?.name == "UBND Xã Thạch Hạ")
      #expect(byID.1["cay-xanh"]?.name == "Cây xanh")
      let units = try await other.units()
      let categories = try await other.categories()
      #expect(units.contains { $0.id == unit.id })
      #expect(try await other.findUnit(id: unit.id)?.name == "UBND Xã Thạch Hạ")
      #expect(categories.map(\.id).contains("cay-xanh") && categories.count > before.count)
    }
  }

  @Test("after any credential lookup on B, B's cached accounts and grants are what A committed, at once")
  func referenceCacheByCredentialLookup() async throws {
    try await Self.withTwoStores { fixture, other in
      let officer = StoreFixture.thang
      for _ in 0..<3 {
        _ = try await other.findUser(id: officer)
        _ = try await other.roleGrants(userID: officer)
      }
      let grant = try #require(try await other.roleGrants(userID: officer).first { $0.status == .approved })
      var revoked = grant
      revoked.status = .revoked
      try await fixture.store.updateRoleGrant(revoked, expectedStatus: .approved)
      var account = try #require(try await fixture.store.findUser(id: officer))
      account.user.isActive = false
      try await fixture.store.updateUser(account.user)
      // What a call's authentication does first (an unknown token is looked up all the same).
      #expect(try await other.findSession(token: "no-such-token-0123456789abcdef", at: StoreFixture.at(6)) == nil)
      #expect(try await other.roleGrants(userID: officer).first { $0.id == grant.id }?.status == .revoked)
      #expect(try await other.findUser(id: officer)?.user.isActive == false)
    }
  }

  @Test("attempts counted through two stores reach a limit at the same total as through one")
  func sharedAttemptCounts() async throws {
    try await Self.withTwoStores { fixture, other in
      let counters = [fixture.store.attemptCounter(named: "login"), other.attemptCounter(named: "login")]
      let window: Int64 = 15 * 60_000
      let start = StoreFixture.at(6)
      for attempt in 0..<5 {
        let now = start.adding(milliseconds: Int64(attempt) * 1_000)
        for counter in counters {
          #expect(try await counter.delay("a:thang.ld", limit: 5, window: window, now: now) == nil)
        }
        try await counters[attempt % 2].record("a:thang.ld", now: now, window: window)
      }
      let later = start.adding(milliseconds: 10_000)
      for counter in counters {
        // The oldest attempt leaves the window 15 minutes after it was made.
        #expect(try await counter.delay("a:thang.ld", limit: 5, window: window, now: later) == window - 10_000)
        #expect(try await counter.delay("a:duong.lv", limit: 5, window: window, now: later) == nil)
      }
      // Another throttle's counts are its own.
      #expect(
        try await other.attemptCounter(named: "submission").delay("a:thang.ld", limit: 1, window: window, now: later)
          == nil)
      #expect(try await counters[0].delay("a:thang.ld", limit: 5, window: window, now: start.adding(milliseconds: window + 1)) == nil)
      try await counters[1].remove("a:thang.ld")
      #expect(try await counters[0].delay("a:thang.ld", limit: 5, window: window, now: later) == nil)
    }
  }
}
