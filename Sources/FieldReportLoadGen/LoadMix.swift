/// How often each operation is chosen: integer weights, parsed from `submit=4,get=4,dispatch=1,inbox=1`.
struct LoadMix: Sendable, Hashable, CustomStringConvertible {
  /// The weight of each operation (operations absent from the text weigh 0).
  let weights: [LoadOperation: Int]
  private let total: Int

  /// The default mix: mostly reads and submissions, as a province's day looks.
  static let standard = LoadMix(weights: [.submit: 3, .dispatch: 1, .get: 4, .inbox: 2])

  /// The dashboard: each role's inbox, a case, its journal and its workflow, equally often.
  static let dashboard = LoadMix(weights: [.inbox: 1, .inboxLeader: 1, .inboxOfficer: 1, .get: 1, .journal: 1, .workflow: 1])

  private init(weights: [LoadOperation: Int]) {
    self.weights = weights
    self.total = weights.values.reduce(0, +)
  }

  /// Parses `name=weight` pairs separated by commas (a name alone weighs 1).
  /// - Throws: ``LoadGenError/badMix(_:)`` naming the offending part.
  init(parsing text: String) throws(LoadGenError) {
    var weights: [LoadOperation: Int] = [:]
    for part in text.split(separator: ",", omittingEmptySubsequences: true) {
      let pair = part.split(separator: "=", maxSplits: 1)
      let weight = pair.count == 2 ? Int(pair[1]) : 1
      guard let operation = LoadOperation(rawValue: String(pair[0]).lowercased()), LoadOperation.mixable.contains(operation),
        let weight, weight >= 0
      else {
        throw .badMix("'\(part)' is not operation=weight with operation one of \(LoadOperation.mixable.map(\.rawValue).joined(separator: ", "))")
      }
      guard weights[operation] == nil else { throw .badMix("\(operation.rawValue) is given twice") }
      weights[operation] = weight
    }
    let total = weights.values.reduce(0, +)
    guard total > 0 else { throw .badMix("every weight is 0") }
    self.init(weights: weights)
  }

  /// An operation chosen at random with the mix's weights.
  func pick(using generator: inout some RandomNumberGenerator) -> LoadOperation {
    var ticket = Int.random(in: 0..<self.total, using: &generator)
    for operation in LoadOperation.mixable {
      let weight = self.weights[operation, default: 0]
      if ticket < weight { return operation }
      ticket -= weight
    }
    return .submit  // unreachable: the weights sum to `total`
  }

  /// Whether some operation of the mix reads an existing case (get, journal, workflow).
  var readsCases: Bool {
    [LoadOperation.get, .journal, .workflow].contains { self.weights[$0, default: 0] > 0 }
  }

  var description: String {
    LoadOperation.mixable.compactMap { op in self.weights[op].map { "\(op.rawValue)=\($0)" } }.joined(separator: ",")
  }
}
