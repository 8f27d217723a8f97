/// Names close to one that was mistyped, for "did you mean" hints: the same letters ignoring
/// case, a name containing it, at most a few edits away, or contained in it.
enum NearMatches {
  /// The candidates near `name`, closest first (at most `limit`).
  static func find(_ name: String, among candidates: [String], limit: Int = 5) -> [String] {
    let wanted = name.lowercased()
    guard !wanted.isEmpty else { return [] }
    var scored: [(score: Int, candidate: String)] = []
    var seen: Set<String> = []
    for candidate in candidates where seen.insert(candidate).inserted {
      let lowered = candidate.lowercased()
      // A qualified name also matches by its last part: `CaseStatus` finds `fieldreport.v1.CaseState`.
      let last = lowered.split(whereSeparator: { $0 == "." || $0 == "/" }).last.map(String.init) ?? lowered
      guard let score = [lowered, last].compactMap({ self.score(wanted, $0) }).min() else { continue }
      scored.append((score, candidate))
    }
    return scored.sorted { ($0.score, $0.candidate) < ($1.score, $1.candidate) }.prefix(limit).map(\.candidate)
  }

  /// 0 for the same name, 1 when the candidate contains it, 1 + the edit distance when that is
  /// small, 5 when it contains the candidate (`CaseStatus` and `Status`); `nil`: not near.
  private static func score(_ wanted: String, _ candidate: String) -> Int? {
    if candidate == wanted { return 0 }
    if candidate.contains(wanted) { return 1 }
    let distance = self.distance(Array(wanted), Array(candidate))
    if distance <= max(2, wanted.count / 3) { return 1 + distance }
    return wanted.count >= 4 && candidate.count >= 4 && wanted.contains(candidate) ? 5 : nil
  }

  /// The Levenshtein distance.
  static func distance(_ a: [Character], _ b: [Character]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    var current = Array(repeating: 0, count: b.count + 1)
    for i in 1...a.count {
      current[0] = i
      for j in 1...b.count {
        current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
      }
      swap(&previous, &current)
    }
    return previous[b.count]
  }
}
