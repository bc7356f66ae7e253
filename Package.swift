// swift-tools-version: 6.2
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "taskr",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "taskr", targets: ["taskr"])
    ],
    // Exact versions: every build uses the reviewed release (Package.resolved
    // stays out of git: the local mirror's commit ids are not upstream's).
    // Moving one is a deliberate change, with its release notes read.
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
        .package(url: "https://github.com/apple/swift-configuration", exact: "1.4.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", exact: "2.1.1"),
        .package(url: "https://github.com/apple/swift-metrics", exact: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", exact: "2.4.1"),
    ],
    targets: [
        // The C boundary: libfcgi from Debian's libfcgi-dev.
        .systemLibrary(
            name: "CFastCGI",
            pkgConfig: "fcgi",
            providers: [.apt(["libfcgi-dev"])]
        ),
        // The C boundary: libsodium from Debian's libsodium-dev.
        .systemLibrary(
            name: "CSodium",
            pkgConfig: "libsodium",
            providers: [.apt(["libsodium-dev"])]
        ),
        // The C boundary: libcurl from Debian's libcurl4-openssl-dev.
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        // The C boundary: SQLite from Debian's libsqlite3-dev.
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        // The C boundary: libpq from Debian's libpq-dev.
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        .target(
            name: "SQLite",
            dependencies: ["CSQLite"],
            swiftSettings: swiftSettings
        ),
        // One value per thread, owned (the database connections, the log clock).
        .target(
            name: "ThreadLocal",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Postgres",
            dependencies: ["CLibPQ"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Curl",
            dependencies: ["CCurl", "HTTP"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Sodium",
            dependencies: ["CSodium"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "HTTP",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "FastCGI",
            dependencies: [
                "CFastCGI",
                "HTTP",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TaskrCore",
            dependencies: [
                "HTTP",
                "Postgres",
                "SQLite",
                "Sodium",
                "ThreadLocal",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            resources: [.copy("Templates"), .copy("CommonPasswords")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "taskr",
            dependencies: [
                "Curl",
                "FastCGI",
                "HTTP",
                "Sodium",
                "TaskrCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // What an outbound HTTP client keeps per request, libcurl against
        // URLSession (bench/http_memory.sh; not part of the product).
        .executableTarget(
            name: "http-memory-probe",
            dependencies: ["Curl", "HTTP"],
            swiftSettings: swiftSettings
        ),

        // Fuzzing: libFuzzer drives these entry points (`make fuzz` builds
        // taskr-fuzz with -sanitize=fuzzer), FuzzRegressionTests replays the
        // corpus through them. They reach internals with @testable, so they
        // build in debug only; `make build` builds the taskr product alone.
        // libFuzzer's driver entry point (clang's runtime; header only).
        .systemLibrary(name: "CLibFuzzer"),
        .target(
            name: "TaskrFuzzing",
            dependencies: [
                "FastCGI",
                "HTTP",
                "Sodium",
                "TaskrCore",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "taskr-fuzz",
            dependencies: ["CLibFuzzer", "TaskrFuzzing"],
            swiftSettings: swiftSettings
        ),

        // Tests
        // What several test targets share: temporary folders, waiting on a
        // condition, a loopback HTTP server.
        .target(
            name: "TestSupport",
            path: "Tests/TestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HTTPTests",
            dependencies: ["HTTP"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CurlTests",
            dependencies: ["Curl", "HTTP", "TestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SQLiteTests",
            dependencies: ["SQLite", "TestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ThreadLocalTests",
            dependencies: ["ThreadLocal"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SodiumTests",
            dependencies: ["Sodium"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TaskrCoreTests",
            dependencies: ["TaskrCore", "HTTP", "Postgres", "SQLite", "TestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FuzzRegressionTests",
            dependencies: ["CLibFuzzer", "TaskrFuzzing"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FastCGITests",
            dependencies: ["FastCGI", "HTTP", "TestSupport"],
            swiftSettings: swiftSettings
        ),
    ]
)
