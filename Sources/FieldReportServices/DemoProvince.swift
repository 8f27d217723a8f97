public import FieldReportStore
public import FieldReportWorkflow

/// The demo province (Hà Tĩnh, from the source's training deck): the IOC, two departments,
/// Xã Đồng Lộc and Phường Trần Phú, the people the source names (Lê Văn Đường, Lê Đại Thắng,
/// Đinh Trường Toàn) and enough others to run every step, with approved roles; a platform
/// service account; the categories; transfer groups. The one source of this data for
/// `fieldreport-server --demo`, the tests and the CLI's `demo`.
///
/// Loading is idempotent: what exists (by id or username) is left alone, so passwords set at
/// the first load stay, and the platform's API key is only issued (and returned) once.
public enum DemoProvince {
  // MARK: Units

  /// Trung tâm IOC tỉnh Hà Tĩnh.
  public static let ioc = UnitID("IOC")
  /// Sở Khoa học và Công nghệ (the department of the source's second worked example).
  public static let scienceDepartment = UnitID("SO-KHCN")
  /// Sở Tài nguyên và Môi trường.
  public static let environmentDepartment = UnitID("SO-TNMT")
  /// UBND Xã Đồng Lộc (the commune of the source's first worked example).
  public static let dongLoc = UnitID("UBND-DONGLOC")
  /// UBND Phường Trần Phú.
  public static let tranPhu = UnitID("UBND-TRANPHU")

  /// Every unit, the IOC first.
  public static let units: [FieldReportWorkflow.Unit] = [
    Unit(id: ioc, name: "Trung tâm IOC tỉnh Hà Tĩnh", kind: .ioc),
    Unit(id: scienceDepartment, name: "Sở Khoa học và Công nghệ", kind: .department),
    Unit(id: environmentDepartment, name: "Sở Tài nguyên và Môi trường", kind: .department),
    Unit(id: dongLoc, name: "UBND Xã Đồng Lộc", kind: .communeWard),
    Unit(id: tranPhu, name: "UBND Phường Trần Phú", kind: .communeWard),
  ]

  // MARK: People

  /// A demo account and its approved roles.
  public struct Person: Sendable, Hashable {
    /// The fixed user id.
    public let id: UserID
    /// The login name.
    public let username: String
    /// The full name.
    public let fullName: String
    /// The account kind.
    public let kind: User.Kind
    /// Approved roles: unit, role, position title.
    public let roles: [Role]

    /// One approved role.
    public struct Role: Sendable, Hashable {
      /// The unit.
      public let unit: UnitID
      /// The role.
      public let role: RoleGrant.Role
      /// The position title.
      public let position: String
    }

    init(_ id: String, _ username: String, _ fullName: String, _ kind: User.Kind = .staff, _ roles: [Role]) {
      self.id = UserID(id)
      self.username = username
      self.fullName = fullName
      self.kind = kind
      self.roles = roles
    }
  }

  private static func role(_ unit: UnitID, _ role: RoleGrant.Role, _ position: String) -> Person.Role {
    Person.Role(unit: unit, role: role, position: position)
  }

  /// Lê Văn Đường, leader (Chủ tịch) of UBND Xã Đồng Lộc (source §3).
  public static let duong = Person("u-duong", "duong.lv", "Lê Văn Đường", .staff, [role(dongLoc, .leader, "Chủ tịch")])
  /// Lê Đại Thắng, officer at UBND Xã Đồng Lộc, the main handler in the source.
  public static let thang = Person("u-thang", "thang.ld", "Lê Đại Thắng", .staff, [role(dongLoc, .officer, "Công chức")])
  /// Phan Thị Lan, unit admin of UBND Xã Đồng Lộc.
  public static let lan = Person("u-lan", "lan.pt", "Phan Thị Lan", .staff, [role(dongLoc, .unitAdmin, "Văn phòng")])
  /// Đinh Trường Toàn, officer at Sở Khoa học và Công nghệ (source's second example).
  public static let toan = Person("u-toan", "toan.dt", "Đinh Trường Toàn", .staff, [role(scienceDepartment, .officer, "Chuyên viên")])
  /// Nguyễn Thị Hà, leader (Phó Giám đốc) of Sở Khoa học và Công nghệ.
  public static let ha = Person("u-ha", "ha.nt", "Nguyễn Thị Hà", .staff, [role(scienceDepartment, .leader, "Phó Giám đốc")])
  /// Bùi Quang Huy, leader of Sở Tài nguyên và Môi trường.
  public static let huy = Person("u-huy", "huy.bq", "Bùi Quang Huy", .staff, [role(environmentDepartment, .leader, "Phó Giám đốc")])
  /// Hoàng Văn Nam, leader (Chủ tịch) of UBND Phường Trần Phú.
  public static let nam = Person("u-nam", "nam.hv", "Hoàng Văn Nam", .staff, [role(tranPhu, .leader, "Chủ tịch")])
  /// Võ Thị Mai, officer at UBND Phường Trần Phú.
  public static let mai = Person("u-mai", "mai.vt", "Võ Thị Mai", .staff, [role(tranPhu, .officer, "Công chức")])
  /// Trần Minh Quân, IOC operator.
  public static let quan = Person("u-quan", "quan.tm", "Trần Minh Quân", .staff, [role(ioc, .iocOperator, "Chuyên viên IOC")])
  /// Nguyễn Văn An, a citizen with an account.
  public static let citizen = Person("u-an", "an.nv", "Nguyễn Văn An", .citizen, [])
  /// The digital-government platform's service account (API key only).
  public static let platform = Person("u-platform", "platform", "Nền tảng Chính quyền số Hà Tĩnh", .serviceAccount, [])

  /// Every person, staff first.
  public static let people: [Person] = [duong, thang, lan, toan, ha, huy, nam, mai, quan, citizen, platform]

  // MARK: Categories and groups

  /// The report categories (Chuyên mục).
  public static let categories: [FieldReportWorkflow.Category] = [
    Category(id: "MOI-TRUONG", name: "Môi trường"),
    Category(id: "TRAT-TU-DO-THI", name: "Trật tự đô thị"),
    Category(id: "TRAT-TU-CONG-CONG", name: "Trật tự công cộng"),
    Category(id: "GIAO-THONG", name: "Giao thông"),
    Category(id: "AN-TOAN-THIEN-TAI", name: "Phòng chống thiên tai"),
  ]

  /// Transfer groups (Nhóm chuyển).
  public static let groups: [TransferGroup] = [
    TransferGroup(id: "tg-khcn", unitID: scienceDepartment, name: "Nhóm chuyển", memberIDs: [toan.id, ha.id]),
    TransferGroup(id: "tg-pctt-dongloc", unitID: dongLoc, name: "Ban chỉ huy PCTT", memberIDs: [duong.id, thang.id]),
  ]

  // MARK: Loading

  /// What a load created.
  public struct LoadResult: Sendable {
    /// Whether anything was created (false: the province was already loaded).
    public var createdAnything: Bool
    /// The platform's API key, when this load created the platform account; shown once.
    public var platformAPIKey: String?
  }

  /// Loads the demo province into `store`, creating only what is missing.
  /// - Parameters:
  ///   - store: The store.
  ///   - password: The password of every demo person created by this load.
  ///   - hashing: How to derive the stored password keys.
  ///   - now: The time grants are approved at.
  /// - Throws: ``FieldReportStore/StoreError``.
  public static func load(
    into store: any FieldReportStore, password: String, hashing: PasswordHashing, now: Timestamp
  ) async throws -> LoadResult {
    var result = LoadResult(createdAnything: false, platformAPIKey: nil)
    let existingUnits = Set(try await store.units().map(\.id))
    for unit in units where !existingUnits.contains(unit.id) {
      try await store.createUnit(unit)
      result.createdAnything = true
    }
    let existingCategories = Set(try await store.categories().map(\.id))
    for category in categories where !existingCategories.contains(category.id) {
      try await store.createCategory(category)
      result.createdAnything = true
    }
    for person in people where try await store.findUser(id: person.id) == nil {
      let user = User(id: person.id, fullName: person.fullName, kind: person.kind, homeUnitID: person.roles.first?.unit)
      // A salt of their own for each person, like any other account: equal hashes would
      // reveal that the demo people share a password.
      let credentials = person.kind == .serviceAccount ? nil : try hashing.credentials(for: password)
      try await store.createUser(UserAccount(user: user, username: person.username, credentials: credentials))
      for (index, role) in person.roles.enumerated() {
        try await store.createRoleGrant(
          RoleGrant(
            id: RoleGrantID("g-\(person.username)-\(index)"), userID: person.id, unitID: role.unit, role: role.role,
            position: role.position, status: .approved, requestedAt: now, decidedAt: now,
            decisionNote: "demo province"))
      }
      if person.kind == .serviceAccount {
        let key = Secrets.apiKey()
        try await store.createAPIKey(key, userID: person.id, label: "demo platform", expiresAt: nil, at: now)
        result.platformAPIKey = key
      }
      result.createdAnything = true
    }
    for group in groups where try await store.findTransferGroup(id: group.id) == nil {
      try await store.createTransferGroup(group)
      result.createdAnything = true
    }
    return result
  }
}
