import FieldReportWorkflow

/// The people and units of the source document, with approved roles, as a ``Directory``.
enum Demo {
  static let ioc: UnitID = "ioc-ha-tinh"
  static let dongLoc: UnitID = "ubnd-xa-dong-loc"
  static let khcn: UnitID = "so-khcn"
  static let tranPhu: UnitID = "ubnd-phuong-tran-phu"

  static let iocOperator: UserID = "ioc-operator"
  /// Lê Văn Đường, leader of UBND Xã Đồng Lộc.
  static let duong: UserID = "le-van-duong"
  /// Lê Đại Thắng, officer of UBND Xã Đồng Lộc.
  static let thang: UserID = "le-dai-thang"
  static let coordinator: UserID = "nguyen-van-phoi"
  static let follower: UserID = "hoang-thi-theo"
  /// Đinh Trường Toàn, officer of Sở Khoa học và Công nghệ.
  static let toan: UserID = "dinh-truong-toan"
  static let khcnLeader: UserID = "tran-van-binh"
  static let tranPhuLeader: UserID = "pham-minh-hai"
  static let dongLocAdmin: UserID = "admin-dong-loc"
  static let sysAdmin: UserID = "sysadmin"
  static let citizen: UserID = "citizen-1"
  static let platform: UserID = "platform"
  static let disabled: UserID = "disabled-officer"

  static let environment: CategoryID = "moi-truong"
  static let urbanOrder: CategoryID = "trat-tu-do-thi"
  static let publicOrder: CategoryID = "trat-tu-cong-cong"

  static let units = [
    Unit(id: ioc, name: "Trung tâm IOC tỉnh Hà Tĩnh", kind: .ioc),
    Unit(id: dongLoc, name: "UBND Xã Đồng Lộc", kind: .communeWard, parentID: ioc),
    Unit(id: khcn, name: "Sở Khoa học và Công nghệ", kind: .department),
    Unit(id: tranPhu, name: "UBND Phường Trần Phú", kind: .communeWard),
  ]

  static let users = [
    User(id: iocOperator, fullName: "Nguyễn Thị Điều Phối", kind: .staff, homeUnitID: ioc),
    User(id: duong, fullName: "Lê Văn Đường", kind: .staff, homeUnitID: dongLoc),
    User(id: thang, fullName: "Lê Đại Thắng", kind: .staff, homeUnitID: dongLoc),
    User(id: coordinator, fullName: "Nguyễn Văn Phối", kind: .staff, homeUnitID: dongLoc),
    User(id: follower, fullName: "Hoàng Thị Theo", kind: .staff, homeUnitID: dongLoc),
    User(id: toan, fullName: "Đinh Trường Toàn", kind: .staff, homeUnitID: khcn),
    User(id: khcnLeader, fullName: "Trần Văn Bình", kind: .staff, homeUnitID: khcn),
    User(id: tranPhuLeader, fullName: "Phạm Minh Hải", kind: .staff, homeUnitID: tranPhu),
    User(id: dongLocAdmin, fullName: "Võ Quản Trị", kind: .staff, homeUnitID: dongLoc),
    User(id: sysAdmin, fullName: "Quản trị hệ thống", kind: .staff, homeUnitID: ioc),
    User(id: citizen, fullName: "Trần Thị Dân", kind: .citizen),
    User(id: platform, fullName: "Nền tảng chính quyền số", kind: .serviceAccount),
    User(id: disabled, fullName: "Cán bộ Nghỉ", kind: .staff, homeUnitID: dongLoc, isActive: false),
  ]

  static func approved(_ user: UserID, _ role: RoleGrant.Role, _ unit: UnitID) -> RoleGrant {
    RoleGrant(
      id: RoleGrantID("\(user)@\(unit):\(role.rawValue)"), userID: user, unitID: unit, role: role,
      status: .approved, requestedAt: Timestamp(millisecondsSince1970: 0))
  }

  static let grants = [
    approved(iocOperator, .iocOperator, ioc),
    approved(duong, .leader, dongLoc),
    approved(thang, .officer, dongLoc),
    approved(coordinator, .officer, dongLoc),
    approved(follower, .officer, dongLoc),
    approved(toan, .officer, khcn),
    approved(khcnLeader, .leader, khcn),
    approved(tranPhuLeader, .leader, tranPhu),
    approved(dongLocAdmin, .unitAdmin, dongLoc),
    approved(sysAdmin, .systemAdmin, ioc),
    approved(disabled, .officer, dongLoc),
  ]

  static let stormGroup = TransferGroup(
    id: "nhom-mua-bao", unitID: khcn, name: "Nhóm mùa mưa bão", memberIDs: [toan, khcnLeader])

  static let directory = Directory(
    units: units, users: users, grants: grants, groups: [stormGroup],
    categories: [
      Category(id: environment, name: "Môi trường"),
      Category(id: urbanOrder, name: "Trật tự đô thị"),
      Category(id: publicOrder, name: "Trật tự công cộng"),
      Category(id: "cu", name: "Chuyên mục cũ", isActive: false),
    ])

  static func actor(_ user: UserID) -> Actor {
    guard let actor = directory.actor(user) else {
      return Actor(user: User(id: user, fullName: "?", kind: .staff), grants: [])
    }
    return actor
  }

  /// An instant on a local (UTC+7) day of 2026.
  static func at(_ day: Int, _ month: Int, _ hour: Int = 9, _ minute: Int = 0) -> Timestamp {
    let start = LocalDay(year: 2026, month: month, day: day)?.start
      ?? Timestamp(millisecondsSince1970: 0)
    return start.adding(
      milliseconds: Int64(hour) * Timestamp.millisecondsPerHour + Int64(minute)
        * Timestamp.millisecondsPerMinute)
  }

  static let photo = AttachmentRef(
    sha256Hex: String(repeating: "ab", count: 32), size: 123_456, name: "hien-truong.jpg",
    mimeType: "image/jpeg")
}
