/// Why the load generator could not start.
enum LoadGenError: Error, CustomStringConvertible {
  /// The `--mix` text is wrong.
  case badMix(String)
  /// The server is not on this machine (the generator only loads loopback servers).
  case notLoopback(String)
  /// A required credential is missing.
  case missingCredential(String)
  /// Setting up (login, seeding) failed.
  case setup(String)

  var description: String {
    switch self {
    case .badMix(let why): "bad --mix: \(why)"
    case .notLoopback(let host): "\(host) is not a loopback address: the load generator only loads a server on this machine (127.0.0.1, ::1, localhost)"
    case .missingCredential(let what): "missing \(what)"
    case .setup(let why): "set-up failed: \(why)"
    }
  }
}
