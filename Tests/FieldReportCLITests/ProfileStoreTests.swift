import Foundation
import Testing
@testable import FieldReportCLI

@Suite("Profiles")
struct ProfileStoreTests {
  @Test("the directory follows XDG_CONFIG_HOME, else HOME/.config")
  func directory() throws {
    #expect(try ProfileStore(environment: ["XDG_CONFIG_HOME": "/x", "HOME": "/h"]).directory == "/x/fieldreport/profiles")
    #expect(try ProfileStore(environment: ["HOME": "/h"]).directory == "/h/.config/fieldreport/profiles")
    // A relative XDG_CONFIG_HOME is invalid per the spec and ignored.
    #expect(try ProfileStore(environment: ["XDG_CONFIG_HOME": "rel", "HOME": "/h"]).directory == "/h/.config/fieldreport/profiles")
    #expect(throws: CLIError.self) { try ProfileStore(environment: [:]) }
  }

  @Test("a saved profile reads back, with mode 0600 in a 0700 directory")
  func saveAndLoad() throws {
    try withTemporaryDirectory { root in
      let store = try ProfileStore(environment: ["XDG_CONFIG_HOME": root])
      #expect(try store.load("default") == nil)
      let profile = Profile(server: "127.0.0.1:7443", sessionToken: "secret", username: "quan.tm", fullName: "Trần Minh Quân", expiresAtMs: 42)
      try store.save(profile, as: "default")
      #expect(try store.load("default") == profile)
      let attributes = try FileManager.default.attributesOfItem(atPath: store.path(of: "default"))
      #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
      let directory = try FileManager.default.attributesOfItem(atPath: store.directory)
      #expect((directory[.posixPermissions] as? NSNumber)?.intValue == 0o700)

      var updated = profile
      updated.sessionToken = nil
      try store.save(updated, as: "default")
      #expect(try store.load("default")?.sessionToken == nil)
      try store.save(profile, as: "platform")
      #expect(store.names() == ["default", "platform"])
      #expect(try store.delete("platform"))
      #expect(try !store.delete("platform"))
      #expect(store.names() == ["default"])
    }
  }

  @Test("profile names cannot escape the directory", arguments: ["", "../x", "a/b", ".hidden", String(repeating: "a", count: 65)])
  func badNames(name: String) throws {
    let store = ProfileStore(directory: "/nonexistent")
    #expect(throws: CLIError.self) { try store.load(name) }
  }

  @Test("a corrupt profile is a configuration error, not a crash")
  func corrupt() throws {
    try withTemporaryDirectory { root in
      let store = try ProfileStore(environment: ["XDG_CONFIG_HOME": root])
      try FileManager.default.createDirectory(atPath: store.directory, withIntermediateDirectories: true)
      try Data("{not json".utf8).write(to: URL(fileURLWithPath: store.path(of: "default")))
      #expect(throws: CLIError.self) { try store.load("default") }
    }
  }
}
