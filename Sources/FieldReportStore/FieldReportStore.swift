public import FieldReportWorkflow

/// Durable storage for field reports, at use-case granularity.
///
/// The shape is engine-neutral (it would fit PostgreSQL as well as SQLite): no SQL, no row
/// ids, no engine types. Every mutation is one transaction. Errors are ``StoreError``,
/// except where a caller-supplied closure throws: its error is rethrown unchanged.
///
/// # Thread safety
/// Implementations are `Sendable`; every method may be called concurrently.
public protocol FieldReportStore: Sendable {
  // MARK: Cases

  /// Creates a case: allocates the report code's daily sequence (Asia/Ho_Chi_Minh day of
  /// `receivedAt`) and a new case id, calls `build` with them, and stores the case, its first
  /// journal entry and its notifications, all in one transaction.
  /// - Parameters:
  ///   - receivedAt: when the report was received; its local day keys the sequence.
  ///   - idempotencyKey: a retry with the same key returns the first result, writing nothing.
  ///   - build: computes the new case (version 1) from the id and code (the workflow's submit).
  /// - Throws: ``StoreError``, or what `build` throws (then nothing is written).
  func createCase(
    receivedAt: Timestamp, idempotencyKey: IdempotencyKey?,
    build: @escaping @Sendable (CaseID, ReportCode) throws -> Transition
  ) async throws -> CaseChangeResult

  /// Applies one workflow step: stores the new case, its journal entry, its notifications and
  /// the idempotency record in one transaction.
  /// - Throws: ``StoreError/staleVersion(expected:actual:)`` if the stored version is not
  ///   `expectedVersion` (nothing written); ``StoreError/notFound(_:)``;
  ///   ``StoreError/idempotencyConflict(key:)`` if the key was used for another case or action.
  func apply(
    _ change: Transition, expectedVersion: Int64, idempotencyKey: IdempotencyKey?
  ) async throws -> CaseChangeResult

  /// Records the reporter's verdict on a published case (`case_verdicts`, schema version 12;
  /// PostgreSQL 4) and, for "not resolved", creates the re-report `reopen` builds (a report
  /// code and id allocated as for ``createCase(receivedAt:idempotencyKey:build:)``), all in
  /// one transaction. One verdict per case.
  /// - Returns: the verdict with `reopenedCaseID` set, and the new case; a retry with the
  ///   same key returns the first verdict (and its re-report as stored now), writing nothing.
  /// - Throws: ``StoreError/duplicate(_:)`` if the case already has a verdict under another
  ///   key; ``StoreError/idempotencyConflict(key:)`` if the key was used for another case;
  ///   what `reopen` throws (then nothing is written).
  func recordVerdict(
    _ verdict: CaseVerdict, idempotencyKey: IdempotencyKey?,
    reopen: (@Sendable (CaseID, ReportCode) throws -> Transition)?
  ) async throws -> VerdictRecord

  /// The cases closed as duplicates of `id` (links of kind `duplicates`), oldest report first.
  func duplicates(of id: CaseID) async throws -> [CaseID]

  /// The verdict recorded on a case, if any.
  func verdict(caseID: CaseID) async throws -> CaseVerdict?

  /// The recorded result of an earlier create or apply with this key, if any. Services check
  /// it before running the workflow, because a retried step is usually no longer legal.
  func idempotentResult(for key: IdempotencyKey) async throws -> CaseChangeResult?

  /// Stores (or replaces) the author's draft of a case, if the case is still at
  /// `expectedVersion`; the case itself, its version and journal are untouched.
  /// - Throws: ``StoreError/staleVersion(expected:actual:)`` (nothing written);
  ///   ``StoreError/notFound(_:)``.
  func saveDraft(_ draft: CaseDraft, expectedVersion: Int64) async throws
  /// The author's draft of a case, or nil.
  func draft(caseID: CaseID, author: UserID) async throws -> CaseDraft?

  /// The case with this id, or nil.
  func findCase(id: CaseID) async throws -> Case?
  /// The case with this report code, or nil.
  func findCase(code: ReportCode) async throws -> Case?
  /// The ids of later cases that re-report this one (their ``Case/linkedCaseID`` is `id`),
  /// oldest report first.
  func rereports(of id: CaseID) async throws -> [CaseID]
  /// A page of cases matching `query`.
  func listCases(_ query: CaseQuery) async throws -> CasePage
  /// A page of each query, all read from one snapshot (the union that makes a scope).
  func listCases(_ queries: [CaseQuery]) async throws -> [CasePage]
  /// What an action on a case starts from, read from one snapshot: the answer recorded for
  /// `idempotencyKey` (a retry), else the case (nil when absent).
  func actionStart(caseID: CaseID, idempotencyKey: IdempotencyKey?) async throws -> ActionStart
  /// A case with what its detail shows (journal, later re-reports, the main handler's draft
  /// when `draftAuthor` is the case's main handler), read from one snapshot; nil when absent.
  func caseView(_ key: CaseKey, draftAuthor: UserID?) async throws -> CaseView?

  // MARK: Journal and events

  /// The journal of a case, oldest first.
  func journal(caseID: CaseID) async throws -> [StoredJournalEntry]
  /// Journal entries of all cases with an event sequence above `cursor`, in order (the
  /// WatchEvents feed: resume with the last seen ``StoredJournalEntry/eventSequence``).
  func events(after cursor: Int64, limit: Int) async throws -> [StoredJournalEntry]
  /// The highest event sequence stored (0 when empty).
  func latestEventSequence() async throws -> Int64
  /// Rung when events may have been committed (by this process, or, for a store replicas
  /// share, by any replica): WatchEvents streams wait on it between reads of ``events(after:limit:)``.
  var eventBell: EventBell { get }
  /// Recomputes the case's hash chain and compares it with what is stored.
  func verifyJournal(caseID: CaseID) async throws -> JournalVerification

  // MARK: Notifications

  /// A user's notifications with an id above `after`, oldest first.
  func notifications(for user: UserID, after: Int64, unreadOnly: Bool, limit: Int) async throws
    -> [StoredNotification]
  /// Marks the user's notifications with these ids read; returns how many changed.
  func markNotificationsRead(for user: UserID, ids: [Int64], at: Timestamp) async throws -> Int

  // MARK: Signed checkpoints (issue 14, item 6)

  /// Every case's journal chain head (id, report code, entry count = version, last hash),
  /// read in one snapshot, sorted by case id bytewise.
  func journalHeads() async throws -> [CheckpointHead]
  /// Stores a signed checkpoint. - Throws: ``StoreError/duplicate(_:)`` for a reused id.
  func saveCheckpoint(_ checkpoint: JournalCheckpoint) async throws
  /// Checkpoints newest first, with ids below `before` when given, at most `limit` (≤ 1,000).
  func checkpoints(before: String?, limit: Int) async throws -> [JournalCheckpoint]
  /// The checkpoint with this id, or the newest when `id` is nil; nil when there is none.
  func findCheckpoint(id: String?) async throws -> JournalCheckpoint?

  // MARK: Statistics

  /// Early / on time / late / returned counts per unit (and per category of the cases when
  /// `byCategory`) for tasks completed in `[from, to)`, with open tasks judged at `now`.
  /// `unitID` nil: every unit with tasks.
  func unitStatistics(unitID: UnitID?, byCategory: Bool, from: Timestamp, to: Timestamp, now: Timestamp)
    async throws -> [UnitStatistics]

  /// Cases received by the IOC in `[from, to)`, counted by category and by week
  /// (``CaseVolumeSQL/weekStart(_:)``); `units` non-nil: only cases dispatched at some time to
  /// one of them. One grouped query over stored columns.
  func caseVolume(units: [UnitID]?, from: Timestamp, to: Timestamp) async throws -> [CaseVolumeCount]

  // MARK: Units, users, categories

  /// Stores a new unit. - Throws: ``StoreError/duplicate(_:)``, ``StoreError/notFound(_:)`` (parent).
  func createUnit(_ unit: Unit) async throws
  /// Every unit, by name.
  func units() async throws -> [Unit]
  /// The unit with this id, or nil.
  func findUnit(id: UnitID) async throws -> Unit?
  /// Every unit by id (what a renderer looks names up in; a store may keep it built).
  func unitsByID() async throws -> [UnitID: Unit]

  /// Stores a new user. - Throws: ``StoreError/duplicate(_:)`` (id or username).
  func createUser(_ account: UserAccount) async throws
  /// Replaces a user's profile (name, kind, unit, active flag).
  func updateUser(_ user: User) async throws
  /// Replaces a user's password credentials.
  func setCredentials(_ credentials: PasswordCredentials, for user: UserID) async throws
  /// The user with this id, or nil.
  func findUser(id: UserID) async throws -> UserAccount?
  /// The users with these ids that exist, by id: the names a renderer shows (a store may
  /// answer them from memory in one lookup).
  func users(ids: [UserID]) async throws -> [UserID: User]
  /// The user with this login name, or nil.
  func findUser(username: String) async throws -> UserAccount?
  /// Users whose folded full name contains the folded `text` (diacritic-insensitive), by name.
  func searchUsers(text: String, limit: Int) async throws -> [User]

  /// Stores a new category.
  func createCategory(_ category: FieldReportWorkflow.Category) async throws
  /// Every category, by name.
  func categories() async throws -> [FieldReportWorkflow.Category]
  /// Every category by id (a store may keep it built).
  func categoriesByID() async throws -> [CategoryID: FieldReportWorkflow.Category]

  // MARK: Roles

  /// Stores a new role grant (normally pending). - Throws: ``StoreError/duplicate(_:)`` when
  /// the user already has a pending or approved grant of that role at that unit.
  func createRoleGrant(_ grant: RoleGrant) async throws
  /// Replaces a grant if its stored status is still `expectedStatus` (compare-and-set for
  /// decisions and revocations). - Throws: ``StoreError/notFound(_:)``, or
  /// ``StoreError/conflict(_:)`` when the status changed meanwhile (nothing written).
  func updateRoleGrant(_ grant: RoleGrant, expectedStatus: RoleGrant.Status) async throws
  /// The grant with this id, or nil.
  func findRoleGrant(id: RoleGrantID) async throws -> RoleGrant?
  /// A user's grants, newest first.
  func roleGrants(userID: UserID) async throws -> [RoleGrant]
  /// A unit's grants, optionally of one status, newest first.
  func roleGrants(unitID: UnitID, status: RoleGrant.Status?) async throws -> [RoleGrant]

  // MARK: Transfer groups

  /// Stores a new transfer group with its members.
  func createTransferGroup(_ group: TransferGroup) async throws
  /// Replaces a group's members.
  /// - Parameters:
  ///   - at: the change time (the group's new update time).
  ///   - expectedUpdatedAt: compare-and-set: the update time the caller read (nil: overwrite).
  /// - Throws: ``StoreError/notFound(_:)``; ``StoreError/conflict(_:)`` when the group changed
  ///   since `expectedUpdatedAt` (nothing written).
  func setTransferGroupMembers(
    groupID: TransferGroupID, members: [UserID], at: Timestamp, expectedUpdatedAt: Timestamp?
  ) async throws
  /// The group with this id, or nil.
  func findTransferGroup(id: TransferGroupID) async throws -> TransferGroup?
  /// A unit's groups, by name.
  func transferGroups(unitID: UnitID) async throws -> [TransferGroup]

  // MARK: Sessions and API keys

  /// Records a session for `token` (only its SHA-256 is stored).
  func createSession(token: String, session: Session) async throws
  /// The live session for `token` at `now`, or nil if unknown, expired or revoked.
  func findSession(token: String, at now: Timestamp) async throws -> Session?
  /// Revokes the session for `token`; returns whether one was live.
  func revokeSession(token: String, at now: Timestamp) async throws -> Bool
  /// Records an API key for a service account (only its SHA-256 is stored); `expiresAt`
  /// nil for a key that never expires.
  func createAPIKey(_ key: String, userID: UserID, label: String, expiresAt: Timestamp?, at: Timestamp) async throws
  /// The user owning a live API key at `now` (not revoked, not expired) and the key's expiry,
  /// or nil.
  func findAPIKey(_ key: String, at now: Timestamp) async throws -> (userID: UserID, expiresAt: Timestamp?)?
  /// Revokes an API key; returns whether it was live.
  func revokeAPIKey(_ key: String, at: Timestamp) async throws -> Bool

  // MARK: Client certificates (mutual TLS)

  /// Registers a certificate fingerprint (64 lowercase hex digits) for a service account.
  /// - Throws: ``StoreError/conflict(_:)`` if it is registered already (revoked or not).
  func registerClientCertificate(_ record: ClientCertificateRecord) async throws
  /// The service account a live (not revoked) registered certificate authenticates as.
  func findClientCertificate(_ fingerprint: String) async throws -> UserID?
  /// Revokes a registration; returns it (with the original time if it already was revoked),
  /// or nil if the fingerprint is not registered.
  func revokeClientCertificate(_ fingerprint: String, at: Timestamp) async throws -> ClientCertificateRecord?
  /// A service account's registrations, newest first.
  func clientCertificates(userID: UserID) async throws -> [ClientCertificateRecord]

  // MARK: Method rights

  /// Limits an account to `methods` (wire paths), or lifts the limit (`nil`).
  func setMethodRights(userID: UserID, methods: [String]?, at: Timestamp) async throws
  /// The methods an account is limited to, sorted, or `nil` if it is not limited.
  func methodRights(userID: UserID) async throws -> [String]?

  // MARK: Bulk revocation and deletion (added for the identity service)

  /// Revokes every live session of a user except the one for `keeping` (if given);
  /// returns how many were revoked.
  func revokeSessions(userID: UserID, keeping: String?, at now: Timestamp) async throws -> Int
  /// The id of an API key: the first 16 lowercase hex digits of its SHA-256, which is what
  /// the store keeps (so a key can be named, and revoked, without its secret).
  func apiKeyID(_ key: String) -> String
  /// Revokes the API key with this id (see ``apiKeyID(_:)``). Returns when it was revoked
  /// (the original time if it already was), or nil if no key has this id.
  func revokeAPIKey(id: String, at now: Timestamp) async throws -> Timestamp?
  /// Revokes every live API key of a user except `keeping`; returns the revoked keys' ids.
  func revokeAPIKeys(userID: UserID, keeping: String?, at now: Timestamp) async throws -> [String]
  /// Deletes a transfer group and its member list. - Throws: ``StoreError/notFound(_:)``.
  func deleteTransferGroup(id: TransferGroupID) async throws

  // MARK: Throttles

  /// A counter for the throttle named `name` (`"login"`, `"submission"`): in this process's
  /// memory for a store one process owns, in the database for a store replicas share (then
  /// every replica counts the same attempts). Call it once per throttle and keep the counter:
  /// an in-memory counter starts empty at each call.
  func attemptCounter(named name: String) -> any AttemptCounter

  // MARK: Attachments

  /// Stores content once by SHA-256 (``AttachmentContent/sha256``, not hashed again) and
  /// records `uploader`'s upload of it (name, media type, size, time) durably, in one
  /// transaction. A re-upload of the same bytes by the same person refreshes that person's
  /// record.
  /// - Throws: ``StoreError/tooLarge(limit:)`` over the configured limit;
  ///   ``StoreError/notFound(_:)`` for an unknown uploader.
  func putAttachment(
    _ content: AttachmentContent, name: String, mimeType: String, uploadedBy uploader: UserID, at: Timestamp
  ) async throws -> AttachmentUpload
  /// Every upload record of the content with this hash, newest first (empty for unknown
  /// content, and for content uploaded before uploads were recorded).
  func attachmentUploads(sha256Hex: String) async throws -> [AttachmentUpload]
  /// The stored attachment with this hash, or nil.
  func findAttachment(sha256Hex: String) async throws -> StoredAttachment?
}

extension FieldReportStore {
  /// ``putAttachment(_:name:mimeType:uploadedBy:at:)`` of bytes not hashed yet (hashed here,
  /// on the caller's thread).
  public func putAttachment(
    _ bytes: [UInt8], name: String, mimeType: String, uploadedBy uploader: UserID, at: Timestamp
  ) async throws -> AttachmentUpload {
    try await putAttachment(AttachmentContent(bytes), name: name, mimeType: mimeType, uploadedBy: uploader, at: at)
  }

  public func users(ids: [UserID]) async throws -> [UserID: User] {
    var found: [UserID: User] = [:]
    for id in ids where found[id] == nil {
      if let account = try await findUser(id: id) { found[id] = account.user }
    }
    return found
  }

  public func unitsByID() async throws -> [UnitID: Unit] {
    try await units().keyedByFirst(\.id)
  }

  public func categoriesByID() async throws -> [CategoryID: FieldReportWorkflow.Category] {
    try await categories().keyedByFirst(\.id)
  }

  public func listCases(_ queries: [CaseQuery]) async throws -> [CasePage] {
    var pages: [CasePage] = []
    for query in queries { pages.append(try await listCases(query)) }
    return pages
  }

  public func actionStart(caseID: CaseID, idempotencyKey: IdempotencyKey?) async throws -> ActionStart {
    if let idempotencyKey, let earlier = try await idempotentResult(for: idempotencyKey) {
      return .replay(earlier)
    }
    return .current(try await findCase(id: caseID))
  }

  public func caseView(_ key: CaseKey, draftAuthor: UserID?) async throws -> CaseView? {
    let found: Case?
    switch key {
    case .id(let id): found = try await findCase(id: id)
    case .code(let code): found = try await findCase(code: code)
    }
    guard let found else { return nil }
    var later: [Case] = []
    for id in try await rereports(of: found.id) {
      if let c = try await findCase(id: id) { later.append(c) }
    }
    let draft: CaseDraft? =
      if let draftAuthor, CaseWorkflow.keepsDraft(found, author: draftAuthor) {
        try await self.draft(caseID: found.id, author: draftAuthor)
      } else { nil }
    return CaseView(
      case: found, journal: try await journal(caseID: found.id), rereports: later, draft: draft,
      duplicates: try await duplicates(of: found.id),
      verdict: found.state == .published ? try await verdict(caseID: found.id) : nil)
  }

  /// Per-unit statistics over every category.
  public func unitStatistics(unitID: UnitID?, from: Timestamp, to: Timestamp, now: Timestamp) async throws
    -> [UnitStatistics]
  {
    try await unitStatistics(unitID: unitID, byCategory: false, from: from, to: to, now: now)
  }
}

extension Sequence {
  /// The elements by `key`, the first of a repeated key kept: how every store turns its unit
  /// and category lists into the lookups by id (``FieldReportStore/unitsByID()``,
  /// ``FieldReportStore/categoriesByID()``).
  package func keyedByFirst<Key: Hashable>(_ key: (Element) -> Key) -> [Key: Element] {
    Dictionary(self.map { (key($0), $0) }, uniquingKeysWith: { first, _ in first })
  }
}
