/// How often each operation is chosen: integer weights, parsed from `submit=4,get=4,dispatch=1,inbox=1`.
struct LoadMix: Sendable, Hashable, CustomStringConvertible {
  /// The weight of each operation (operations absent from the text weigh 0).
  let weights: [LoadOperation: Int]
  private let total: Int

  /// The default mix: mostly reads and submissions, as a province's day looks.
  static let standard = LoadMix(weights: [.submit: 3, .dispatch: 1, .get: 4, .inbox: 2])

  private init(weights: [LoadOperation: Int]) {
    self.weights = weights
    self.total = weights.values.reduce(0, +)
  }

  /// Parses `name=weight` pairs separated by commas.
  /// - Throws: ``LoadGenError/badMix(_:)`` naming the offending part.
  init(parsing text: String) throws(LoadGenError) {
    var weights: [LoadOperation: Int] = [:]
    for part in text.split(separator: ",", omittingEmptySubsequences: true) {
      let pair = part.split(separator: "=", maxSplits: 1)
      guard pair.count == 2, let operation = LoadOperation(rawValue: String(pair[0]).lowercased()),
        let weight = Int(pair[1]), weight >= 0
      else {
        throw .badMix("'\(part)' is not operation=weight with operation one of \(LoadOperation.allCases.map(\.rawValue).joined(separator: ", "))")
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
    for operation in LoadOperation.allCases {
      let weight = self.weights[operation, default: 0]
      if ticket < weight { return operation }
      ticket -= weight
    }
    return .submit  // unreachable: the weights sum to `total`
  }

  var description: String {
    LoadOperation.allCases.compactMap { op in self.weights[op].map { "\(op.rawValue)=\($0)" } }.joined(separator: ",")
  }
}
