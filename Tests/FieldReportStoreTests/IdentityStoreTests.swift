import Foundation
import Testing

@_spi(Testing) import FieldReportStore
import FieldReportWorkflow
import StoreTestSupport

@Suite("Identity, roles, groups, sessions, API keys, attachments")
struct IdentityStoreTests {
  @Test("units and users: duplicates, missing references, diacritic-insensitive search", arguments: StoreEngine.all)
  func unitsAndUsers(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture.make(engine: engine)
    let store = fixture.store
    await #expect(throws: StoreError.duplicate("unit ioc")) { try await store.createUnit(StoreFixture.units[0]) }
    await #expect(throws: StoreError.notFound("parent unit nowhere")) {
      try await store.createUnit(Unit(id: "orphan", name: "Mồ côi", kind: .department, parentID: "nowhere"))
    }
    let credentials = PasswordCredentials(hash: [1, 2, 3], salt: [4, 5], scheme: "pbkdf2-sha256:210000")
    await #expect(throws: StoreError.duplicate("username le-dai-thang")) {
      try await store.createUser(UserAccount(user: User(id: "other", fullName: "Khác", kind: .staff), username: "le-dai-thang", credentials: nil))
    }
    try await store.setCredentials(credentials, for: StoreFixture.thang)
    #expect(try await store.findUser(username: "le-dai-thang")?.credentials == credentials)
    #expect(try await store.searchUsers(text: "thang", limit: 10).map(\.id) == [StoreFixture.thang])
    #expect(try await store.searchUsers(text: "duong", limit: 10).map(\.id) == [StoreFixture.duong])
    #expect(try await store.searchUsers(text: "LÊ", limit: 10).count == 2)
    #expect(try await store.searchUsers(text: "%", limit: 10).isEmpty)
    var thang = try #require(try await store.findUser(id: StoreFixture.thang)).user
    thang.isActive = false
    try await store.updateUser(thang)
    #expect(try await store.findUser(id: StoreFixture.thang)?.user.isActive == false)
    await #expect(throws: StoreError.notFound("user ghost")) {
      try await store.updateUser(User(id: "ghost", fullName: "Ma", kind: .staff))
    }
    #expect(try await store.categories().map(\.name) == ["Môi trường", "Trật tự công cộng"])
    await fixture.finish()
  }

  @Test("users by ids: the ones that exist, read once and then from memory, and current after an update", arguments: StoreEngine.all)
  func usersByIDs(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture.make(engine: engine)
    let store = fixture.store
    let ids: [UserID] = [StoreFixture.toan, "nobody", StoreFixture.duong, StoreFixture.toan]
    for _ in 0..<2 {  // the second time from the reference cache (SQLite), "nobody" included
      let found = try await store.users(ids: ids)
      #expect(Set(found.keys) == [StoreFixture.toan, StoreFixture.duong])
      #expect(found[StoreFixture.duong] == (try await store.findUser(id: StoreFixture.duong))?.user)
    }
    var renamed = try #require(try await store.findUser(id: StoreFixture.toan)).user
    renamed.fullName = "Đinh Trường Toàn (đổi tên)"
    try await store.updateUser(renamed)
    #expect(try await store.users(ids: [StoreFixture.toan])[StoreFixture.toan]?.fullName == renamed.fullName)
    #expect(try await store.users(ids: []).isEmpty)
    await fixture.finish()
  }

  @Test("role grants: request, decide once, list, duplicate pending requests refused", arguments: StoreEngine.all)
  func roleGrants(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture.make(engine: engine)
    let store = fixture.store
    let request = RoleGrant(
      id: "req-1", userID: StoreFixture.thang, unitID: StoreFixture.tranPhu, role: .officer, position: "Chuyên viên",
      status: .pending, requestedAt: StoreFixture.at(6))
    try await store.createRoleGrant(request)
    var again = request
    again.id = "req-2"
    await #expect(throws: StoreError.self) { try await store.createRoleGrant(again) }
    var approved = request
    approved.status = .approved
    approved.decidedBy = StoreFixture.hai
    approved.decidedAt = StoreFixture.at(6, hour: 10)
    try await store.updateRoleGrant(approved, expectedStatus: .pending)
    var rejected = request
    rejected.status = .rejected
    await #expect(throws: StoreError.conflict("role grant req-1 is approved, not pending")) {
      try await store.updateRoleGrant(rejected, expectedStatus: .pending)
    }
    #expect(try await store.findRoleGrant(id: "req-1") == approved)
    #expect(try await store.roleGrants(unitID: StoreFixture.tranPhu, status: .approved).map(\.id).contains("req-1"))
    #expect(try await store.roleGrants(unitID: StoreFixture.tranPhu, status: .pending).isEmpty)
    #expect(try await store.roleGrants(userID: StoreFixture.thang).count == 2)
    await fixture.finish()
  }

  @Test("transfer groups keep member order without duplicates", arguments: StoreEngine.all)
  func transferGroups(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture.make(engine: engine)
    let group = TransferGroup(id: "mua-bao", unitID: StoreFixture.dongLoc, name: "Nhóm mùa mưa bão", memberIDs: [StoreFixture.thang, StoreFixture.toan])
    try await fixture.store.createTransferGroup(group)
    #expect(try await fixture.store.findTransferGroup(id: "mua-bao") == group)
    try await fixture.store.setTransferGroupMembers(
      groupID: "mua-bao", members: [StoreFixture.toan, StoreFixture.duong, StoreFixture.toan], at: StoreFixture.at(7),
      expectedUpdatedAt: nil)
    #expect(try await fixture.store.transferGroups(unitID: StoreFixture.dongLoc).first?.memberIDs == [StoreFixture.toan, StoreFixture.duong])
    await #expect(throws: StoreError.notFound("a member")) {
      try await fixture.store.setTransferGroupMembers(groupID: "mua-bao", members: ["ghost"], at: StoreFixture.at(7), expectedUpdatedAt: nil)
    }
    // The failed replacement rolled back: the members are unchanged.
    #expect(try await fixture.store.findTransferGroup(id: "mua-bao")?.memberIDs == [StoreFixture.toan, StoreFixture.duong])
    await fixture.finish()
  }

  @Test("sessions expire and revoke; API keys resolve and revoke; only digests are stored", arguments: StoreEngine.all)
  func sessionsAndKeys(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture.make(engine: engine)
    let store = fixture.store
    let token = "tok-0123456789abcdef0123456789"
    try await store.createSession(token: token, session: Session(userID: StoreFixture.thang, createdAt: StoreFixture.at(6), expiresAt: StoreFixture.at(7)))
    #expect(try await store.findSession(token: token, at: StoreFixture.at(6, hour: 12))?.userID == StoreFixture.thang)
    #expect(try await store.findSession(token: token, at: StoreFixture.at(8)) == nil)
    #expect(try await store.findSession(token: "tok-wrong-0123456789abcdef", at: StoreFixture.at(6)) == nil)
    #expect(try await store.revokeSession(token: token, at: StoreFixture.at(6, hour: 13)))
    #expect(try await store.findSession(token: token, at: StoreFixture.at(6, hour: 14)) == nil)
    #expect(try await !store.revokeSession(token: token, at: StoreFixture.at(6, hour: 14)))
    await #expect(throws: StoreError.self) {
      try await store.createSession(token: "short", session: Session(userID: StoreFixture.thang, createdAt: StoreFixture.at(6), expiresAt: StoreFixture.at(7)))
    }
    let key = "frk_live_0123456789abcdef0123"
    try await store.createAPIKey(key, userID: StoreFixture.platform, label: "platform", expiresAt: nil, at: StoreFixture.at(6))
    #expect(try await store.findAPIKey(key, at: StoreFixture.at(6))?.userID == StoreFixture.platform)
    #expect(try await store.findAPIKey(key, at: StoreFixture.at(6))?.expiresAt == nil)
    #expect(try await store.revokeAPIKey(key, at: StoreFixture.at(7)))
    #expect(try await store.findAPIKey(key, at: StoreFixture.at(7)) == nil)
    // A key with an expiry is live until then, and found nowhere after.
    let expiring = "frk_live_fedcba9876543210fedc"
    try await store.createAPIKey(
      expiring, userID: StoreFixture.platform, label: "rotating", expiresAt: StoreFixture.at(8), at: StoreFixture.at(6))
    #expect(try await store.findAPIKey(expiring, at: StoreFixture.at(7))?.expiresAt == StoreFixture.at(8))
    #expect(try await store.findAPIKey(expiring, at: StoreFixture.at(8)) == nil)
    #expect(try await store.findAPIKey(expiring, at: StoreFixture.at(9)) == nil)
    let containsPrefix =
      switch engine {
      case .sqlite: "instr(token_hash, CAST('tok-' AS BLOB)) > 0"
      case .postgres: "position('tok-'::bytea in token_hash) > 0"
      }
    #expect(try await store.scalarForTesting("SELECT COUNT(*) FROM sessions WHERE \(containsPrefix)") == 0)
    await fixture.finish()
  }

  @Test("attachments are stored once by SHA-256 and limited in size", arguments: StoreEngine.all)
  func attachments(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture.make(engine: engine, configuration: StoreConfiguration(maximumAttachmentBytes: 1_000))
    let store = fixture.store
    let bytes = [UInt8]("ảnh hiện trường".utf8)
    let first = try await store.putAttachment(
      bytes, name: "a.jpg", mimeType: "image/jpeg", uploadedBy: StoreFixture.thang, at: StoreFixture.at(6)).ref
    let second = try await store.putAttachment(
      bytes, name: "b.jpg", mimeType: "image/jpeg", uploadedBy: StoreFixture.toan, at: StoreFixture.at(6)).ref
    #expect(first.sha256Hex == second.sha256Hex)
    #expect(first.hasWellFormedHash)
    #expect(second.name == "b.jpg")
    #expect(try await store.scalarForTesting("SELECT COUNT(*) FROM attachments") == 1)
    #expect(try await store.findAttachment(sha256Hex: first.sha256Hex)?.content == bytes)
    #expect(try await store.findAttachment(sha256Hex: String(repeating: "0", count: 64)) == nil)
    await #expect(throws: StoreError.tooLarge(limit: 1_000)) {
      _ = try await store.putAttachment(
        [UInt8](repeating: 0, count: 1_001), name: "big", mimeType: "x", uploadedBy: StoreFixture.thang,
        at: StoreFixture.at(6))
    }
    await #expect(throws: StoreError.self) { _ = try await store.findAttachment(sha256Hex: "xyz") }
    // The SHA-256 of the empty input is well known.
    let empty = try await store.putAttachment(
      [], name: "empty", mimeType: "text/plain", uploadedBy: StoreFixture.thang, at: StoreFixture.at(6)).ref
    #expect(empty.sha256Hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    #expect(try await store.findAttachment(sha256Hex: empty.sha256Hex)?.content == [])
    await fixture.finish()
  }

  @Test("upload records are durable: one per uploader, refreshed by a re-upload, kept across reopen", arguments: StoreEngine.all)
  func uploadRecords(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture.make(engine: engine)
    let bytes = [UInt8]("biên bản hiện trường".utf8)
    _ = try await fixture.store.putAttachment(
      bytes, name: "bien-ban.pdf", mimeType: "application/pdf", uploadedBy: StoreFixture.thang,
      at: StoreFixture.at(6, hour: 9))
    let hash = try await fixture.store.putAttachment(
      bytes, name: "ban-sao.pdf", mimeType: "application/pdf", uploadedBy: StoreFixture.toan,
      at: StoreFixture.at(6, hour: 10)).ref.sha256Hex
    // The same person again, under a new name: their record is refreshed, not duplicated.
    _ = try await fixture.store.putAttachment(
      bytes, name: "bien-ban-2.pdf", mimeType: "application/pdf", uploadedBy: StoreFixture.thang,
      at: StoreFixture.at(6, hour: 11))
    await #expect(throws: StoreError.notFound("user nobody")) {
      _ = try await fixture.store.putAttachment(
        bytes, name: "x.pdf", mimeType: "application/pdf", uploadedBy: "nobody", at: StoreFixture.at(6))
    }
    await fixture.store.close()

    let reopened = try await fixture.reopen()
    let uploads = try await reopened.attachmentUploads(sha256Hex: hash)
    #expect(uploads.map(\.uploader) == [StoreFixture.thang, StoreFixture.toan])
    #expect(uploads.map(\.ref.name) == ["bien-ban-2.pdf", "ban-sao.pdf"])
    #expect(uploads.first?.uploadedAt == StoreFixture.at(6, hour: 11))
    #expect(uploads.allSatisfy { $0.ref.size == Int64(bytes.count) && $0.ref.mimeType == "application/pdf" })
    #expect(try await reopened.attachmentUploads(sha256Hex: String(repeating: "0", count: 64)).isEmpty)
    await reopened.close()
    fixture.removeStorage()
  }
}
