import FieldReportWorkflow
import Testing

/// The arithmetic of fair unit statistics against values computed independently (Python,
/// the formula in docs/API.md) and against its edge cases.
@Suite("FairStatistics")
struct FairStatisticsTests {
  static func close(_ a: Double, _ b: Double, _ tolerance: Double = 1e-9) -> Bool { abs(a - b) <= tolerance }

  @Test("Wilson score interval: 0/0, 0/n, n/n, 8/10, 1/2, 80/100")
  func wilson() {
    let none = FairStatistics.wilson(successes: 0, trials: 0)
    #expect(none.lower == 0 && none.upper == 1)
    let zero = FairStatistics.wilson(successes: 0, trials: 10)
    #expect(zero.lower == 0 && Self.close(zero.upper, 0.2775327998628892))
    let all = FairStatistics.wilson(successes: 10, trials: 10)
    #expect(Self.close(all.lower, 0.7224672001371107) && all.upper == 1)
    let eight = FairStatistics.wilson(successes: 8, trials: 10)
    #expect(Self.close(eight.lower, 0.4901624715366418) && Self.close(eight.upper, 0.9433178485456248))
    let half = FairStatistics.wilson(successes: 1, trials: 2)
    #expect(Self.close(half.lower, 0.09453120573423074) && Self.close(half.upper, 0.9054687942657693))
    let large = FairStatistics.wilson(successes: 80, trials: 100)
    #expect(Self.close(large.lower, 0.7111708344068411) && Self.close(large.upper, 0.8666330666689676))
    // The same rate on a larger sample has a higher lower bound: small samples are not rewarded.
    #expect(large.lower > eight.lower)
    // Out-of-range successes are clamped, never a crash or a bound outside [0, 1].
    let clamped = FairStatistics.wilson(successes: 12, trials: 10)
    #expect(clamped.lower == all.lower && clamped.upper == 1)
  }

  @Test("Percentiles: linear interpolation between closest ranks")
  func percentiles() {
    #expect(FairStatistics.percentile([], 0.5) == nil)
    #expect(FairStatistics.percentile([7], 0.5) == 7 && FairStatistics.percentile([7], 0.9) == 7)
    #expect(FairStatistics.percentile([1, 2, 3, 4], 0.5) == 3)  // 2.5 rounds to 3 (away from zero)
    #expect(FairStatistics.percentile([10, 20, 30], 0.5) == 20)
    #expect(FairStatistics.percentile(Array(1...10), 0.9) == 9)  // position 8.1: 9 + 0.1 · (10 − 9)
    #expect(FairStatistics.percentile(Array(stride(from: 0, through: 1000, by: 10)), 0.9) == 900)
    #expect(FairStatistics.percentile([0, 100], 0.9) == 90)
    #expect(FairStatistics.percentile([5, 9], 0) == 5 && FairStatistics.percentile([5, 9], 1) == 9)
  }

  @Test("Derived figures: on-time rate, ranking with confirmed and unconfirmed returns, return share")
  func derived() {
    var counts = FairStatistics.Counts()
    counts.early = 3
    counts.onTime = 5
    counts.late = 2
    counts.returned = 3
    counts.returnedConfirmed = 1
    counts.completed = 13
    counts.handlingMilliseconds = [100, 200, 300, 400, 500]
    let figures = FairStatistics.Derived(counts)
    #expect(figures.onTime.successes == 8 && figures.onTime.trials == 10 && figures.onTime.value == 0.8)
    #expect(Self.close(figures.onTime.lower, 0.4901624715366418))
    // Two unconfirmed returns are failures; the confirmed one counts neither way.
    #expect(figures.ranking.successes == 8 && figures.ranking.trials == 12)
    #expect(Self.close(figures.returnShare, 3.0 / 13.0))
    #expect(figures.medianHandlingMilliseconds == 300 && figures.p90HandlingMilliseconds == 460)
    let empty = FairStatistics.Derived(FairStatistics.Counts())
    #expect(empty.onTime.value == 0 && empty.onTime.lower == 0 && empty.onTime.upper == 1)
    #expect(empty.returnShare == 0 && empty.medianHandlingMilliseconds == nil)
  }

  @Test("A unit that returns its hard cases ranks below one that handles them late")
  func returningDoesNotPay() {
    // A: 8 on time, returns 10 hard cases unconfirmed. B: 8 on time, 10 late.
    var a = FairStatistics.Counts()
    a.onTime = 8
    a.returned = 10
    var b = FairStatistics.Counts()
    b.onTime = 8
    b.late = 10
    // C: the same as A but the IOC confirmed every return: only its 8 handled cases count.
    var c = a
    c.returnedConfirmed = 10
    let rankings = [a, b, c].map { FairStatistics.Derived($0).ranking }
    #expect(FairStatistics.Derived(a).onTime.value == 1)  // the naive rate would put A first
    #expect(rankings[0].lower == rankings[1].lower)
    #expect(FairStatistics.ranks(rankings) == [2, 2, 1])
  }

  @Test("Ranks: by lower bound, ties shared, empty rows unranked, small samples below large ones")
  func ranks() {
    let rates = [
      FairStatistics.Rate(successes: 8, trials: 10),
      FairStatistics.Rate(successes: 80, trials: 100),
      FairStatistics.Rate(successes: 0, trials: 0),
      FairStatistics.Rate(successes: 1, trials: 1),
      FairStatistics.Rate(successes: 8, trials: 10),
    ]
    // 80/100 (0.711) > 8/10 (0.490) = 8/10 > 1/1 (0.207); 0/0 unranked.
    #expect(FairStatistics.ranks(rates) == [2, 1, 0, 4, 2])
    #expect(FairStatistics.ranks([]) == [])
  }

  @Test("Merging a unit with its child units adds counts and merges handling times in order")
  func merging() {
    var parent = FairStatistics.Counts()
    parent.volume = 2
    parent.early = 1
    parent.handlingMilliseconds = [10, 50]
    var child = FairStatistics.Counts()
    child.volume = 3
    child.late = 2
    child.returned = 1
    child.returnedConfirmed = 1
    child.handlingMilliseconds = [20, 60]
    let sum = parent.merged(with: child)
    #expect(sum.volume == 5 && sum.early == 1 && sum.late == 2 && sum.returned == 1 && sum.returnedConfirmed == 1)
    #expect(sum.handlingMilliseconds == [10, 20, 50, 60])
  }
}
