public import FieldReportWorkflow

/// A user with their sign-in data.
public struct UserAccount: Hashable, Sendable {
  /// The user.
  public var user: User
  /// The login name, unique (case-sensitive as given; callers normalise), if the user
  /// signs in with a password.
  public var username: String?
  /// The stored password, if any.
  public var credentials: PasswordCredentials?

  /// Creates an account.
  public init(user: User, username: String?, credentials: PasswordCredentials?) {
    self.user = user
    self.username = username
    self.credentials = credentials
  }
}
