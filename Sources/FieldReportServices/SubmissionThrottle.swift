import FieldReportWorkflow
import Synchronization

/// In-memory sliding-window limit on new reports per reporter (a brake on one person — or
/// one misbehaving client acting for them — flooding the IOC).
///
/// The reporter is keyed by their citizen account, else the platform's citizen id, else
/// their phone number's digits; a report with none of these is not limited. A server restart
/// forgets the counts, and each replica counts on its own; the IOC can still reject spam.
/// Memory is bounded like ``LoginThrottle``'s.
///
/// # Thread safety
/// All methods may be called concurrently (a `Mutex` guards the counts).
public final class SubmissionThrottle: Sendable {
  private let state: Mutex<SlidingWindowCounts>
  private let limits: ServiceLimits
  /// The most reporters tracked at once.
  let maximumKeys = 100_000

  /// False when the limit is off (`Int.max`, from `--reports-per-reporter-hour 0`): nothing is
  /// counted or kept.
  var isOn: Bool { self.limits.submissionsPerReporter < Int.max }

  /// Creates a throttle with the limits' threshold and window.
  public init(limits: ServiceLimits) {
    self.limits = limits
    self.state = Mutex(SlidingWindowCounts(maximumKeys: self.maximumKeys))
  }

  /// The key a reporter is counted under, or nil when the report names none.
  static func key(citizenAccount: UserID?, platformCitizenID: String, phone: String) -> String? {
    if let citizenAccount { return "u:" + citizenAccount.rawValue }
    if !platformCitizenID.isEmpty { return "c:" + platformCitizenID }
    let digits = String(phone.filter(\.isNumber))
    return digits.isEmpty ? nil : "p:" + digits
  }

  /// How long the reporter must wait before another new report is accepted, or nil.
  func retryDelay(reporter: String, now: Timestamp) -> Int64? {
    guard self.isOn else { return nil }
    return self.state.withLock { state in
      state.delay(
        reporter, limit: self.limits.submissionsPerReporter, window: self.limits.submissionWindowMilliseconds,
        now: now.millisecondsSince1970)
    }
  }

  /// Counts a new report of the reporter.
  func recordAccepted(reporter: String, now: Timestamp) {
    guard self.isOn else { return }
    self.state.withLock { state in
      state.record(reporter, now: now.millisecondsSince1970, window: self.limits.submissionWindowMilliseconds)
    }
  }
}
