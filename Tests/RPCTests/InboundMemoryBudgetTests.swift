import NIOConcurrencyHelpers
import NIOCore
import Testing

@testable import RPCNIO

@Suite("The server-wide budget of buffered request bytes")
struct InboundMemoryBudgetTests {
  final class Holder: Sendable {}

  /// `budget.reserve` outside `#expect` (whose macro cannot take the eviction closure).
  static func reserve(
    _ budget: InboundMemoryBudget, _ bytes: Int, _ holder: Holder, _ now: NIODeadline,
    evict: @escaping @Sendable () -> Void = {}
  ) -> Bool {
    budget.reserve(bytes, for: ObjectIdentifier(holder), now: now, evict: evict)
  }

  @Test func reservationsFitTheLimitAndAreReleased() {
    let budget = InboundMemoryBudget(limit: 100)
    let (a, b) = (Holder(), Holder())
    let t0 = NIODeadline.uptimeNanoseconds(1_000_000_000)
    #expect(Self.reserve(budget, 60, a, t0))
    #expect(!Self.reserve(budget, 50, b, t0))
    #expect(budget.used == 60)
    budget.release(ObjectIdentifier(a))
    #expect(budget.used == 0)
    #expect(Self.reserve(budget, 50, b, t0))
    // A holder's next frame replaces its reservation; it is never counted twice.
    #expect(Self.reserve(budget, 70, b, t0))
    #expect(budget.used == 70)
    budget.release(ObjectIdentifier(b))
    budget.release(ObjectIdentifier(b))
    #expect(budget.used == 0)
  }

  @Test func aRefusalEvictsTheLongestStalledHolderOnlyAfterTheStall() {
    let budget = InboundMemoryBudget(limit: 100, stallBeforeEviction: .seconds(1))
    let (a, b, c) = (Holder(), Holder(), Holder())
    let evicted = NIOLockedValueBox<[String]>([])
    let t0 = NIODeadline.uptimeNanoseconds(10_000_000_000)
    let reserveda = Self.reserve(budget, 40, a, t0, evict: { evicted.withLockedValue { $0.append("a") } })
    #expect(reserveda)
    let reservedb = Self.reserve(budget, 40, b, t0 + .milliseconds(100), evict: { evicted.withLockedValue { $0.append("b") } })
    #expect(reservedb)
    // Within the stall allowance nobody is evicted.
    #expect(!Self.reserve(budget, 40, c, t0 + .milliseconds(900)))
    #expect(evicted.withLockedValue { $0 }.isEmpty)
    // `a` made progress; `b` is now the longest stalled.
    budget.progress(ObjectIdentifier(a), now: t0 + .milliseconds(1000))
    #expect(!Self.reserve(budget, 40, c, t0 + .milliseconds(1500)))
    #expect(evicted.withLockedValue { $0 } == ["b"])
    #expect(budget.used == 40)
    // The retry finds the room.
    #expect(Self.reserve(budget, 40, c, t0 + .milliseconds(1600)))
    #expect(budget.used == 80)
  }
}
