import ArgumentParser
import FieldReportClient

/// `fieldreport identity …`: the IdentityService (sessions, units, accounts, roles, groups).
struct IdentityCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "identity",
    abstract: "Sessions, units, accounts, API keys, role registration and transfer groups.",
    subcommands: [
      LoginCommand.self, LogoutCommand.self, WhoAmICommand.self, ChangePassword.self,
      CreateUnit.self, ListUnits.self, CreateUser.self, SetUserDisabled.self, IssueApiKey.self, RevokeApiKey.self,
      RegisterCertificate.self, RevokeCertificate.self, ListCertificates.self, SetMethodRights.self, GetMethodRights.self,
      SearchUsers.self, RequestRole.self, ListRoleRequests.self, DecideRoleRequest.self, ListUserRoles.self,
      RevokeRole.self, CreateGroup.self, ListGroups.self, SetGroupMembers.self, DeleteGroup.self,
    ],
    aliases: ["id"]
  )
}

extension IdentityCommand {
  /// ChangePassword.
  struct ChangePassword: RPCCommand {
    static let configuration = CommandConfiguration(
      commandName: "change-password",
      abstract: "Change your password (revokes your other sessions). Reads current and new password from stdin lines.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var input: RequestInput
    @Flag(name: .customLong("passwords-stdin"), help: "Read the current password, then the new one, as two lines of stdin.") var passwordsStdin = false

    func build(_ request: inout Fieldreport_V1_ChangePasswordRequest, session: CLISession) async throws {
      if passwordsStdin {
        guard let current = readLine(), let new = readLine(), !current.isEmpty, !new.isEmpty else {
          throw CLIError.usage("--passwords-stdin: expected two non-empty lines")
        }
        request.currentPassword = current
        request.newPassword = new
      }
      if request.currentPassword.isEmpty || request.newPassword.isEmpty {
        throw CLIError.usage("give --passwords-stdin (or currentPassword and newPassword in --request-json)")
      }
    }

    func call(_ request: Fieldreport_V1_ChangePasswordRequest, session: CLISession) async throws -> Fieldreport_V1_ChangePasswordResponse {
      try await session.client.identity.changePassword(request)
    }

    func render(_ response: Fieldreport_V1_ChangePasswordResponse, session: CLISession) async throws -> String {
      "Password changed; \(response.revokedSessions) other session(s) revoked."
    }
  }

  /// CreateUnit.
  struct CreateUnit: RPCCommand {
    static let configuration = CommandConfiguration(commandName: "create-unit", abstract: "Create a unit (system admin).")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var input: RequestInput
    @Option(help: "Unique code, e.g. UBND-DONGLOC.") var code: String?
    @Option(help: "Display name, e.g. 'UBND Xã Đồng Lộc'.") var name: String?
    @Option(help: "ioc, department, commune, ward or other.") var kind: Fieldreport_V1_UnitKind?
    @Option(help: "The parent unit (id, code or name).") var parent: String?

    func build(_ request: inout Fieldreport_V1_CreateUnitRequest, session: CLISession) async throws {
      if let code { request.unitCode = code }
      if let name { request.unitName = name }
      if let kind { request.unitKind = kind }
      if let parent { request.parentUnitId = try await session.unitID(for: parent) }
    }

    func call(_ request: Fieldreport_V1_CreateUnitRequest, session: CLISession) async throws -> Fieldreport_V1_CreateUnitResponse {
      try await session.client.identity.createUnit(request)
    }

    func render(_ response: Fieldreport_V1_CreateUnitResponse, session: CLISession) async throws -> String {
      Render.units(response.unit.map { [$0] } ?? [])
    }
  }

  /// ListUnits.
  struct ListUnits: RPCCommand {
    static let configuration = CommandConfiguration(commandName: "list-units", abstract: "List units.", aliases: ["units"])

    @OptionGroup var global: GlobalOptions
    @OptionGroup var input: RequestInput
    @Option(help: "Only this kind.") var kind: Fieldreport_V1_UnitKind?
    @Option(help: "Only children of this unit (id).") var parent: String?
    @Option(name: [.short, .long], help: "Name contains (diacritics optional).") var query: String?
    @Option(name: .customLong("page-size")) var pageSize: Int32?
    @Option(name: .customLong("page-token")) var pageToken: String?

    func build(_ request: inout Fieldreport_V1_ListUnitsRequest, session: CLISession) async throws {
      if let kind { request.unitKind = kind }
      if let parent { request.parentUnitId = parent }
      if let query { request.nameQuery = query }
      if let pageSize { request.pageSize = pageSize }
      if let pageToken { request.pageToken = pageToken }
    }

    func call(_ request: Fieldreport_V1_ListUnitsRequest, session: CLISession) async throws -> Fieldreport_V1_ListUnitsResponse {
      try await session.client.identity.listUnits(request)
    }

    func render(_ response: Fieldreport_V1_ListUnitsResponse, session: CLISession) async throws -> String {
      Render.units(response.units) + Render.nextPage(response.nextPageToken)
    }
  }

  /// CreateUser.
  struct CreateUser: RPCCommand {
    static let configuration = CommandConfiguration(
      commandName: "create-user",
      abstract: "Create a staff account, citizen or service account (system admin); initial roles via --request-json.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var input: RequestInput
    @Option(help: "Login name.") var username: String?
    @Option(name: .customLong("full-name"), help: "Full name with diacritics.") var fullName: String?
    @Option(help: "staff, citizen or service-account.") var kind: Fieldreport_V1_UserKind?
    @Flag(name: .customLong("password-stdin"), help: "Read the initial password from stdin.") var passwordStdin = false
    @Option(help: "Phone number.") var phone: String?
    @Option(help: "E-mail address.") var email: String?
    @Option(name: .customLong("api-key-label"), help: "For service accounts: issue an API key with this label.") var apiKeyLabel: String?
    @Option(name: .customLong("role"), help: "An initial approved role, repeatable: ROLE@UNIT[:position], e.g. officer@UBND-DONGLOC:Chuyên viên.") var roles: [String] = []

    func build(_ request: inout Fieldreport_V1_CreateUserRequest, session: CLISession) async throws {
      if let username { request.username = username }
      if let fullName { request.fullName = fullName }
      if let kind { request.userKind = kind }
      if passwordStdin {
        guard let line = readLine(), !line.isEmpty else { throw CLIError.usage("--password-stdin: no password on stdin") }
        request.initialPassword = line
      }
      if let phone { request.phone = phone }
      if let email { request.email = email }
      if let apiKeyLabel { request.apiKeyLabel = apiKeyLabel }
      for text in roles {
        guard let at = text.firstIndex(of: "@"), let kind = Fieldreport_V1_RoleKind(argument: String(text[..<at])) else {
          throw CLIError.usage("--role '\(text)' must be ROLE@UNIT[:position] (roles: \(Fieldreport_V1_RoleKind.allValueStrings.joined(separator: ", ")))")
        }
        let rest = text[text.index(after: at)...]
        let parts = rest.split(separator: ":", maxSplits: 1)
        var role = Fieldreport_V1_InitialRole()
        role.roleKind = kind
        role.unitId = try await session.unitID(for: String(parts.first ?? ""))
        if parts.count == 2 { role.positionTitle = String(parts[1]) }
        request.initialRoles.append(role)
      }
      if request.idempotencyKey.isEmpty { request.idempotencyKey = UUIDText.random() }
    }

    func call(_ request: Fieldreport_V1_CreateUserRequest, session: CLISession) async throws -> Fieldreport_V1_CreateUserResponse {
      try await session.client.identity.createUser(request)
    }

    func render(_ response: Fieldreport_V1_CreateUserResponse, session: CLISession) async throws -> String {
      var text = Render.users(response.user.map { [$0] } ?? [])
      if !response.roles.isEmpty { text += "\n" + Render.grants(response.roles) }
      if let key = response.apiKey {
        text += "\nAPI key \(key.keyId) (\(key.label)), shown once: \(key.apiKey)"
      }
      return text
    }
  }

  /// SetUserDisabled.
  struct SetUserDisabled: RPCCommand {
    static let configuration = CommandConfiguration(commandName: "set-user-disabled", abstract: "Disable or re-enable an account (system admin).")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var input: RequestInput
    @Argument(help: "The user: id or username.") var user: String?
    @Flag(inversion: .prefixedEnableDisable, help: "Enable or disable the account.") var enabled: Bool?
    @Option(help: "Why (for the audit log).") var reason: String?

    func build(_ request: inout Fieldreport_V1_SetUserDisabledRequest, session: CLISession) async throws {
      if let user { request.userId = try await session.userID(for: user) }
      if let enabled { request.disabled = !enabled }
      if let reason { request.reason = reason }
      if request.userId.isEmpty { throw CLIError.usage("name the user") }
    }

    func call(_ request: Fieldreport_V1_SetUserDisabledRequest, session: CLISession) async throws -> Fieldreport_V1_SetUserDisabledResponse {
      try await session.client.identity.setUserDisabled(request)
    }

    func render(_ response: Fieldreport_V1_SetUserDisabledResponse, session: CLISession) async throws -> String {
      Render.users(response.user.map { [$0] } ?? [])
    }
  }

  /// IssueApiKey.
  struct IssueApiKey: RPCCommand {
    static let configuration = CommandConfiguration(commandName: "issue-api-key", abstract: "Issue (rotate) a service account's API key (system admin); printed once.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var input: RequestInput
    @Argument(help: "The service account: id or username.") var user: String?
    @Option(help: "A label for the key.") var label: String?
    @Flag(name: .customLong("revoke-existing"), help: "Revoke the account's other keys.") var revokeExisting = false
    @Option(help: "Expiry (date, time, +Nd, Unix ms).") var expires: String?

    func build(_ request: inout Fieldreport_V1_IssueApiKeyRequest, session: CLISession) async throws {
      if let user { request.userId = try await session.userID(for: user) }
      if let label { request.label = label }
      if revokeExisting { request.revokeExisting = true }
      if let expires { request.expiresAtMs = try TimeOption.parse(expires, option: "--expires") }
    }

    func call(_ request: Fieldreport_V1_IssueApiKeyRequest, session: CLISession) async throws -> Fieldreport_V1_IssueApiKeyResponse {
      try await session.client.identity.issueApiKey(request)
    }

    func render(_ response: Fieldreport_V1_IssueApiKeyResponse, session: CLISession) async throws -> String {
      guard let key = response.apiKey else { return "(no key in the answer)" }
      var text = "API key \(key.keyId) (\(key.label)), shown once: \(key.apiKey)"
      if !response.revokedKeyIds.isEmpty { text += "\nrevoked: \(response.revokedKeyIds.joined(separator: ", "))" }
      return text
    }
  }

  /// RevokeApiKey.
  struct RevokeApiKey: RPCCommand {
    static let configuration = CommandConfiguration(commandName: "revoke-api-key", abstract: "Revoke an API key by its key id (system admin).")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var input: RequestInput
    @Argument(help: "The key id.") var keyID: String?

    func build(_ request: inout Fieldreport_V1_RevokeApiKeyRequest, session: CLISession) async throws {
      if let keyID { request.keyId = keyID }
      if request.keyId.isEmpty { throw CLIError.usage("name the key id") }
    }

    func call(_ request: Fieldreport_V1_RevokeApiKeyRequest, session: CLISession) async throws -> Fieldreport_V1_RevokeApiKeyResponse {
      try await session.client.identity.revokeApiKey(request)
    }

    func render(_ response: Fieldreport_V1_RevokeApiKeyResponse, session: CLISession) async throws -> String {
      "Revoked at \(Render.time(response.revokedAtMs))."
    }
  }

  /// RegisterClientCertificate.
  struct RegisterCertificate: RPCCommand {
    static let configuration = CommandConfiguration(
      commandName: "register-certificate",
      abstract: "Register a client certificate for a service account (mutual TLS; system admin).")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var input: RequestInput
    @Option(help: "The service account: id or username.") var account: String?
    @Option(help: "The certificate's SHA-256 fingerprint (hex, colons allowed), as `openssl x509 -noout -fingerprint -sha256` prints it.")
    var fingerprint: String?
    @Option(help: "A PEM certificate file to take the fingerprint from (the first certificate).") var certificate: String?
    @Option(help: "A label.") var label: String?

    func build(_ request: inout Fieldreport_V1_RegisterClientCertificateRequest, session: CLISession) async throws {
      if let account { request.userId = try await session.serviceAccountID(for: account) }
      if let fingerprint { request.fingerprintSha256 = fingerprint.replacingOccurrences(of: "SHA256 Fingerprint=", with: "") }
      if let certificate {
        guard let first = try RPCTLS.fingerprints(ofPEMFile: certificate).first else { throw CLIError.usage("--certificate \(certificate): no certificate") }
        request.fingerprintSha256 = first
      }
      if let label { request.label = label }
      if request.userId.isEmpty { throw CLIError.usage("name the service account with --account") }
      if request.fingerprintSha256.isEmpty { throw CLIError.usage("give --fingerprint or --certificate") }
    }

    func call(_ request: Fieldreport_V1_RegisterClientCertificateRequest, session: CLISession) async throws -> Fieldreport_V1_RegisterClientCertificateResponse {
      try await session.client.identity.registerClientCertificate(request)
    }

    func render(_ response: Fieldreport_V1_RegisterClientCertificateResponse, session: CLISession) async throws -> String {
      "Registered certificate \(response.certificate?.fingerprintSha256 ?? "?") for \(response.certificate?.userId ?? "?")."
    }
  }

  /// RevokeClientCertificate.
  struct RevokeCertificate: RPCCommand {
    static let configuration = CommandConfiguration(
      commandName: "revoke-certificate", abstract: "Revoke a registered client certificate (system admin); refused from the next call.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var input: RequestInput
    @Option(help: "The certificate's SHA-256 fingerprint (hex, colons allowed).") var fingerprint: String?

    func build(_ request: inout Fieldreport_V1_RevokeClientCertificateRequest, session: CLISession) async throws {
      if let fingerprint { request.fingerprintSha256 = fingerprint.replacingOccurrences(of: "SHA256 Fingerprint=", with: "") }
      if request.fingerprintSha256.isEmpty { throw CLIError.usage("give --fingerprint") }
    }

    func call(_ request: Fieldreport_V1_RevokeClientCertificateRequest, session: CLISession) async throws -> Fieldreport_V1_RevokeClientCertificateResponse {
      try await session.client.identity.revokeClientCertificate(request)
    }

    func render(_ response: Fieldreport_V1_RevokeClientCertificateResponse, session: CLISession) async throws -> String {
      "Revoked at \(Render.time(response.certificate?.revokedAtMs ?? 0))."
    }
  }

  /// ListClientCertificates.
  struct ListCertificates: RPCCommand {
    static let configuration = CommandConfiguration(
      commandName: "list-certificates", abstract: "List a service account's client certificates (system admin).")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var input: RequestInput
    @Argument(help: "The service account: id or username.") var account: String?

    func build(_ request: inout Fieldreport_V1_ListClientCertificatesRequest, session: CLISession) async throws {
      if let account { request.userId = try await session.serviceAccountID(for: account) }
      if request.userId.isEmpty { throw CLIError.usage("name the service account") }
    }

    func call(_ request: Fieldreport_V1_ListClientCertificatesRequest, session: CLISession) async throws -> Fieldreport_V1_ListClientCertificatesResponse {
      try await session.client.identity.listClientCertificates(request)
    }

    func render(_ response: Fieldreport_V1_ListClientCertificatesResponse, session: CLISession) async throws -> String {
      if response.certificates.isEmpty { return "No client certificates." }
      return response.certificates.map { certificate in
        let state = certificate.revokedAtMs.map { "revoked \(Render.time($0))" } ?? "valid"
        return "\(certificate.fingerprintSha256)  \(state)  \(certificate.label)"
      }.joined(separator: "\n")
    }
  }

  /// SetMethodRights.
  struct SetMethodRights: RPCCommand {
    static let configuration = CommandConfiguration(
      commandName: "set-method-rights",
      abstract: "Limit a service account to the listed methods, or lift the limit (system admin).")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var input: RequestInput
    @Argument(help: "The service account: id or username.") var account: String?
    @Option(name: .customLong("method"), help: "A method it may call, e.g. CaseService/SubmitReport; repeatable.") var methods: [String] = []
    @Flag(help: "Lift the limit: every method its roles allow.") var unrestricted = false

    func validate() throws {
      if self.unrestricted && !self.methods.isEmpty { throw ValidationError("--unrestricted takes no --method") }
    }

    func build(_ request: inout Fieldreport_V1_SetMethodRightsRequest, session: CLISession) async throws {
      if let account { request.userId = try await session.serviceAccountID(for: account) }
      if !methods.isEmpty { request.methodPaths = methods }
      request.restricted = !unrestricted
      if request.userId.isEmpty { throw CLIError.usage("name the service account") }
    }

    func call(_ request: Fieldreport_V1_SetMethodRightsRequest, session: CLISession) async throws -> Fieldreport_V1_SetMethodRightsResponse {
      try await session.client.identity.setMethodRights(request)
    }

    func render(_ response: Fieldreport_V1_SetMethodRightsResponse, session: CLISession) async throws -> String {
      Self.describe(response.rights)
    }

    static func describe(_ rights: Fieldreport_V1_MethodRights?) -> String {
      guard let rights, rights.restricted else { return "Unrestricted: every method its roles allow." }
      if rights.methodPaths.isEmpty { return "Restricted to no method at all." }
      return "Restricted to:\n" + rights.methodPaths.map { "  \($0)" }.joined(separator: "\n")
    }
  }

  /// GetMethodRights.
  struct GetMethodRights: RPCCommand {
    static let configuration = CommandConfiguration(
      commandName: "method-rights", abstract: "Show a service account's method rights (system admin).")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var input: RequestInput
    @Argument(help: "The service account: id or username.") var account: String?

    func build(_ request: inout Fieldreport_V1_GetMethodRightsRequest, session: CLISession) async throws {
      if let account { request.userId = try await session.serviceAccountID(for: account) }
      if request.userId.isEmpty { throw CLIError.usage("name the service account") }
    }

    func call(_ request: Fieldreport_V1_GetMethodRightsRequest, session: CLISession) async throws -> Fieldreport_V1_GetMethodRightsResponse {
      try await session.client.identity.getMethodRights(request)
    }

    func render(_ response: Fieldreport_V1_GetMethodRightsResponse, session: CLISession) async throws -> String {
      SetMethodRights.describe(response.rights)
    }
  }

  /// SearchUsers.
  struct SearchUsers: RPCCommand {
    static let configuration = CommandConfiguration(
      commandName: "search-users", abstract: "Find people by name without diacritics ('thang' finds 'Lê Đại Thắng').", aliases: ["users"])

    @OptionGroup var global: GlobalOptions
    @OptionGroup var input: RequestInput
    @Argument(help: "Name, username or phone fragment.") var query: String?
    @Option(help: "Only people with a role at this unit (id, code or name).", completion: ServerCompletion.units) var unit: String?
    @Option(help: "Only people with this role.") var role: Fieldreport_V1_RoleKind?
    @Option(help: "Only this account kind.") var kind: Fieldreport_V1_UserKind?
    @Flag(name: .customLong("include-disabled")) var includeDisabled = false
    @Option(name: .customLong("page-size")) var pageSize: Int32?
    @Option(name: .customLong("page-token")) var pageToken: String?

    func build(_ request: inout Fieldreport_V1_SearchUsersRequest, session: CLISession) async throws {
      if let query { request.query = query }
      if let unit { request.unitId = try await session.unitID(for: unit) }
      if let role { request.roleKind = role }
      if let kind { request.userKind = kind }
      if includeDisabled { request.includeDisabled = true }
      if let pageSize { request.pageSize = pageSize }
      if let pageToken { request.pageToken = pageToken }
    }

    func call(_ request: Fieldreport_V1_SearchUsersRequest, session: CLISession) async throws -> Fieldreport_V1_SearchUsersResponse {
      try await session.client.identity.searchUsers(request)
    }

    func render(_ response: Fieldreport_V1_SearchUsersResponse, session: CLISession) async throws -> String {
      Render.users(response.users) + Render.nextPage(response.nextPageToken)
    }
  }

  /// RequestRole.
  struct RequestRole: RPCCommand {
    static let configuration = CommandConfiguration(
      commandName: "request-role", abstract: "Register for a role at a unit (Đăng ký vai trò); pending until the unit admin decides.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var input: RequestInput
    @Option(help: "The unit (id, code or name).", completion: ServerCompletion.units) var unit: String?
    @Option(help: "leader, officer, unit-admin, ioc-operator, …") var role: Fieldreport_V1_RoleKind?
    @Option(help: "Subject type (default civil-servant: CCVC).") var subject: Fieldreport_V1_SubjectKind?
    @Option(help: "Position title (Chức vụ), e.g. 'Chuyên viên'.") var position: String?
    @Option(help: "A note to the admin.") var note: String?

    func build(_ request: inout Fieldreport_V1_RequestRoleRequest, session: CLISession) async throws {
      if let unit { request.unitId = try await session.unitID(for: unit) }
      if let role { request.roleKind = role }
      if let subject { request.subjectKind = subject }
      if request.subjectKind == .unspecified { request.subjectKind = .civilServant }
      if let position { request.positionTitle = position }
      if let note { request.requestNote = note }
      if request.idempotencyKey.isEmpty { request.idempotencyKey = UUIDText.random() }
    }

    func call(_ request: Fieldreport_V1_RequestRoleRequest, session: CLISession) async throws -> Fieldreport_V1_RequestRoleResponse {
      try await session.client.identity.requestRole(request)
    }

    func render(_ response: Fieldreport_V1_RequestRoleResponse, session: CLISession) async throws -> String {
      Render.grants(response.grant.map { [$0] } ?? [])
    }
  }

  /// ListRoleRequests.
  struct ListRoleRequests: RPCCommand {
    static let configuration = CommandConfiguration(commandName: "list-role-requests", abstract: "Role requests to decide (unit admin) or your own (--mine).", aliases: ["role-requests"])

    @OptionGroup var global: GlobalOptions
    @OptionGroup var input: RequestInput
    @Option(help: "Only this unit (id, code or name).", completion: ServerCompletion.units) var unit: String?
    @Option(help: "pending, approved, rejected, revoked (default: any).") var status: Fieldreport_V1_RoleStatus?
    @Flag(help: "Only your own requests.") var mine = false
    @Option(name: .customLong("page-size")) var pageSize: Int32?
    @Option(name: .customLong("page-token")) var pageToken: String?

    func build(_ request: inout Fieldreport_V1_ListRoleRequestsRequest, session: CLISession) async throws {
      if let unit { request.unitId = try await session.unitID(for: unit) }
      if let status { request.status = status }
      if mine { request.mineOnly = true }
      if let pageSize { request.pageSize = pageSize }
      if let pageToken { request.pageToken = pageToken }
    }

    func call(_ request: Fieldreport_V1_ListRoleRequestsRequest, session: CLISession) async throws -> Fieldreport_V1_ListRoleRequestsResponse {
      try await session.client.identity.listRoleRequests(request)
    }

    func render(_ response: Fieldreport_V1_ListRoleRequestsResponse, session: CLISession) async throws -> String {
      Render.grants(response.grants) + Render.nextPage(response.nextPageToken)
    }
  }

  /// DecideRoleRequest.
  struct DecideRoleRequest: RPCCommand {
    static let configuration = CommandConfiguration(commandName: "decide-role-request", abstract: "Approve or reject a role request (that unit's admin).", aliases: ["decide"])

    @OptionGroup var global: GlobalOptions
    @OptionGroup var input: RequestInput
    @Argument(help: "The grant id.") var grantID: String?
    @Flag(help: "Approve or reject.") var decision: Decision?
    @Option(help: "The decision note (the reason for a rejection).") var note: String?

    enum Decision: String, EnumerableFlag { case approve, reject }

    func build(_ request: inout Fieldreport_V1_DecideRoleRequestRequest, session: CLISession) async throws {
      if let grantID { request.grantId = grantID }
      if let decision { request.decision = decision == .approve ? .approve : .reject }
      if let note { request.decisionNote = note }
      if request.grantId.isEmpty { throw CLIError.usage("name the grant id") }
      if request.decision == .unspecified { throw CLIError.usage("give --approve or --reject") }
    }

    func call(_ request: Fieldreport_V1_DecideRoleRequestRequest, session: CLISession) async throws -> Fieldreport_V1_DecideRoleRequestResponse {
      try await session.client.identity.decideRoleRequest(request)
    }

    func render(_ response: Fieldreport_V1_DecideRoleRequestResponse, session: CLISession) async throws -> String {
      Render.grants(response.grant.map { [$0] } ?? [])
    }
  }

  /// ListUserRoles.
  struct ListUserRoles: RPCCommand {
    static let configuration = CommandConfiguration(commandName: "list-user-roles", abstract: "A user's roles (default: yours).", aliases: ["roles"])

    @OptionGroup var global: GlobalOptions
    @OptionGroup var input: RequestInput
    @Argument(help: "The user: id or username (default: you).") var user: String?
    @Flag(name: .customLong("include-inactive"), help: "Include pending, rejected and revoked grants.") var includeInactive = false

    func build(_ request: inout Fieldreport_V1_ListUserRolesRequest, session: CLISession) async throws {
      if let user { request.userId = try await session.userID(for: user) }
      if includeInactive { request.includeInactive = true }
    }

    func call(_ request: Fieldreport_V1_ListUserRolesRequest, session: CLISession) async throws -> Fieldreport_V1_ListUserRolesResponse {
      try await session.client.identity.listUserRoles(request)
    }

    func render(_ response: Fieldreport_V1_ListUserRolesResponse, session: CLISession) async throws -> String {
      Render.grants(response.grants)
    }
  }

  /// RevokeRole.
  struct RevokeRole: RPCCommand {
    static let configuration = CommandConfiguration(commandName: "revoke-role", abstract: "Revoke an approved role (unit admin or system admin).")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var input: RequestInput
    @Argument(help: "The grant id.") var grantID: String?
    @Option(help: "Why.") var reason: String?

    func build(_ request: inout Fieldreport_V1_RevokeRoleRequest, session: CLISession) async throws {
      if let grantID { request.grantId = grantID }
      if let reason { request.reason = reason }
      if request.grantId.isEmpty { throw CLIError.usage("name the grant id") }
    }

    func call(_ request: Fieldreport_V1_RevokeRoleRequest, session: CLISession) async throws -> Fieldreport_V1_RevokeRoleResponse {
      try await session.client.identity.revokeRole(request)
    }

    func render(_ response: Fieldreport_V1_RevokeRoleResponse, session: CLISession) async throws -> String {
      Render.grants(response.grant.map { [$0] } ?? [])
    }
  }

  /// CreateGroup.
  struct CreateGroup: RPCCommand {
    static let configuration = CommandConfiguration(commandName: "create-group", abstract: "Create a transfer group (Nhóm chuyển) of a unit.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var input: RequestInput
    @Option(help: "The owning unit (id, code or name).", completion: ServerCompletion.units) var unit: String?
    @Option(help: "The group name.") var name: String?
    @Option(name: .customLong("member"), help: "A member (id, username or name), repeatable.", completion: ServerCompletion.people) var members: [String] = []

    func build(_ request: inout Fieldreport_V1_CreateGroupRequest, session: CLISession) async throws {
      if let unit { request.unitId = try await session.unitID(for: unit) }
      if let name { request.groupName = name }
      for member in members { request.memberUserIds.append(try await session.userID(for: member)) }
    }

    func call(_ request: Fieldreport_V1_CreateGroupRequest, session: CLISession) async throws -> Fieldreport_V1_CreateGroupResponse {
      try await session.client.identity.createGroup(request)
    }

    func render(_ response: Fieldreport_V1_CreateGroupResponse, session: CLISession) async throws -> String {
      Render.groups(response.group.map { [$0] } ?? [])
    }
  }

  /// ListGroups.
  struct ListGroups: RPCCommand {
    static let configuration = CommandConfiguration(commandName: "list-groups", abstract: "List transfer groups.", aliases: ["groups"])

    @OptionGroup var global: GlobalOptions
    @OptionGroup var input: RequestInput
    @Option(help: "Only this unit's groups (id, code or name).", completion: ServerCompletion.units) var unit: String?
    @Option(name: .customLong("page-size")) var pageSize: Int32?
    @Option(name: .customLong("page-token")) var pageToken: String?

    func build(_ request: inout Fieldreport_V1_ListGroupsRequest, session: CLISession) async throws {
      if let unit { request.unitId = try await session.unitID(for: unit) }
      if let pageSize { request.pageSize = pageSize }
      if let pageToken { request.pageToken = pageToken }
    }

    func call(_ request: Fieldreport_V1_ListGroupsRequest, session: CLISession) async throws -> Fieldreport_V1_ListGroupsResponse {
      try await session.client.identity.listGroups(request)
    }

    func render(_ response: Fieldreport_V1_ListGroupsResponse, session: CLISession) async throws -> String {
      Render.groups(response.groups) + Render.nextPage(response.nextPageToken)
    }
  }

  /// SetGroupMembers.
  struct SetGroupMembers: RPCCommand {
    static let configuration = CommandConfiguration(commandName: "set-group-members", abstract: "Replace a transfer group's members.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var input: RequestInput
    @Argument(help: "The group: id or name (diacritics optional).", completion: ServerCompletion.groups) var groupID: String?
    @Option(name: .customLong("member"), help: "A member (id, username or name), repeatable.", completion: ServerCompletion.people) var members: [String] = []

    func build(_ request: inout Fieldreport_V1_SetGroupMembersRequest, session: CLISession) async throws {
      if let groupID { request.groupId = try await session.groupID(for: groupID) }
      if !members.isEmpty {
        request.memberUserIds = []
        for member in members { request.memberUserIds.append(try await session.userID(for: member)) }
      }
      if request.groupId.isEmpty { throw CLIError.usage("name the group (id or name)") }
    }

    func call(_ request: Fieldreport_V1_SetGroupMembersRequest, session: CLISession) async throws -> Fieldreport_V1_SetGroupMembersResponse {
      try await session.client.identity.setGroupMembers(request)
    }

    func render(_ response: Fieldreport_V1_SetGroupMembersResponse, session: CLISession) async throws -> String {
      Render.groups(response.group.map { [$0] } ?? [])
    }
  }

  /// DeleteGroup.
  struct DeleteGroup: RPCCommand {
    static let configuration = CommandConfiguration(commandName: "delete-group", abstract: "Delete a transfer group.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var input: RequestInput
    @Argument(help: "The group: id or name (diacritics optional).", completion: ServerCompletion.groups) var groupID: String?

    func build(_ request: inout Fieldreport_V1_DeleteGroupRequest, session: CLISession) async throws {
      if let groupID { request.groupId = try await session.groupID(for: groupID) }
      if request.groupId.isEmpty { throw CLIError.usage("name the group (id or name)") }
    }

    func call(_ request: Fieldreport_V1_DeleteGroupRequest, session: CLISession) async throws -> Fieldreport_V1_DeleteGroupResponse {
      try await session.client.identity.deleteGroup(request)
    }

    func render(_ response: Fieldreport_V1_DeleteGroupResponse, session: CLISession) async throws -> String {
      "Group deleted."
    }
  }
}
