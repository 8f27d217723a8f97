/// Why the load generator could not start.
enum LoadGenError: Error, CustomStringConvertible {
  /// The `--mix` text is wrong.
  case badMix(String)
  /// A required credential is missing.
  case missingCredential(String)
  /// Setting up (login, seeding, prefilling) failed.
  case setup(String)
  /// An output file could not be written.
  case output(String)

  var description: String {
    switch self {
    case .badMix(let why): "bad --mix: \(why)"
    case .missingCredential(let what): "missing \(what)"
    case .setup(let why): "set-up failed: \(why)"
    case .output(let why): "cannot write \(why)"
    }
  }
}
