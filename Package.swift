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
    .library(name: "FieldReportAPI", targets: ["FieldReportAPI"]),
    // MARK: RPC runtime products
    .library(name: "RPCCore", targets: ["RPCCore"]),
    .library(name: "RPCNIO", targets: ["RPCNIO"]),
    .executable(name: "rpc-bench", targets: ["rpc-bench"]),
    // MARK: store products
    .library(name: "FieldReportStore", targets: ["FieldReportStore"]),
    // MARK: services products
    .library(name: "FieldReportServices", targets: ["FieldReportServices"]),
    .executable(name: "fieldreport-server", targets: ["FieldReportServer"]),
    // MARK: FieldReportClient and the fieldreport CLI products
    .library(name: "FieldReportClient", targets: ["FieldReportClient"]),
    .executable(name: "fieldreport", targets: ["FieldReportCLI"]),
    // MARK: FieldReportLoadGen products
    .executable(name: "fieldreport-loadgen", targets: ["FieldReportLoadGen"]),
  ],
  dependencies: [
    // MARK: RPC runtime dependencies
    .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
    .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
    .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
    // MARK: store dependencies
    .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    // The PostgreSQL back end (FieldReportPostgresStore, the only module importing PostgresNIO).
    .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    // MARK: services dependencies (fieldreport-server)
    // (swift-argument-parser is also used by the fieldreport CLI and fieldreport-loadgen)
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    // The Prometheus back end of swift-metrics, bootstrapped only by fieldreport-server.
    .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    // MARK: FieldReportClient and the fieldreport CLI dependencies (swift-argument-parser, above)
  ],
  targets: [
    // MARK: C libraries (only WireBridge imports CProtobufC; only FieldReportStore and its C
    // VFS, CSQLiteVFS, use CSQLite)
    .systemLibrary(
      name: "CProtobufC",
      pkgConfig: "libprotobuf-c",
      providers: [.apt(["libprotobuf-c-dev"])]
    ),
    // mimalloc: the server's memory allocator (only FieldReportServer imports it).
    .systemLibrary(
      name: "CMimalloc",
      providers: [.apt(["libmimalloc-dev"])]
    ),
    .systemLibrary(
      name: "CSQLite",
      pkgConfig: "sqlite3",
      providers: [.apt(["libsqlite3-dev"])]
    ),

    // The write-coalescing SQLite VFS the store's writer opens its file through (C: it fills
    // SQLite's VFS method tables). Only FieldReportStore imports it.
    .target(
      name: "CSQLiteVFS",
      dependencies: ["CSQLite"]
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
      dependencies: ["WireBridge", "WireFixtures", "TestSupport"]
    ),
    // What every test target shares (spawning child processes one at a time; the journal
    // file read and its hash chain recomputed independently of the store).
    .target(
      name: "TestSupport",
      dependencies: [.product(name: "Crypto", package: "swift-crypto")],
      path: "Tests/TestSupport"
    ),
    // MARK: FieldReportAPI (generated handler protocols and typed clients of fieldreport.v1)
    .target(
      name: "FieldReportAPI",
      dependencies: ["RPCCore", "WireBridge"]
    ),

    // MARK: FieldReportWorkflow (pure: no I/O, no C, no NIO)
    .target(name: "FieldReportWorkflow"),
    .testTarget(name: "FieldReportWorkflowTests", dependencies: ["FieldReportWorkflow"]),

    // MARK: RPC runtime (RPCCore, RPCNIO, RPCTests, rpc-bench)
    .target(
      name: "RPCCore",
      dependencies: [
        "WireBridge",
        .product(name: "Logging", package: "swift-log"),
        .product(name: "Metrics", package: "swift-metrics"),
      ]
    ),
    .target(
      name: "RPCNIO",
      dependencies: [
        "RPCCore",
        "WireBridge",
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "NIOSSL", package: "swift-nio-ssl"),
        .product(name: "NIOTLS", package: "swift-nio"),
        .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "Logging", package: "swift-log"),
      ]
    ),
    // MARK: fuzzing (the targets' bodies; the libFuzzer executables are added below)
    .target(
      name: "FuzzHarness",
      dependencies: [
        "RPCCore",
        "RPCNIO",
        "WireBridge",
        "WireFixtures",
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOEmbedded", package: "swift-nio"),
        .product(name: "Logging", package: "swift-log"),
      ],
      path: "Tests/Fuzz/FuzzHarness"
    ),
    .testTarget(
      name: "RPCTests",
      dependencies: [
        "FuzzHarness",
        "RPCCore",
        "RPCNIO",
        "WireBridge",
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "NIOEmbedded", package: "swift-nio"),
        .product(name: "NIOTestUtils", package: "swift-nio"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "Metrics", package: "swift-metrics"),
        .product(name: "MetricsTestKit", package: "swift-metrics"),
      ]
    ),
    .target(name: "CRPCBenchmarkAllocations", path: "Sources/CRPCBenchmarkAllocations"),
    .executableTarget(
      name: "rpc-bench",
      dependencies: [
        "RPCCore",
        "RPCNIO",
        "WireBridge",
        "CRPCBenchmarkAllocations",
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "Histogram", package: "hdrhistogram-swift"),
      ],
      path: "Sources/RPCBenchmark"
    ),

    // MARK: store
    .target(
      name: "FieldReportStore",
      dependencies: [
        "FieldReportWorkflow",
        "CSQLite",
        "CSQLiteVFS",
        .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "Metrics", package: "swift-metrics"),
      ]
    ),
    // The PostgreSQL implementation of FieldReportStore: several server replicas on one database.
    .target(
      name: "FieldReportPostgresStore",
      dependencies: [
        "FieldReportStore",
        "FieldReportWorkflow",
        .product(name: "PostgresNIO", package: "postgres-nio"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOSSL", package: "swift-nio-ssl"),
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
    // Store tests' and service tests' engines: a temporary SQLite file or a database of a
    // throwaway PostgreSQL cluster (TestSupport's PostgresTestCluster).
    .target(
      name: "StoreTestSupport",
      dependencies: [
        "FieldReportStore", "FieldReportPostgresStore", "TestSupport",
        .product(name: "Logging", package: "swift-log"),
      ],
      path: "Tests/StoreTestSupport"
    ),
    .testTarget(
      name: "FieldReportStoreTests",
      dependencies: [
        "FieldReportStore", "FieldReportPostgresStore", "FieldReportWorkflow", "TestSupport", "StoreTestSupport",
      ]
    ),

    // MARK: services (FieldReportServices: RPC handlers → workflow → store; no C, no NIO)
    .target(
      name: "FieldReportServices",
      dependencies: [
        "FieldReportAPI",
        "RPCCore",
        "WireBridge",
        "FieldReportWorkflow",
        "FieldReportStore",
        .product(name: "Logging", package: "swift-log"),
        .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "_CryptoExtras", package: "swift-crypto"),
      ]
    ),
    .executableTarget(
      name: "FieldReportServer",
      dependencies: [
        "FieldReportServices",
        "FieldReportStore",
        "FieldReportPostgresStore",
        "FieldReportWorkflow",
        "RPCCore",
        "RPCNIO",
        .product(name: "Logging", package: "swift-log"),
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        .product(name: "UnixSignals", package: "swift-service-lifecycle"),
        .product(name: "Metrics", package: "swift-metrics"),
        .product(name: "Prometheus", package: "swift-prometheus"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "NIOHTTP1", package: "swift-nio"),
        // mimalloc (Debian's libmimalloc-dev) replaces glibc's malloc in the whole process:
        // the server's writes and listings allocate and free many small objects on several
        // threads, and it costs them 5-20 % less CPU (docs/PERFORMANCE.md, nineteenth
        // session). `MemoryAllocator` checks at startup that it is the one in use.
        "CMimalloc",
      ]
    ),
    .testTarget(
      name: "FieldReportServicesTests",
      dependencies: [
        "FieldReportServices",
        "FieldReportAPI",
        "RPCCore",
        "RPCNIO",
        "WireBridge",
        "FieldReportWorkflow",
        "FieldReportStore",
        "TestSupport",
        "StoreTestSupport",
        .product(name: "Logging", package: "swift-log"),
      ]
    ),
    // MARK: FieldReportClient and the fieldreport CLI
    .target(
      name: "FieldReportClient",
      dependencies: [
        "FieldReportAPI",
        "RPCCore",
        "RPCNIO",
        "WireBridge",
        .product(name: "Logging", package: "swift-log"),
      ]
    ),
    .executableTarget(
      name: "FieldReportCLI",
      dependencies: [
        "FieldReportClient",
        // The demo province's names and ids (DemoProvince) live in one place, the services module.
        "FieldReportServices",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Logging", package: "swift-log"),
      ]
    ),
    .testTarget(
      name: "FieldReportCLITests",
      dependencies: [
        "FieldReportCLI", "FieldReportClient", "TestSupport",
        // `fieldreport call`'s tests: the codec against every fixture, a server of services the
        // CLI has no command for (the RPC runtime itself).
        "WireFixtures", "RPCCore", "RPCNIO", "WireBridge",
        .product(name: "Logging", package: "swift-log"),
      ]
    ),

    // MARK: FieldReportLoadGen (fieldreport-loadgen: end-to-end load against a loopback server)
    .executableTarget(
      name: "FieldReportLoadGen",
      dependencies: [
        "FieldReportClient",
        "RPCNIO",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Histogram", package: "hdrhistogram-swift"),
      ]
    ),
  ],
  swiftLanguageModes: [.v6]
)

// libFuzzer executables, only with FIELDREPORT_FUZZ=1 (scripts/fuzz.sh builds them with
// `--sanitize=fuzzer`, which provides their `main`; a normal build could not link them).
if Context.environment["FIELDREPORT_FUZZ"] == "1" {
  for name in ["FuzzDecode", "FuzzConnection"] {
    package.targets.append(.executableTarget(name: name, dependencies: ["FuzzHarness"], path: "Tests/Fuzz/\(name)"))
    package.products.append(.executable(name: name, targets: [name]))
  }
}

// Every Swift target of ours: a nonisolated async function runs on its caller's executor
// (SE-0461, `nonisolated(nonsending)` by default) instead of hopping to the generic executor
// and back. The server and the client run their calls on the event loop (a task executor
// preference), so each such hop only re-checked that preference, under a lock: a few percent
// of every call's CPU (docs/PERFORMANCE.md, tenth session). There is no actor in the package.
for target in package.targets where target.type != .system && !["CSQLite", "CSQLiteVFS", "CProtobufC", "CFieldReportWire", "CRPCBenchmarkAllocations"].contains(target.name) {
  target.swiftSettings = (target.swiftSettings ?? []) + [.enableUpcomingFeature("NonisolatedNonsendingByDefault")]
}
