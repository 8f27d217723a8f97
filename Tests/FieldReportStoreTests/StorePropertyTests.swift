import Foundation
import Testing

@_spi(Testing) import FieldReportStore
import FieldReportWorkflow
import StoreTestSupport

/// SplitMix64: a small deterministic generator, so a failing seed can be replayed.
struct SeededGenerator: RandomNumberGenerator {
  var state: UInt64
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

@Suite("Store properties under random concurrent actions")
struct StorePropertyTests {
  static let actors = [StoreFixture.iocOperator, StoreFixture.duong, StoreFixture.thang, StoreFixture.toan, StoreFixture.hai]

  static func randomAction(_ generator: inout SeededGenerator) -> CaseAction {
    let units = [StoreFixture.dongLoc, StoreFixture.tranPhu]
    let people = [StoreFixture.thang, StoreFixture.toan]
    switch Int.random(in: 0..<9, using: &generator) {
    case 0: return .dispatch(DispatchOrder(unit: units.randomElement(using: &generator)!))
    case 1: return .assign(AssignmentOrder(mainHandler: people.randomElement(using: &generator)!))
    case 2: return .submitResult(nextHandler: nil, outputProduct: nil)
    case 3: return .approve
    case 4: return .returnToOfficer()
    case 5: return .returnToIoc
    case 6: return .reassign(AssignmentOrder(mainHandler: people.randomElement(using: &generator)!))
    case 7: return .publish(publicly: Bool.random(using: &generator))
    default: return .sendBackToUnit()
    }
  }

  @Test("random actions by random actors keep every journal verifiable and replayable", arguments: StoreEngine.all, [1, 2, 3] as [UInt64])
  func randomActions(engine: StoreEngine, seed: UInt64) async throws {
    let fixture = try await StoreFixture.make(engine: engine)
    var generator = SeededGenerator(state: seed)
    var ids: [CaseID] = []
    for index in 0..<6 {
      ids.append(try await fixture.submit("Ngẫu nhiên \(index)", at: StoreFixture.at(6, hour: 8)).id)
    }
    var accepted = 0
    var decided = 0
    var refused = 0
    var stale = 0
    for round in 0..<25 {
      // Each round: several writers race on random cases with decisions from the same snapshot.
      var planned: [(Transition, Int64)] = []
      for _ in 0..<4 {
        let id = ids.randomElement(using: &generator)!
        let current = try #require(try await fixture.store.findCase(id: id))
        let now = StoreFixture.at(6, hour: 9).adding(milliseconds: Int64(round) * 60_000)
        // A random actor and action is mostly refused by the workflow (a typed refusal, never
        // anything else): draw until one is allowed, so the writers have real work to race
        // on (a case in a final state allows nothing).
        for _ in 0..<60 {
          let actor = Self.actors.randomElement(using: &generator)!
          let action = Self.randomAction(&generator)
          do {
            let transition = try StoreFixture.decide(actor, action, on: current, content: "Vòng \(round)", at: now)
            planned.append((transition, current.version))
            break
          } catch is WorkflowRefusal {
            refused += 1
          }
        }
      }
      decided += planned.count
      let store = fixture.store
      let results = await withTaskGroup(of: Bool.self) { group in
        for (transition, version) in planned {
          group.addTask {
            do {
              _ = try await store.apply(transition, expectedVersion: version, idempotencyKey: nil)
              return true
            } catch let error as StoreError {
              // The only acceptable refusal: another writer of this round got there first.
              if case .staleVersion = error { return false }
              Issue.record("unexpected store error \(error)")
              return false
            } catch {
              Issue.record("unexpected error \(error)")
              return false
            }
          }
        }
        var all: [Bool] = []
        for await result in group { all.append(result) }
        return all
      }
      accepted += results.filter { $0 }.count
      stale += results.filter { !$0 }.count
    }
    // The property is about accepted writes racing: a run where (nearly) everything was
    // refused would prove nothing. Each round's first writer on a case wins its race, and
    // cases reach final states, so not every planned transition applies.
    #expect(decided == accepted + stale)
    #expect(accepted >= 20, "only \(accepted) of \(decided) planned transitions were applied (\(refused) refused by the workflow)")
    #expect(stale >= 1, "no two writers raced on one case")
    #expect(refused > 0)
    var totalEntries = 0
    var codes: Set<String> = []
    for id in ids {
      let stored = try #require(try await fixture.store.findCase(id: id))
      let journal = try await fixture.store.journal(caseID: id)
      #expect(try await fixture.store.verifyJournal(caseID: id).isIntact)
      #expect(Int64(journal.count) == stored.version)
      #expect(try CaseReplay.replay(journal.map(\.entry)) == stored)
      #expect(codes.insert(stored.reportCode.rawValue).inserted)
      totalEntries += journal.count
    }
    #expect(totalEntries == ids.count + accepted)
    let events = try await fixture.store.events(after: 0, limit: 10_000)
    #expect(events.count == totalEntries)
    #expect(zip(events, events.dropFirst()).allSatisfy { $0.eventSequence < $1.eventSequence })
    await fixture.finish()
  }
}
