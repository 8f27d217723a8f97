public import FieldReportStore
import FieldReportWorkflow
public import Logging

/// Sliding-window limit on new reports per reporter (a brake on one person — or one
/// misbehaving client acting for them — flooding the IOC): the rule lives here, the counts in
/// the store's ``FieldReportStore/AttemptCounter`` (in the database for PostgreSQL, so every
/// replica counts the same reports).
///
/// The reporter is keyed by their citizen account, else the platform's citizen id, else
/// their phone number's digits; a report with none of these is not limited. In memory
/// (SQLite) a server restart forgets the counts; the IOC can still reject spam.
///
/// # Thread safety
/// `Sendable`; all methods may be called concurrently (the counter synchronizes).
public struct SubmissionThrottle: Sendable {
  private let counter: any AttemptCounter
  private let limits: ServiceLimits
  private let logger: Logger

  /// False when the limit is off (`Int.max`, from `--reports-per-reporter-hour 0`): nothing is
  /// counted or kept.
  var isOn: Bool { self.limits.submissionsPerReporter < Int.max }

  /// Creates a throttle with the limits' threshold and window, counting in `counter`.
  public init(limits: ServiceLimits, counter: any AttemptCounter, logger: Logger) {
    self.limits = limits
    self.counter = counter
    self.logger = logger
  }

  /// The key a reporter is counted under, or nil when the report names none.
  static func key(citizenAccount: UserID?, platformCitizenID: String, phone: String) -> String? {
    if let citizenAccount { return "u:" + citizenAccount.rawValue }
    if !platformCitizenID.isEmpty { return "c:" + platformCitizenID }
    let digits = String(phone.filter(\.isNumber))
    return digits.isEmpty ? nil : "p:" + digits
  }

  /// How long the reporter must wait before another new report is accepted, or nil.
  /// - Throws: ``FieldReportStore/StoreError`` when the counts cannot be read.
  func retryDelay(reporter: String, now: Timestamp) async throws -> Int64? {
    guard self.isOn else { return nil }
    return try await counter.delay(
      reporter, limit: self.limits.submissionsPerReporter, window: self.limits.submissionWindowMilliseconds, now: now)
  }

  /// Counts a new report of the reporter (the report is stored already: a failure to count
  /// is logged, not returned).
  func recordAccepted(reporter: String, now: Timestamp) async {
    guard self.isOn else { return }
    do {
      try await counter.record(reporter, now: now, window: self.limits.submissionWindowMilliseconds)
    } catch {
      logger.warning("a new report could not be counted", metadata: ["error": "\(error)"])
    }
  }
}
