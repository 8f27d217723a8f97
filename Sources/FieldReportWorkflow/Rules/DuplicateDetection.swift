/// Likely duplicates of a report (issue 14, item 2): same category, near in place and time,
/// similar words. Pure: the store finds the category's cases of the time window by an indexed
/// query; these rules pick the candidates among them. The thresholds are
/// ``WorkflowPolicy``'s (`duplicate…`).
public enum DuplicateDetection {
  /// One likely duplicate.
  public struct Candidate: Hashable, Sendable {
    /// The other case.
    public var caseID: CaseID
    /// Token Jaccard similarity of the folded title and description, 0 to 1.
    public var similarity: Double
    /// Haversine distance between the reported places in metres, when both have coordinates.
    public var distanceMeters: Double?

    public init(caseID: CaseID, similarity: Double, distanceMeters: Double?) {
      self.caseID = caseID
      self.similarity = similarity
      self.distanceMeters = distanceMeters
    }
  }

  /// The reported-time window to search around `c`: ± ``WorkflowPolicy/duplicateWindowMilliseconds``.
  public static func window(around c: Case, policy: WorkflowPolicy = .standard) -> Range<Timestamp> {
    c.reportedAt.adding(milliseconds: -policy.duplicateWindowMilliseconds)
      ..< c.reportedAt.adding(milliseconds: policy.duplicateWindowMilliseconds + 1)
  }

  /// The candidates for `c` among `others`, most similar first, at most
  /// ``WorkflowPolicy/maxDuplicateCandidates``. A candidate is another case of the same
  /// category, reported within the window, not itself closed as a duplicate, within
  /// ``WorkflowPolicy/duplicateRadiusMeters`` when both have coordinates, and at least
  /// ``WorkflowPolicy/duplicateMinSimilarity`` similar (or
  /// ``WorkflowPolicy/duplicateMinSimilarityWithoutLocation`` without coordinates).
  public static func candidates(
    for c: Case, among others: [Case], policy: WorkflowPolicy = .standard
  ) -> [Candidate] {
    let window = window(around: c, policy: policy)
    let words = tokens(of: c)
    var found: [Candidate] = []
    for other in others where other.id != c.id && other.categoryID == c.categoryID {
      guard window.contains(other.reportedAt), other.outcome != .duplicate else { continue }
      let distance = distanceMeters(c.location, other.location)
      if let distance, distance > policy.duplicateRadiusMeters { continue }
      let similarity = jaccard(words, tokens(of: other))
      let needed =
        distance == nil ? policy.duplicateMinSimilarityWithoutLocation : policy.duplicateMinSimilarity
      guard similarity >= needed else { continue }
      found.append(Candidate(caseID: other.id, similarity: similarity, distanceMeters: distance))
    }
    found.sort {
      ($0.similarity, -($0.distanceMeters ?? .infinity), $1.caseID.rawValue)
        > ($1.similarity, -($1.distanceMeters ?? .infinity), $0.caseID.rawValue)
    }
    return Array(found.prefix(policy.maxDuplicateCandidates))
  }

  /// The folded words (``VietnameseFolding``: lower case, no diacritics, đ → d) of a case's
  /// title and description, split on anything not a letter or digit.
  public static func tokens(of c: Case) -> Set<String> {
    tokens(c.title + " " + c.description)
  }

  /// The folded words of `text`.
  public static func tokens(_ text: String) -> Set<String> {
    let folded = VietnameseFolding.fold(text)
    return Set(
      folded.split { !($0.isLetter || $0.isNumber) }.map(String.init).filter { !$0.isEmpty })
  }

  /// |a ∩ b| / |a ∪ b|; 0 when both are empty.
  public static func jaccard(_ a: Set<String>, _ b: Set<String>) -> Double {
    let union = a.union(b).count
    guard union > 0 else { return 0 }
    return Double(a.intersection(b).count) / Double(union)
  }

  /// The haversine distance in metres between two places, when both have coordinates.
  public static func distanceMeters(_ a: Case.Location, _ b: Case.Location) -> Double? {
    guard let lat1 = a.latitude, let lon1 = a.longitude, let lat2 = b.latitude, let lon2 = b.longitude
    else { return nil }
    return haversineMeters(lat1: lat1, lon1: lon1, lat2: lat2, lon2: lon2)
  }

  /// The great-circle distance in metres on a sphere of the Earth's mean radius (6,371 km).
  public static func haversineMeters(lat1: Double, lon1: Double, lat2: Double, lon2: Double) -> Double {
    let radians = Double.pi / 180
    let dLat = (lat2 - lat1) * radians
    let dLon = (lon2 - lon1) * radians
    let h =
      sin2(dLat / 2) + cosine(lat1 * radians) * cosine(lat2 * radians) * sin2(dLon / 2)
    return 2 * 6_371_000 * arcsine(min(1, h.squareRoot()))
  }

  // The standard library has no trigonometry (the workflow does not import Foundation): short
  // series, exact to well under a metre at these distances.
  private static func sin2(_ x: Double) -> Double { let s = sine(x); return s * s }

  static func sine(_ x: Double) -> Double {
    // Reduce to [-π, π], then the Taylor series to x^15.
    var x = x.truncatingRemainder(dividingBy: 2 * Double.pi)
    if x > Double.pi { x -= 2 * Double.pi } else if x < -Double.pi { x += 2 * Double.pi }
    var term = x
    var sum = x
    for n in stride(from: 2, through: 16, by: 2) {
      term *= -x * x / Double(n * (n + 1))
      sum += term
    }
    return sum
  }

  static func cosine(_ x: Double) -> Double { sine(x + Double.pi / 2) }

  static func arcsine(_ y: Double) -> Double {
    // Newton's method on sin(x) = y, from y (|y| ≤ 1, small for nearby places).
    var x = y
    for _ in 0..<30 {
      let c = cosine(x)
      guard abs(c) > 1e-12 else { break }
      let next = x - (sine(x) - y) / c
      if abs(next - x) < 1e-15 { return next }
      x = next
    }
    return x
  }
}
