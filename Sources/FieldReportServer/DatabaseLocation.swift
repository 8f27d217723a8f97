import Foundation

/// Where the database file is: `--database`, else `FIELDREPORT_DATABASE`, else
/// `./data/fieldreport.sqlite`; the same rule for `serve`, `backup` and `verify`.
enum DatabaseLocation {
  static let defaultPath = "./data/fieldreport.sqlite"

  static func path(flag: String?) -> String {
    if let flag { return flag }
    if let value = ProcessInfo.processInfo.environment["FIELDREPORT_DATABASE"], !value.isEmpty { return value }
    return defaultPath
  }
}
