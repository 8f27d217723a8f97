public import FieldReportWorkflow

/// Service-level limits and security settings. The defaults are the production values the
/// contract documents; tests lower the password-hashing cost to run fast.
public struct ServiceLimits: Sendable, Hashable {
  /// How long a session token lives (default 12 hours, as the contract says).
  public var sessionLifetimeMilliseconds: Int64
  /// The page size used when a request says 0 (default 50).
  public var defaultPageSize: Int
  /// The largest page size; larger requests are capped to it (default 200).
  public var maximumPageSize: Int
  /// Failed logins accepted per account within ``failedLoginWindowMilliseconds`` before
  /// further attempts are refused with RESOURCE_EXHAUSTED (default 5).
  public var failedLoginsPerAccount: Int
  /// Failed logins accepted per peer address within the window (default 20).
  public var failedLoginsPerPeer: Int
  /// The sliding window of the login rate limits (default 15 minutes).
  public var failedLoginWindowMilliseconds: Int64
  /// How passwords are derived into stored keys.
  public var passwordHashing: PasswordHashing
  /// The largest attachment accepted by UploadAttachment, in bytes (default 8 MiB).
  public var maximumAttachmentBytes: Int
  /// New reports accepted per reporter (a citizen account, the platform's citizen id, or
  /// else the reporter's phone number) within ``submissionWindowMilliseconds``; more are
  /// refused with RESOURCE_EXHAUSTED and a retry delay (default 20). Replays of an
  /// idempotency key do not count.
  public var submissionsPerReporter: Int
  /// The sliding window of the per-reporter submission limit (default 1 hour).
  public var submissionWindowMilliseconds: Int64

  /// Creates limits; every parameter defaults to the production value.
  public init(
    sessionLifetimeMilliseconds: Int64 = 12 * Timestamp.millisecondsPerHour,
    defaultPageSize: Int = 50,
    maximumPageSize: Int = 200,
    failedLoginsPerAccount: Int = 5,
    failedLoginsPerPeer: Int = 20,
    failedLoginWindowMilliseconds: Int64 = 15 * Timestamp.millisecondsPerMinute,
    passwordHashing: PasswordHashing = .standard,
    maximumAttachmentBytes: Int = 8 << 20,
    submissionsPerReporter: Int = 20,
    submissionWindowMilliseconds: Int64 = Timestamp.millisecondsPerHour
  ) {
    self.sessionLifetimeMilliseconds = sessionLifetimeMilliseconds
    self.defaultPageSize = defaultPageSize
    self.maximumPageSize = maximumPageSize
    self.failedLoginsPerAccount = failedLoginsPerAccount
    self.failedLoginsPerPeer = failedLoginsPerPeer
    self.failedLoginWindowMilliseconds = failedLoginWindowMilliseconds
    self.passwordHashing = passwordHashing
    self.maximumAttachmentBytes = maximumAttachmentBytes
    self.submissionsPerReporter = submissionsPerReporter
    self.submissionWindowMilliseconds = submissionWindowMilliseconds
  }

  /// The production defaults.
  public static let standard = ServiceLimits()

  /// The page size to use for a request's `page_size`: 0 → the default, capped at the
  /// maximum. Negative sizes are the caller's to refuse (see ``validatedPageSize(_:field:)``).
  public func pageSize(_ requested: Int32) -> Int {
    requested <= 0 ? self.defaultPageSize : min(Int(requested), self.maximumPageSize)
  }
}
