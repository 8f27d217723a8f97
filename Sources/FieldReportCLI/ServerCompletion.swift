import ArgumentParser
import FieldReportClient
import Foundation
import Synchronization

/// Shell completion of values the server knows (issue 12 item 13): unit codes, usernames,
/// transfer groups and the report codes in the caller's inbox, fetched with the profile (and any `--profile`,
/// `--server`, `--token` or `--api-key` already typed) where that is cheap: one list call,
/// bounded to ``deadline``. Any failure (no profile, server down, no right to list) completes
/// nothing: completion must never print an error into the shell.
///
/// Values with spaces are not offered (a unit's name); its code completes instead (a group's
/// id, which every `--group` accepts as well as its name).
enum ServerCompletion {
  /// The longest a completion waits for the server.
  static let deadline: Double = 2

  static let units = CompletionKind.custom { words, _, prefix in
    fetch(words, prefix) { session in
      var request = Fieldreport_V1_ListUnitsRequest()
      request.pageSize = 200
      return try await session.client.identity.listUnits(request).units.map(\.unitCode)
    }
  }

  static let people = CompletionKind.custom { words, _, prefix in
    fetch(words, prefix) { session in
      var request = Fieldreport_V1_SearchUsersRequest()
      request.pageSize = 200
      if !prefix.isEmpty { request.query = prefix }
      let found = try await session.client.identity.searchUsers(request).users.map(\.username)
      if !found.isEmpty || prefix.isEmpty { return found }
      // A username prefix is not a name: list everyone visible instead.
      request.query = ""
      return try await session.client.identity.searchUsers(request).users.map(\.username)
    }
  }

  /// The transfer groups of the units where the caller holds a role (the groups
  /// ``CLISession/groupID(for:)`` looks names up in): their ids, and their names when those
  /// have no space.
  static let groups = CompletionKind.custom { words, _, prefix in
    fetch(words, prefix) { session in
      let me = try await session.client.identity.whoAmI(Fieldreport_V1_WhoAmIRequest())
      var values: [String] = []
      for unitID in Set(me.roles.compactMap { $0.unit?.unitId }).sorted() {
        var request = Fieldreport_V1_ListGroupsRequest()
        request.unitId = unitID
        request.pageSize = 200
        // A unit whose groups the caller may not list is skipped, as by the name lookup.
        guard let page = try? await session.client.identity.listGroups(request) else { continue }
        for group in page.groups {
          values.append(group.groupId)
          values.append(group.groupName)
        }
      }
      return values
    }
  }

  static let cases = CompletionKind.custom { words, _, prefix in
    fetch(words, prefix) { session in
      var request = Fieldreport_V1_ListCasesRequest()
      request.scope = .mine
      request.pageSize = 100
      return try await session.client.cases.listCases(request).cases.map(\.reportCode)
    }
  }

  /// Runs `body` against the server the typed command line points at; the values that start
  /// with `prefix` (case-insensitively), or none on any failure or after ``deadline``.
  static func fetch(
    _ words: [String], _ prefix: String,
    _ body: @escaping @Sendable (CLISession) async throws -> [String]
  ) -> [String] {
    guard let options = try? GlobalOptions.parse(globalArguments(in: words)) else { return [] }
    let result = Mutex<[String]>([])
    let done = DispatchSemaphore(value: 0)
    Task {
      defer { done.signal() }
      guard let session = try? CLISession(options) else { return }
      let values = (try? await body(session)) ?? []
      await session.client.close()
      result.withLock { $0 = values }
    }
    guard done.wait(timeout: .now() + deadline) == .success else { return [] }
    let wanted = prefix.lowercased()
    return result.withLock { $0 }.filter { !$0.isEmpty && !$0.contains(" ") && $0.lowercased().hasPrefix(wanted) }
  }

  /// The global options among the words typed so far (`--profile x`, `--server=h:p`, …),
  /// with the per-call deadline set to ``deadline``.
  static func globalArguments(in words: [String]) -> [String] {
    let wanted: Set<String> = ["--profile", "--server", "--token", "--api-key", "--ca", "--cert", "--key"]
    var kept: [String] = []
    var index = 0
    while index < words.count {
      let word = words[index]
      let name = String(word.prefix { $0 != "=" })
      if wanted.contains(name) {
        if word.contains("=") {
          kept.append(word)
        } else if index + 1 < words.count {
          kept += [word, words[index + 1]]
          index += 1
        }
      } else if word == "--tls" {
        kept.append(word)
      }
      index += 1
    }
    return kept + ["--timeout", "\(deadline)"]
  }
}
