/// Lưu: the main handler's saved, unsubmitted result: private work in progress.
///
/// A draft is not a step of the case: it is kept per (case, author) outside the journal and
/// never changes the case's version, state or holder (saving one must not make every other
/// actor's `expectedVersion` stale). ``CaseWorkflow/checkDraft(_:by:expectedVersion:content:attachments:outputProductNumber:now:policy:)``
/// decides whether one may be saved; ``Transition/draftDisposal`` says which drafts an
/// accepted action makes obsolete.
public struct CaseDraft: Hashable, Codable, Sendable {
  /// The case.
  public var caseID: CaseID
  /// Its author (the main handler when it was saved); only they ever see it.
  public var author: UserID
  /// The draft text (usually the filled reply letter).
  public var content: String
  /// Draft attachments.
  public var attachments: [AttachmentRef]
  /// The output product number entered so far (may be empty).
  public var outputProductNumber: String
  /// When it was last saved.
  public var savedAt: Timestamp

  public init(
    caseID: CaseID, author: UserID, content: String, attachments: [AttachmentRef],
    outputProductNumber: String = "", savedAt: Timestamp
  ) {
    self.caseID = caseID
    self.author = author
    self.content = content
    self.attachments = attachments
    self.outputProductNumber = outputProductNumber
    self.savedAt = savedAt
  }
}

/// Which saved drafts an accepted action makes obsolete (the store deletes them in the
/// action's transaction).
public enum DraftDisposal: Hashable, Sendable {
  /// Every draft stays.
  case keep
  /// The author's draft on the case is consumed (they submitted their result).
  case discard(author: UserID)
  /// Every draft on the case goes (it moved to another unit, or ended).
  case discardAll
}

extension Transition {
  /// The drafts this transition makes obsolete: submitting the result consumes the
  /// submitter's draft; a new dispatch or a terminal state discards them all. A reassignment
  /// keeps the previous main handler's draft (they no longer see it while not the main
  /// handler, and see it again if the case comes back to them).
  public var draftDisposal: DraftDisposal {
    if newCase.state.isTerminal || entry.action == .dispatch { return .discardAll }
    if entry.action == .submitResult { return .discard(author: entry.actor) }
    return .keep
  }
}
