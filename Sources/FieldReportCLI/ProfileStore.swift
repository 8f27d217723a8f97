#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Reads and writes profiles under `$XDG_CONFIG_HOME/fieldreport/profiles/<name>.json`
/// (`~/.config/fieldreport/profiles/` when `XDG_CONFIG_HOME` is unset).
///
/// Files are written atomically (a temporary file in the same directory, then `rename`) with
/// mode 0600 inside a 0700 directory: a profile holds a session token or an API key.
struct ProfileStore: Sendable {
  /// The profile used when neither `--profile` nor `FIELDREPORT_PROFILE` names one.
  static let defaultName = "default"

  /// The directory holding the profile files.
  let directory: String

  /// The store for an environment (`XDG_CONFIG_HOME`, `HOME`).
  /// - Throws: ``CLIError/configuration(_:)`` when neither variable is set.
  init(environment: [String: String]) throws(CLIError) {
    let base: String
    if let xdg = environment["XDG_CONFIG_HOME"], xdg.hasPrefix("/") {
      base = xdg
    } else if let home = environment["HOME"], !home.isEmpty {
      base = home + "/.config"
    } else {
      throw .configuration("neither XDG_CONFIG_HOME nor HOME is set: cannot find the profile directory")
    }
    self.directory = base + "/fieldreport/profiles"
  }

  /// A store over an explicit directory (tests).
  init(directory: String) { self.directory = directory }

  /// Profile names are file names: letters, digits, `.`, `_`, `-`; 1 to 64 characters.
  static func validate(name: String) throws(CLIError) {
    let allowed = name.unicodeScalars.allSatisfy { scalar in
      scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "._-".unicodeScalars.contains(scalar))
    }
    guard !name.isEmpty, name.count <= 64, allowed, !name.hasPrefix(".") else {
      throw .usage("profile name '\(name)' must be 1 to 64 characters of letters, digits, '.', '_' or '-', not starting with '.'")
    }
  }

  /// The file path of a profile.
  func path(of name: String) -> String { self.directory + "/" + name + ".json" }

  /// Loads a profile; `nil` when it does not exist.
  /// - Throws: ``CLIError/configuration(_:)`` when the file exists but cannot be read or parsed.
  func load(_ name: String) throws(CLIError) -> Profile? {
    try Self.validate(name: name)
    let path = self.path(of: name)
    guard FileManager.default.fileExists(atPath: path) else { return nil }
    do {
      let data = try Data(contentsOf: URL(fileURLWithPath: path))
      return try JSONDecoder().decode(Profile.self, from: data)
    } catch {
      throw .configuration("cannot read profile \(path): \(error)")
    }
  }

  /// Saves a profile with mode 0600, replacing any earlier one atomically.
  func save(_ profile: Profile, as name: String) throws(CLIError) {
    try Self.validate(name: name)
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    let data: Data
    do { data = try encoder.encode(profile) } catch { throw .configuration("cannot encode profile: \(error)") }
    try self.makeDirectory()
    let path = self.path(of: name)
    let temporary = path + ".tmp-\(getpid())"
    // O_EXCL: never follow or reuse a file someone else planted at the temporary name.
    let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
    guard fd >= 0 else { throw .configuration("cannot create \(temporary): \(Self.errnoText())") }
    let written = data.withUnsafeBytes { buffer -> Bool in
      var offset = 0
      while offset < buffer.count {
        let n = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
        if n < 0 {
          if errno == EINTR { continue }
          return false
        }
        offset += n
      }
      return fsync(fd) == 0
    }
    close(fd)
    guard written, rename(temporary, path) == 0 else {
      let text = Self.errnoText()
      unlink(temporary)
      throw .configuration("cannot write \(path): \(text)")
    }
  }

  /// Deletes a profile; `false` when there was none.
  @discardableResult
  func delete(_ name: String) throws(CLIError) -> Bool {
    try Self.validate(name: name)
    let path = self.path(of: name)
    if unlink(path) == 0 { return true }
    if errno == ENOENT { return false }
    throw .configuration("cannot delete \(path): \(Self.errnoText())")
  }

  /// The names of the stored profiles, sorted.
  func names() -> [String] {
    let files = (try? FileManager.default.contentsOfDirectory(atPath: self.directory)) ?? []
    return files.filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.sorted()
  }

  private func makeDirectory() throws(CLIError) {
    do {
      try FileManager.default.createDirectory(
        atPath: self.directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    } catch {
      throw .configuration("cannot create \(self.directory): \(error)")
    }
  }

  private static func errnoText() -> String { String(cString: strerror(errno)) }
}
