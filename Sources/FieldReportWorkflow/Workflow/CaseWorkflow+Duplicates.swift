extension CaseWorkflow {
  /// The mobile-app notifications the publication of `original` sends to the reporters of the
  /// cases closed as its duplicates: one handling, and every reporter receives the result
  /// (when the publication's notify flag is set, as for the original's own reporter). The
  /// store writes them with the publication, in its transaction.
  /// - Parameters:
  ///   - original: the case after its publication.
  ///   - entry: the publication's journal entry.
  ///   - duplicates: the cases closed as duplicates of `original` (others are ignored).
  public static func duplicateNotifications(
    published original: Case, entry: JournalEntry, duplicates: [Case]
  ) -> [Notification] {
    guard entry.notify, case .published = entry.event else { return [] }
    var out: [Notification] = []
    for duplicate in duplicates where duplicate.rejection?.duplicateOf == original.id {
      let reporter = duplicate.reporter.userID ?? duplicate.submittedBy
      guard reporter != entry.actor else { continue }
      out.append(
        Notification(
          recipient: reporter, caseID: duplicate.id, kind: .resultPublished,
          text: "\(duplicate.reportCode) – \(duplicate.title): "
            + ClosureWording.duplicatePublishedLine(originalCode: original.reportCode),
          at: entry.at, viaMobileApp: true))
    }
    return out
  }
}
