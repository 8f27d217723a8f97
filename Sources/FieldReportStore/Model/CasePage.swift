public import FieldReportWorkflow

/// One page of a case listing.
public struct CasePage: Hashable, Sendable {
  /// The cases, newest first.
  public var cases: [Case]
  /// Where the next page starts; nil when this is the last page.
  public var nextCursor: CaseCursor?

  /// Creates a page.
  public init(cases: [Case], nextCursor: CaseCursor?) {
    self.cases = cases
    self.nextCursor = nextCursor
  }
}
