/// Why the workflow refused a request: the rule broken, with the facts needed to explain it.
///
/// Every refusal has a stable machine ``code`` (never changes once published), a human
/// ``message`` and a ``category`` that maps onto an RPC status family.
public enum WorkflowRefusal: Error, Hashable, Codable, Sendable, CustomStringConvertible {
  /// The actor holds none of the `required` approved roles at `unit` (nil: at any unit).
  case wrongRole(required: [RoleGrant.Role], unit: UnitID?)
  /// The actor acts for `actual` but the case (or grant) belongs to `expected`.
  case wrongUnit(expected: UnitID, actual: UnitID?)
  /// The action is not allowed from the case's current state.
  case wrongState(current: CaseState, action: ActionKind)
  /// The caller's `expected` version is not the case's `actual` version.
  case staleVersion(expected: Int64, actual: Int64)
  /// The unit may no longer return the case to the IOC: the window closed at `deadline`.
  case pastReturnWindow(deadline: Timestamp)
  /// An assignment must name exactly one main handler.
  case missingMainHandler
  /// A request field is malformed: which one and why.
  case invalidField(name: String, reason: String)
  /// The actor is not on the case's assignment in the needed capacity.
  case notAParticipant(UserID)
  /// The actor is not the main handler of the case.
  case notTheMainHandler(UserID)
  /// The actor was not among the monitoring recipients.
  case notARecipient(UserID)
  /// The recipient already acknowledged this monitoring transfer.
  case alreadyAcknowledged(UserID)
  /// The account is disabled.
  case inactiveAccount(UserID)
  /// The account kind cannot do this (e.g. a citizen dispatching).
  case wrongAccountKind(UserID, User.Kind)
  /// A named unit is unknown.
  case unknownUnit(UnitID)
  /// A named user is unknown.
  case unknownUser(UserID)
  /// A named category is unknown.
  case unknownCategory(CategoryID)
  /// Nobody may decide their own role request or revoke their own role.
  case selfDecision(UserID)
  /// A named transfer group is unknown (or belongs to another unit).
  case unknownGroup(TransferGroupID)
  /// Cases can only be dispatched to handling units (not to an IOC).
  case notAHandlingUnit(UnitID)
  /// A person named on an assignment, as next handler or as recipient has no approved role
  /// at the unit that qualifies them.
  case notEligible(UserID, role: String, unit: UnitID)
  /// The case (or the assignment's "do not publish") forbids public publication.
  case publicationNotAllowed
  /// A role request can be decided only while pending; this one is `current`.
  case roleNotPending(current: RoleGrant.Status)
  /// Only an approved role can be revoked; this one is `current`.
  case roleNotApproved(current: RoleGrant.Status)
  /// The user already has a pending or approved grant of this role at this unit.
  case duplicateRoleRequest(existing: RoleGrantID)
  /// A verdict is recorded only on a published case; this one is `current`.
  case verdictNotOpen(current: CaseState)
  /// The case already has its one verdict.
  case verdictAlreadyRecorded
  /// Only the platform account that submitted the case, or the reporting citizen, relays
  /// the reporter's verdict.
  case notTheReporter(UserID)
  /// The case's clock is on hold since `since`: only resuming it, contributing and saving a
  /// draft are allowed until it is resumed (``CaseWorkflow/allowedWhileHeld``).
  case clockOnHold(since: Timestamp)
  /// ResumeClock on a case whose clock is running.
  case clockNotHeld

  /// The stable machine-readable code, e.g. `WRONG_ROLE`.
  public var code: String {
    switch self {
    case .wrongRole: "WRONG_ROLE"
    case .wrongUnit: "WRONG_UNIT"
    case .wrongState: "WRONG_STATE"
    case .staleVersion: "STALE_VERSION"
    case .pastReturnWindow: "PAST_RETURN_WINDOW"
    case .missingMainHandler: "MISSING_MAIN_HANDLER"
    case .invalidField: "INVALID_FIELD"
    case .notAParticipant: "NOT_A_PARTICIPANT"
    case .notTheMainHandler: "NOT_THE_MAIN_HANDLER"
    case .notARecipient: "NOT_A_RECIPIENT"
    case .alreadyAcknowledged: "ALREADY_ACKNOWLEDGED"
    case .inactiveAccount: "INACTIVE_ACCOUNT"
    case .wrongAccountKind: "WRONG_ACCOUNT_KIND"
    case .unknownUnit: "UNKNOWN_UNIT"
    case .unknownUser: "UNKNOWN_USER"
    case .unknownGroup: "UNKNOWN_GROUP"
    case .unknownCategory: "UNKNOWN_CATEGORY"
    case .selfDecision: "SELF_DECISION"
    case .notAHandlingUnit: "NOT_A_HANDLING_UNIT"
    case .notEligible: "NOT_ELIGIBLE"
    case .publicationNotAllowed: "PUBLICATION_NOT_ALLOWED"
    case .roleNotPending: "ROLE_NOT_PENDING"
    case .roleNotApproved: "ROLE_NOT_APPROVED"
    case .duplicateRoleRequest: "DUPLICATE_ROLE_REQUEST"
    case .verdictNotOpen: "VERDICT_NOT_OPEN"
    case .verdictAlreadyRecorded: "VERDICT_ALREADY_RECORDED"
    case .notTheReporter: "NOT_THE_REPORTER"
    case .clockOnHold: "CLOCK_ON_HOLD"
    case .clockNotHeld: "CLOCK_NOT_HELD"
    }
  }

  /// The status family the refusal maps to.
  public var category: RefusalCategory {
    switch self {
    case .wrongRole, .wrongUnit, .notAParticipant, .notTheMainHandler, .notARecipient,
      .inactiveAccount, .wrongAccountKind, .selfDecision, .notTheReporter:
      .permissionDenied
    case .wrongState, .pastReturnWindow, .alreadyAcknowledged, .publicationNotAllowed,
      .roleNotPending, .roleNotApproved, .duplicateRoleRequest, .verdictNotOpen,
      .verdictAlreadyRecorded, .clockOnHold, .clockNotHeld:
      .failedPrecondition
    case .staleVersion:
      .aborted
    case .missingMainHandler, .invalidField, .notAHandlingUnit, .notEligible:
      .invalidArgument
    case .unknownUnit, .unknownUser, .unknownGroup, .unknownCategory:
      .notFound
    }
  }

  /// The field a caller should fix, for field-violation details (nil when not about a field).
  public var fieldName: String? {
    switch self {
    case .invalidField(let name, _): name
    case .missingMainHandler: "mainHandler"
    case .staleVersion: "expectedVersion"
    default: nil
    }
  }

  /// A one-sentence explanation for people, with people and units by id.
  public var message: String { message(naming: nil) }

  /// A one-sentence explanation for people, naming people and units by the names `names`
  /// holds (its users and units; ids for those it does not hold).
  public func message(naming names: Directory?) -> String {
    func person(_ id: UserID) -> String { names?.users[id]?.fullName ?? "user \(id)" }
    func unit(_ id: UnitID) -> String { names?.units[id]?.name ?? "unit \(id)" }
    switch self {
    case .wrongRole(let roles, let unitID):
      let roleNames = roles.map(\.rawValue).joined(separator: " or ")
      return unitID.map { "requires an approved \(roleNames) role at \(unit($0))" }
        ?? "requires an approved \(roleNames) role"
    case .wrongUnit(let expected, let actual):
      return "the case belongs to \(unit(expected)), not \(actual.map(unit) ?? "no unit")"
    case .wrongState(let current, let action):
      return "cannot \(action.rawValue) a case in state \(current.rawValue)"
    case .staleVersion(let expected, let actual):
      return "the case changed: expected version \(expected), it is now \(actual); reload and retry"
    case .pastReturnWindow(let deadline):
      return "the window for returning the case to the IOC closed at \(deadline)"
    case .missingMainHandler:
      return "an assignment needs exactly one main handler"
    case .invalidField(let name, let reason):
      return "invalid \(name): \(reason)"
    case .notAParticipant(let user):
      return "\(person(user)) is not on this case's assignment"
    case .notTheMainHandler(let user):
      return "\(person(user)) is not the case's main handler"
    case .notARecipient(let user):
      return "\(person(user)) is not a recipient of this monitoring transfer"
    case .alreadyAcknowledged(let user):
      return "\(person(user)) already acknowledged this transfer"
    case .inactiveAccount(let user):
      return "the account of \(person(user)) is disabled"
    case .wrongAccountKind(let user, let kind):
      return "the account of \(person(user)) is a \(kind.rawValue) account and cannot do this"
    case .unknownUnit(let unit):
      return "no unit \(unit)"
    case .unknownUser(let user):
      return "no user \(user)"
    case .unknownGroup(let group):
      return "no transfer group \(group) at this unit"
    case .unknownCategory(let category):
      return "no category \(category)"
    case .selfDecision(let user):
      return "\(person(user)) cannot decide on their own role"
    case .notAHandlingUnit(let unitID):
      return "\(unit(unitID)) is not a handling unit"
    case .notEligible(let user, let role, let unitID):
      return "\(person(user)) has no approved \(role) role at \(unit(unitID))"
    case .publicationNotAllowed:
      return "this case is not public and cannot be published publicly"
    case .roleNotPending(let current):
      return "the role request is \(current.rawValue), not pending"
    case .roleNotApproved(let current):
      return "the role is \(current.rawValue), not approved"
    case .duplicateRoleRequest(let existing):
      return "the same role at the same unit is already requested or held (\(existing))"
    case .verdictNotOpen(let current):
      return "a verdict is recorded only on a published case; this one is \(current.rawValue)"
    case .verdictAlreadyRecorded:
      return "the case already has its verdict (one per case)"
    case .notTheReporter(let user):
      return "\(person(user)) did not report this case and cannot relay its verdict"
    case .clockOnHold(let since):
      return "the case's clock is on hold since \(since); resume it first"
    case .clockNotHeld:
      return "the case's clock is not on hold"
    }
  }

  public var description: String { "\(code): \(message)" }
}
