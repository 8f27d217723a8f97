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
    if users.count > 1 {
      throw CLIError.usage("'\(reference)' matches several people: " + users.map { "\($0.fullName) (\($0.username))" }.joined(separator: ", "))
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
