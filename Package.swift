// swift-tools-version:6.1
// The fieldreport package: layers, each its own module, arrows one way:
//   executables → services → {workflow, store, RPC runtime} → wire bridge → C.
import PackageDescription

let package = Package(
  name: "fieldreport",
  platforms: [.macOS(.v15)],
  products: [
    // MARK: FieldReportWorkflow
    .library(name: "FieldReportWorkflow", targets: ["FieldReportWorkflow"]),
    // MARK: store
    .library(name: "FieldReportStore", targets: ["FieldReportStore"]),
  ],
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
    // MARK: FieldReportWorkflow (pure: Foundation only, no I/O, no C, no NIO)
    .target(name: "FieldReportWorkflow"),
    .testTarget(name: "FieldReportWorkflowTests", dependencies: ["FieldReportWorkflow"]),

    // MARK: store
    .target(
      name: "FieldReportStore",
      dependencies: [
        "FieldReportWorkflow",
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
      dependencies: ["FieldReportStore", "FieldReportWorkflow"]
    ),
  ],
  swiftLanguageModes: [.v6]
)
