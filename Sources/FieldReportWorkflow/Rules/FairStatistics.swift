/// The arithmetic of fair unit statistics, in one pure place: the Wilson score interval, the
/// handling-time percentiles and the ranking (docs/API.md, "Unit statistics").
///
/// The store counts (``FairStatistics/Counts``); everything derived from the counts is computed
/// here, so every engine, the service and the CLI agree on one formula.
public enum FairStatistics {
  /// The normal quantile of a two-sided 95 % interval (Φ⁻¹(0.975)).
  public static let z95 = 1.959963984540054

  /// A proportion with its 95 % Wilson score interval.
  public struct Rate: Hashable, Sendable {
    /// The successes counted.
    public var successes: Int
    /// The trials counted (successes and failures).
    public var trials: Int
    /// successes / trials; 0 when there are no trials.
    public var value: Double
    /// The interval's lower bound (0 when there are no trials).
    public var lower: Double
    /// The interval's upper bound (1 when there are no trials).
    public var upper: Double

    /// The rate of `successes` in `trials` with its Wilson interval at `z`.
    public init(successes: Int, trials: Int, z: Double = FairStatistics.z95) {
      self.successes = successes
      self.trials = trials
      self.value = trials > 0 ? Double(successes) / Double(trials) : 0
      (self.lower, self.upper) = FairStatistics.wilson(successes: successes, trials: trials, z: z)
    }
  }

  /// The Wilson score interval of `successes` in `trials`:
  ///
  ///     p = x / n,  centre = (p + z²/2n) / (1 + z²/n),
  ///     half = z / (1 + z²/n) · √(p(1 − p)/n + z²/4n²),  [centre − half, centre + half]
  ///
  /// clamped to [0, 1]; with no trials nothing is known: [0, 1].
  /// - Precondition: `0 <= successes <= trials` (other values are clamped into it).
  public static func wilson(successes: Int, trials: Int, z: Double = z95) -> (lower: Double, upper: Double) {
    guard trials > 0 else { return (0, 1) }
    let n = Double(trials)
    let x = Double(min(max(successes, 0), trials))
    let p = x / n
    let z2 = z * z
    let denominator = 1 + z2 / n
    let centre = (p + z2 / (2 * n)) / denominator
    let half = z / denominator * (p * (1 - p) / n + z2 / (4 * n * n)).squareRoot()
    // The exact bounds at p = 0 and p = 1 are 0 and 1; rounding must not move them.
    let lower = x == 0 ? 0 : max(0, centre - half)
    let upper = x == n ? 1 : min(1, centre + half)
    return (lower, upper)
  }

  /// The `q`-quantile (0 ≤ q ≤ 1) of values sorted ascending, by linear interpolation between
  /// the closest ranks (position q·(n − 1), as numpy's default and Excel's PERCENTILE.INC),
  /// rounded to the nearest integer; nil for no values.
  public static func percentile(_ sorted: [Int64], _ q: Double) -> Int64? {
    guard let first = sorted.first else { return nil }
    guard sorted.count > 1 else { return first }
    let position = min(max(q, 0), 1) * Double(sorted.count - 1)
    let below = Int(position.rounded(.down))
    let above = min(below + 1, sorted.count - 1)
    let fraction = position - Double(below)
    let value = Double(sorted[below]) + (Double(sorted[above]) - Double(sorted[below])) * fraction
    return Int64(value.rounded())
  }

  /// What the store counts for one row (a unit, or a unit and category) over a period.
  ///
  /// To count something new: add it here, fill it with one aggregate in each engine's
  /// statistics query, and derive its rate in ``Derived``.
  public struct Counts: Hashable, Sendable {
    /// Tasks the unit received (was dispatched) in the period.
    public var volume = 0
    /// Completed in the period early (trước hạn).
    public var early = 0
    /// Completed in the period on time (đúng hạn).
    public var onTime = 0
    /// Completed in the period late (trễ hạn).
    public var late = 0
    /// Completed in the period by returning the case to the IOC.
    public var returned = 0
    /// Of `returned`, those the IOC confirmed were outside the unit's competence.
    public var returnedConfirmed = 0
    /// Every task completed in the period (classified, returned, or without a class).
    public var completed = 0
    /// Handling times in milliseconds (dispatch to the unit's approval) of the tasks approved
    /// in the period, ascending.
    public var handlingMilliseconds: [Int64] = []

    public init() {}

    /// The sum of two rows (a unit and its child units): counts add, times merge.
    public func merged(with other: Counts) -> Counts {
      var sum = self
      sum.volume += other.volume
      sum.early += other.early
      sum.onTime += other.onTime
      sum.late += other.late
      sum.returned += other.returned
      sum.returnedConfirmed += other.returnedConfirmed
      sum.completed += other.completed
      sum.handlingMilliseconds = (handlingMilliseconds + other.handlingMilliseconds).sorted()
      return sum
    }
  }

  /// The rates and figures derived from one row's ``Counts``.
  public struct Derived: Hashable, Sendable {
    /// On-time rate: (early + on time) / (early + on time + late), with its interval.
    public var onTime: Rate
    /// The ranking rate: (early + on time) / (early + on time + late + unconfirmed returns).
    /// A return counts as a failure unless the IOC confirmed it was outside the unit's
    /// competence; confirmed returns count neither way. Units rank by its lower bound.
    public var ranking: Rate
    /// Returns to the IOC over every completed task (0 when none completed).
    public var returnShare: Double
    /// Median handling time in milliseconds; nil when no task was approved.
    public var medianHandlingMilliseconds: Int64?
    /// 90th-percentile handling time in milliseconds; nil when no task was approved.
    public var p90HandlingMilliseconds: Int64?

    /// Derives the figures of `counts`.
    public init(_ counts: Counts) {
      let good = counts.early + counts.onTime
      onTime = Rate(successes: good, trials: good + counts.late)
      let unconfirmed = max(0, counts.returned - counts.returnedConfirmed)
      ranking = Rate(successes: good, trials: good + counts.late + unconfirmed)
      returnShare = counts.completed > 0 ? Double(counts.returned) / Double(counts.completed) : 0
      medianHandlingMilliseconds = FairStatistics.percentile(counts.handlingMilliseconds, 0.5)
      p90HandlingMilliseconds = FairStatistics.percentile(counts.handlingMilliseconds, 0.9)
    }
  }

  /// Ranks rows by their ranking rate's Wilson lower bound, highest first: 1 + the number of
  /// rows with a strictly higher bound (equal bounds share a rank: 1, 2, 2, 4). A row with no
  /// trials has nothing to judge and gets rank 0 (unranked).
  public static func ranks(_ rankings: [Rate]) -> [Int] {
    let bounds = rankings.filter { $0.trials > 0 }.map(\.lower)
    return rankings.map { rate in
      guard rate.trials > 0 else { return 0 }
      return 1 + bounds.filter { $0 > rate.lower }.count
    }
  }
}
