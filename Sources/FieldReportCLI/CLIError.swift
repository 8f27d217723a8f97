import FieldReportClient

/// A failure of the CLI itself (not of the server): bad input, a missing profile, an
/// unreadable file. Printed as `error: <text>` with exit status ``exitCode``.
enum CLIError: Error, Hashable, Sendable, CustomStringConvertible {
  /// The command line or the request JSON is wrong (exit 2).
  case usage(String)
  /// A profile, file or the environment is not usable (exit 3).
  case configuration(String)
  /// The server answered something the CLI cannot use (exit 4).
  case unexpected(String)

  var description: String {
    switch self {
    case .usage(let text), .configuration(let text), .unexpected(let text): text
    }
  }

  var exitCode: Int32 {
    switch self {
    case .usage: 2
    case .configuration: 3
    case .unexpected: 4
    }
  }
}

/// Exit statuses: 0 success; 2 usage; 3 configuration; 4 unexpected answer; for a call the
/// server (or the runtime) refused, 10 + the gRPC status number, so scripts can tell the
/// class of failure apart.
enum ExitStatus {
  /// The exit status for an RPC failure: 10 + the status code's number (11 CANCELLED …
  /// 26 UNAUTHENTICATED): 13 INVALID_ARGUMENT, 15 NOT_FOUND, 17 PERMISSION_DENIED,
  /// 19 FAILED_PRECONDITION, 20 ABORTED, 24 UNAVAILABLE.
  static func forRPC(_ code: StatusCode) -> Int32 { 10 + Int32(code.rawValue) }

  /// The text printed to stderr for an RPC failure: the status name, the message and every
  /// field violation and failed precondition.
  ///
  /// Request fields are told as the running command's flags where it has one
  /// (``FlagVocabulary``): `Invalid decision_note` reads `Invalid --note`.
  static func describe(_ error: RPCError, flags: FlagVocabulary = .current) -> String {
    var lines = ["error: \(error.code): \(flags.translate(error.message))"]
    for detail in error.details {
      switch detail {
      case .badRequest(let violations):
        for violation in violations {
          if let flag = flags.flag(forField: violation.field) {
            lines.append("  \(flag): \(flags.translate(violation.explanation))")
          } else {
            lines.append("  field \(violation.field): \(flags.translate(violation.explanation))")
          }
        }
      case .preconditionFailure(let violations):
        for violation in violations {
          let subject = violation.subject.isEmpty ? "" : " \(violation.subject)"
          lines.append("  precondition \(violation.kind)\(subject): \(flags.translate(violation.explanation))")
        }
      case .retryInfo(let delay):
        lines.append("  retry after \(delay)")
      case .errorInfo(let reason, let domain, _):
        lines.append("  reason \(reason) (\(domain))")
      case .opaque:
        break
      }
    }
    return lines.joined(separator: "\n")
  }
}
