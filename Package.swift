// swift-tools-version:6.1
// The fieldreport package: layers, each its own module, arrows one way:
//   executables → services → {workflow, store, RPC runtime} → wire bridge → C.
import PackageDescription

let package = Package(
  name: "fieldreport",
  platforms: [.macOS(.v15)],
  products: [
    // MARK: WireBridge products
    .library(name: "WireBridge", targets: ["WireBridge"]),
    .executable(name: "wire-selfcheck", targets: ["WireSelfCheck"]),
    // MARK: FieldReportWorkflow
    .library(name: "FieldReportWorkflow", targets: ["FieldReportWorkflow"]),
  ],
  dependencies: [],
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

    // MARK: WireBridge (generated wire code; the only module touching protobuf-c pointers)
    .target(
      name: "CFieldReportWire",
      dependencies: ["CProtobufC"]
    ),
    .target(
      name: "WireBridge",
      dependencies: ["CFieldReportWire", "CProtobufC"]
    ),
    .target(
      name: "WireFixtures",
      dependencies: ["WireBridge"]
    ),
    .executableTarget(
      name: "WireSelfCheck",
      dependencies: ["WireBridge", "WireFixtures"]
    ),
    .testTarget(
      name: "WireBridgeTests",
      dependencies: ["WireBridge", "WireFixtures"]
    ),
    // MARK: FieldReportWorkflow (pure: Foundation only, no I/O, no C, no NIO)
    .target(name: "FieldReportWorkflow"),
    .testTarget(name: "FieldReportWorkflowTests", dependencies: ["FieldReportWorkflow"]),
  ],
  swiftLanguageModes: [.v6]
)
