/// Nhật ký: one immutable step in a case's life.
///
/// Entries are numbered 1, 2, 3… within their case; entry *n* produces case version *n*.
/// Hash chaining is the store's concern; this value is what gets chained.
///
/// The fields live in one heap box shared by copies until one is changed (copy on write), as
/// for ``Case``: journals are copied whole on the read paths (caches, rendering) and fourteen
/// fields made every copy of an entry a dozen reference-count operations (docs/PERFORMANCE.md,
/// eighth session). The encoded form is `Fields`' own, so stored bodies and the hash chain are
/// byte for byte what they were.
public struct JournalEntry: Hashable, Codable, Sendable {
  /// The stored fields, in declaration order (the encoding's order).
  @usableFromInline
  struct Fields: Hashable, Codable, Sendable {
    @usableFromInline var caseID: CaseID
    @usableFromInline var sequence: Int64
    @usableFromInline var actor: UserID
    @usableFromInline var actorUnit: UnitID?
    @usableFromInline var action: ActionKind
    @usableFromInline var fromState: CaseState?
    @usableFromInline var toState: CaseState
    @usableFromInline var fromHolder: Holder?
    @usableFromInline var toHolder: Holder
    @usableFromInline var content: String
    @usableFromInline var attachments: [AttachmentRef]
    @usableFromInline var notify: Bool
    @usableFromInline var at: Timestamp
    @usableFromInline var event: JournalEvent
  }

  /// The box holding ``Fields``.
  // @unchecked Sendable: `fields` is changed only through a uniquely referenced box
  // (`makeUnique`), as copy on write requires; a shared box is never mutated.
  @usableFromInline
  final class Storage: @unchecked Sendable {
    @usableFromInline var fields: Fields
    @usableFromInline init(_ fields: Fields) { self.fields = fields }
  }

  @usableFromInline var storage: Storage

  /// Gives this value a box of its own before a change.
  @inlinable mutating func makeUnique() {
    if !isKnownUniquelyReferenced(&storage) { storage = Storage(storage.fields) }
  }

  /// The case.
  public var caseID: CaseID {
    @inlinable get { storage.fields.caseID }
    @inlinable _modify {
      makeUnique()
      yield &storage.fields.caseID
    }
  }
  /// 1-based position within the case; equals the case version this entry produced.
  public var sequence: Int64 {
    @inlinable get { storage.fields.sequence }
    @inlinable _modify {
      makeUnique()
      yield &storage.fields.sequence
    }
  }
  /// Who acted.
  public var actor: UserID {
    @inlinable get { storage.fields.actor }
    @inlinable _modify {
      makeUnique()
      yield &storage.fields.actor
    }
  }
  /// The unit the actor acted for (the IOC, the handling unit), if any (citizens have none).
  public var actorUnit: UnitID? {
    @inlinable get { storage.fields.actorUnit }
    @inlinable _modify {
      makeUnique()
      yield &storage.fields.actorUnit
    }
  }
  /// What was done (always `event.kind`).
  public var action: ActionKind {
    @inlinable get { storage.fields.action }
    @inlinable _modify {
      makeUnique()
      yield &storage.fields.action
    }
  }
  /// The state before (nil for the submission that created the case).
  public var fromState: CaseState? {
    @inlinable get { storage.fields.fromState }
    @inlinable _modify {
      makeUnique()
      yield &storage.fields.fromState
    }
  }
  /// The state after.
  public var toState: CaseState {
    @inlinable get { storage.fields.toState }
    @inlinable _modify {
      makeUnique()
      yield &storage.fields.toState
    }
  }
  /// The holder before (nil for the submission).
  public var fromHolder: Holder? {
    @inlinable get { storage.fields.fromHolder }
    @inlinable _modify {
      makeUnique()
      yield &storage.fields.fromHolder
    }
  }
  /// The holder after.
  public var toHolder: Holder {
    @inlinable get { storage.fields.toHolder }
    @inlinable _modify {
      makeUnique()
      yield &storage.fields.toHolder
    }
  }
  /// Nội dung: the free text the actor wrote.
  public var content: String {
    @inlinable get { storage.fields.content }
    @inlinable _modify {
      makeUnique()
      yield &storage.fields.content
    }
  }
  /// Đính kèm.
  public var attachments: [AttachmentRef] {
    @inlinable get { storage.fields.attachments }
    @inlinable _modify {
      makeUnique()
      yield &storage.fields.attachments
    }
  }
  /// "Gửi thông báo qua ứng dụng di động": whether the reporter's app is notified.
  public var notify: Bool {
    @inlinable get { storage.fields.notify }
    @inlinable _modify {
      makeUnique()
      yield &storage.fields.notify
    }
  }
  /// When.
  public var at: Timestamp {
    @inlinable get { storage.fields.at }
    @inlinable _modify {
      makeUnique()
      yield &storage.fields.at
    }
  }
  /// The structured data needed to replay the step.
  public var event: JournalEvent {
    @inlinable get { storage.fields.event }
    @inlinable _modify {
      makeUnique()
      yield &storage.fields.event
    }
  }

  public init(
    caseID: CaseID, sequence: Int64, actor: UserID, actorUnit: UnitID?, fromState: CaseState?,
    toState: CaseState, fromHolder: Holder?, toHolder: Holder, content: String,
    attachments: [AttachmentRef], notify: Bool, at: Timestamp, event: JournalEvent
  ) {
    self.storage = Storage(
      Fields(
        caseID: caseID, sequence: sequence, actor: actor, actorUnit: actorUnit, action: event.kind,
        fromState: fromState, toState: toState, fromHolder: fromHolder, toHolder: toHolder,
        content: content, attachments: attachments, notify: notify, at: at, event: event))
  }

  public init(from decoder: any Decoder) throws {
    self.storage = Storage(try Fields(from: decoder))
  }

  public func encode(to encoder: any Encoder) throws {
    try storage.fields.encode(to: encoder)
  }

  @inlinable public static func == (lhs: JournalEntry, rhs: JournalEntry) -> Bool {
    lhs.storage === rhs.storage || lhs.storage.fields == rhs.storage.fields
  }

  public func hash(into hasher: inout Hasher) {
    storage.fields.hash(into: &hasher)
  }
}
