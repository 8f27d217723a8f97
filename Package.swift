// swift-tools-version:6.1
// The fieldreport package: layers, each its own module, arrows one way:
//   executables → services → {workflow, store, RPC runtime} → wire bridge → C.
import PackageDescription

let package = Package(
  name: "fieldreport",
  platforms: [.macOS(.v15)],
  products: [],
  dependencies: [
    // MARK: store
    .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
  ],
  targets: [
    // MARK: C libraries (only WireBridge imports CProtobufC; only FieldReportStore imports CSQLite)
    .systemLibrary(
      name: "CProtobufC",
      pkgConfig: "libprotobuf-c",
      providers: [.apt(["libprotobuf-c-dev"])]
    ),
    .systemLibrary(
      name: "CSQLite",
      pkgConfig: "sqlite3",
      providers: [.apt(["libsqlite3-dev"])]
    ),

    // MARK: store
    .target(
      name: "FieldReportStore",
      dependencies: [
        "CSQLite",
        .product(name: "Crypto", package: "swift-crypto"),
      ]
    ),
    .executableTarget(
      name: "fieldreport-store-bench",
      dependencies: ["FieldReportStore"],
      path: "Sources/StoreBenchmark"
    ),
    .executableTarget(
      name: "fieldreport-store-crashhelper",
      dependencies: ["FieldReportStore"],
      path: "Sources/StoreCrashHelper"
    ),
    .testTarget(
      name: "FieldReportStoreTests",
      dependencies: ["FieldReportStore"]
    ),
  ],
  swiftLanguageModes: [.v6]
)
