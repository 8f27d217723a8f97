/// What ``StoreVerifier`` found in a database file.
public struct VerificationReport: Sendable, Hashable {
  /// One thing wrong with the file.
  public struct Problem: Sendable, Hashable, CustomStringConvertible {
    /// Which check found it.
    public enum Check: String, Sendable, Hashable {
      /// The schema version is one this build cannot check.
      case schema
      /// `PRAGMA integrity_check` (the file's pages, indexes and constraints).
      case integrity
      /// `PRAGMA foreign_key_check`.
      case foreignKey = "foreign key"
      /// A case's journal hash chain.
      case journal
    }

    /// The check that found it.
    public let check: Check
    /// The case's report code (e.g. `291126001`), for a problem with a case.
    public let reportCode: String?
    /// The case's internal id, for a problem with a case.
    public let caseID: String?
    /// The journal entry (1-based), when one is named.
    public let sequence: Int64?
    /// What is wrong, in words.
    public let message: String

    public init(check: Check, reportCode: String? = nil, caseID: String? = nil, sequence: Int64? = nil, message: String) {
      self.check = check
      self.reportCode = reportCode
      self.caseID = caseID
      self.sequence = sequence
      self.message = message
    }

    /// One line: `journal: case 291126001 (id …), entry 3: the entry was altered`.
    public var description: String {
      var place: [String] = []
      if let reportCode {
        place.append("case \(reportCode)" + (caseID.map { " (id \($0))" } ?? ""))
      } else if let caseID {
        place.append("case id \(caseID)")
      }
      if let sequence { place.append("entry \(sequence)") }
      return "\(check.rawValue): " + (place.isEmpty ? "" : place.joined(separator: ", ") + ": ") + message
    }
  }

  /// The schema version recorded in the file (`PRAGMA user_version`).
  public var schemaVersion: Int
  /// The schema version this build writes.
  public var currentSchemaVersion: Int
  /// Whether the journal chains were checked (not for a file of a newer or no schema, nor one
  /// whose `cases` and `journal` tables cannot be read).
  public var journalsChecked: Bool
  /// Cases whose chain was checked.
  public var casesChecked: Int
  /// Journal entries in the checked chains.
  public var journalEntries: Int
  /// Everything found, in the order found.
  public var problems: [Problem]

  /// Whether nothing is wrong.
  public var isClean: Bool { problems.isEmpty }
}
