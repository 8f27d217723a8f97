import FieldReportClient
import Foundation

/// Lets people name units, users and categories the way they know them (code, username,
/// name) instead of by opaque id. In a dry run nothing is looked up.
extension CLISession {
  /// A unit id from an id, a unit code or an exact unit name (case-insensitive).
  func unitID(for reference: String) async throws -> String {
    if self.dryRun { return reference }
    var request = Fieldreport_V1_ListUnitsRequest()
    request.pageSize = 200
    var found: [Fieldreport_V1_Unit] = []
    repeat {
      let page = try await self.client.identity.listUnits(request)
      found.append(contentsOf: page.units)
      request.pageToken = page.nextPageToken
    } while !request.pageToken.isEmpty && found.count < 5_000
    let wanted = reference.lowercased()
    if let unit = found.first(where: { $0.unitId == reference })
      ?? found.first(where: { $0.unitCode.lowercased() == wanted })
      ?? found.first(where: { $0.unitName.lowercased() == wanted }) {
      return unit.unitId
    }
    let partial = found.filter { Self.fold($0.unitName).contains(Self.fold(reference)) }
    if partial.count == 1 { return partial[0].unitId }
    if partial.count > 1 {
      throw CLIError.usage("'\(reference)' matches several units: " + partial.map { "\($0.unitName) (\($0.unitCode))" }.joined(separator: ", "))
    }
    // Not listed (or not visible): let the server judge the id.
    return reference
  }

  /// A user id from an id, a username, or a name that matches exactly one user
  /// (diacritic-insensitively, as the server's search does: "thang" finds "Lê Đại Thắng").
  func userID(for reference: String) async throws -> String {
    if self.dryRun { return reference }
    var request = Fieldreport_V1_SearchUsersRequest()
    request.query = reference
    request.pageSize = 50
    let users = try await self.client.identity.searchUsers(request).users
    if let user = users.first(where: { $0.userId == reference || $0.username.lowercased() == reference.lowercased() }) {
      return user.userId
    }
    if let user = users.first(where: { Self.fold($0.fullName) == Self.fold(reference) }) { return user.userId }
    if users.count == 1 { return users[0].userId }
    if users.isEmpty {
      // The search matches names; an exact username or id is found among everyone visible.
      var everyone = Fieldreport_V1_SearchUsersRequest()
      everyone.pageSize = 200
      repeat {
        let page = try await self.client.identity.searchUsers(everyone)
        if let user = page.users.first(where: { $0.userId == reference || $0.username.lowercased() == reference.lowercased() }) {
          return user.userId
        }
        everyone.pageToken = page.nextPageToken
      } while !everyone.pageToken.isEmpty
    }
    if users.count > 1 {
      throw CLIError.usage("'\(reference)' matches several people: " + users.map { "\($0.fullName) (\($0.username))" }.joined(separator: ", "))
    }
    return reference
  }

  /// A service account's id from its id or username (searched among service accounts, which
  /// the people search leaves out). Untyped and never inlined, like ``caseID(for:)``.
  @inline(never)
  func serviceAccountID(for reference: String) async throws -> String {
    if self.dryRun { return reference }
    var request = Fieldreport_V1_SearchUsersRequest()
    request.userKind = .serviceAccount
    request.pageSize = 200
    repeat {
      let page = try await self.client.identity.searchUsers(request)
      if let account = page.users.first(where: {
        $0.userId == reference || $0.username.lowercased() == reference.lowercased() || Self.fold($0.fullName) == Self.fold(reference)
      }) {
        return account.userId
      }
      request.pageToken = page.nextPageToken
    } while !request.pageToken.isEmpty
    return reference
  }

  /// A transfer group id from an id or a group name (case- and diacritic-insensitive, a unique
  /// part of it is enough), among the groups of the units where the caller holds a role.
  /// Untyped and never inlined, like ``caseID(for:)``: it is awaited conditionally inside
  /// `build(_:session:)` functions that take the request `inout` (a Swift 6.3.1 release-build
  /// crash otherwise).
  @inline(never)
  func groupID(for reference: String) async throws -> String {
    if self.dryRun { return reference }
    let me = try await self.client.identity.whoAmI(Fieldreport_V1_WhoAmIRequest())
    var groups: [Fieldreport_V1_TransferGroup] = []
    for unitID in Set(me.roles.compactMap { $0.unit?.unitId }).sorted() {
      var request = Fieldreport_V1_ListGroupsRequest()
      request.unitId = unitID
      request.pageSize = 200
      repeat {
        guard let page = try? await self.client.identity.listGroups(request) else { break }
        groups.append(contentsOf: page.groups)
        request.pageToken = page.nextPageToken
      } while !request.pageToken.isEmpty
    }
    let folded = Self.fold(reference)
    if let group = groups.first(where: { $0.groupId == reference }) ?? groups.first(where: { Self.fold($0.groupName) == folded }) {
      return group.groupId
    }
    let partial = groups.filter { Self.fold($0.groupName).contains(folded) }
    if partial.count == 1 { return partial[0].groupId }
    if partial.count > 1 {
      throw CLIError.usage("'\(reference)' matches several groups: " + partial.map { "\($0.groupName) (\(Render.unit($0.unit)))" }.joined(separator: ", "))
    }
    return reference
  }

  /// A category id from an id, a code or a name (case- and diacritic-insensitive).
  func categoryID(for reference: String) async throws -> String {
    if self.dryRun { return reference }
    let categories = try await self.client.cases.listCategories(Fieldreport_V1_ListCategoriesRequest()).categories
    let folded = Self.fold(reference)
    if let category = categories.first(where: { $0.categoryId == reference })
      ?? categories.first(where: { Self.fold($0.categoryCode) == folded })
      ?? categories.first(where: { Self.fold($0.categoryName) == folded }) {
      return category.categoryId
    }
    return reference
  }

  /// Lower case without diacritics (đ → d), for matching names the way people type them.
  static func fold(_ text: String) -> String {
    text.folding(options: [.diacriticInsensitive, .caseInsensitive], locale: nil)
      .replacingOccurrences(of: "đ", with: "d").replacingOccurrences(of: "Đ", with: "d")
  }
}
