/// Why the IOC refuses to handle a report.
public enum RejectionReason: String, Hashable, Codable, Sendable, CaseIterable {
  /// Spam or abusive content.
  case spam
  /// The same event is already reported (the content should name the other case).
  case duplicate
  /// Not a matter for the provincial authorities.
  case outOfScope = "out_of_scope"
  /// Not enough information to act on.
  case insufficientInformation = "insufficient_information"
}
