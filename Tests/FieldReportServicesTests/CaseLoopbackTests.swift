import FieldReportAPI
import FieldReportServices
import FieldReportWorkflow
import Foundation
import RPCCore
import RPCNIO
import Testing
import WireBridge

/// The case services over a real loopback socket and a real SQLite file.
@Suite("Case services over loopback", .timeLimit(.minutes(1)))
struct CaseLoopbackTests {
  typealias P = DemoProvince

  @Test("A report from submission to publication, and the event stream resumed after a reconnect")
  func endToEnd() async throws {
    try await TestServer.with(limits: CaseWorld.limits) { server in
      try await server.withLiveServerAndPort { client, port in
        let world = try await CaseWorld.over(server, transport: client)
        let submitted = try await world.submit("Gây mất trật tự Công cộng", key: "loopback-1")
        #expect(try await world.submit("Gây mất trật tự Công cộng", key: "loopback-1").caseId == submitted.caseId)
        let atUnit = try await world.dispatch(submitted, to: P.dongLoc)

        // The platform's relay watches over a connection of its own, then loses it.
        let relay = RPCClient(configuration: .init(host: "127.0.0.1", port: port), logger: TestServer.logger)
        let relayWorld = CaseWorld(server: server, transport: relay, tokens: world.tokens)
        let before = try await JournalServiceTests.watch(relayWorld, as: P.platform, after: "0", count: 1)
        let cursor = try unwrap(before.messages.last?.cursor)
        await relay.close()
        #expect(await failure { _ = try await relayWorld.cases.listCategories(.init(), options: relayWorld.as(P.platform)) } == .unavailable)

        // Refused over the wire too: a leader of another unit does not see the case (until it
        // is published publicly).
        var get = Fieldreport_V1_GetCaseRequest()
        get.key = .caseId(atUnit.caseId)
        #expect(await failure { _ = try await world.cases.getCase(get, options: world.as(P.nam)) } == .notFound)

        let assigned = try unwrap(try await world.assign(atUnit, by: P.duong, to: P.thang).caseSummary)
        let awaiting = try await world.submitResult(assigned, by: P.thang, letter: "Đã xử lý")
        let resolved = try await world.approve(awaiting, by: P.duong)
        var publish = Fieldreport_V1_PublishResultRequest()
        publish.common = world.common(resolved, "", notify: true)
        publish.scope = .everyone
        let published = try await world.cases.publishResult(publish, options: world.as(P.quan))
        #expect(published.caseSummary?.state == .published)

        // The relay reconnects (a new connection) and resumes after the submission it
        // already had: the next event it may see is the publication (the unit's steps are not
        // the platform's); the submission is not repeated.
        let reconnected = RPCClient(configuration: .init(host: "127.0.0.1", port: port), logger: TestServer.logger)
        let resumedWorld = CaseWorld(server: server, transport: reconnected, tokens: world.tokens)
        let resumed = try await JournalServiceTests.watch(resumedWorld, as: P.platform, after: cursor, count: 1)
        #expect(resumed.events.map(\.entry?.action) == [.publishResult])
        // It relays the publication to the citizen's app, with the reporter to notify.
        let after = try await JournalServiceTests.watch(resumedWorld, as: P.platform, after: cursor, count: 1) { request in
          request.mobileNotificationsOnly = true
        }
        await reconnected.close()
        let event = try unwrap(after.events.first)
        #expect(event.entry?.action == .publishResult)
        #expect(event.reporter?.phone == "0912345678")
        #expect(event.reportTitle == "Gây mất trật tự Công cộng")
        #expect(before.events.first?.entry?.action == .submit)

      }
    }
  }
}
