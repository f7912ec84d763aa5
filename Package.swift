// swift-tools-version:6.2
import PackageDescription

let hummingbird = Target.Dependency.product(name: "Hummingbird", package: "hummingbird")
let hummingbirdTesting = Target.Dependency.product(name: "HummingbirdTesting", package: "hummingbird")
let metrics = Target.Dependency.product(name: "Metrics", package: "swift-metrics")
let logging = Target.Dependency.product(name: "Logging", package: "swift-log")

let package = Package(
    name: "switchyard",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "switchyard", targets: ["switchyard"])
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-configuration", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-system", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
    ],
    targets: [
        // C libraries, each exposed through one shim header.
        .systemLibrary(
            name: "CLibPQ", path: "Modules/CLibPQ", pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]),
        .systemLibrary(
            name: "CHiredis", path: "Modules/CHiredis", pkgConfig: "hiredis",
            providers: [.apt(["libhiredis-dev"])]),
        .systemLibrary(
            name: "CCurl", path: "Modules/CCurl", pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]),

        // Shared infrastructure adapters.
        .target(
            name: "Postgres",
            dependencies: [
                "CLibPQ", "SwitchyardCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Modules/Postgres"),
        .target(
            name: "Redis",
            dependencies: [
                "CHiredis", "SwitchyardCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Modules/Redis"),

        .target(
            name: "HTTPClient",
            dependencies: ["CCurl", "SwitchyardCore", .product(name: "NIOCore", package: "swift-nio")],
            path: "Modules/HTTPClient"),

        // Building blocks with no I/O: the clock and randomness features are given, timestamps
        // as the API writes them, a FIFO semaphore, one shared run of the same work.
        .target(
            name: "SwitchyardCore",
            dependencies: [.product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio")],
            path: "Modules/SwitchyardCore",
            // Its generic helpers (`CoalescedCalls`) specialized where a feature uses them: the
            // generic versions look up type metadata at run time on every call.
            swiftSettings: [.unsafeFlags(["-cross-module-optimization"])]),
        // The JSON value, its parser and writer.
        .target(name: "SwitchyardJSON", path: "Modules/SwitchyardJSON"),

        // The plug-in contract every feature builds on.
        .target(
            name: "FeatureKit",
            dependencies: [
                "Postgres", "Redis", "HTTPClient", "SwitchyardCore", "SwitchyardJSON",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Modules/FeatureKit"),

        // Features: one target each, on FeatureKit and the adapters they use; never on each other.
        .target(
            name: "PathStats",
            dependencies: ["FeatureKit", "Redis", "HTTPClient", "SwitchyardCore", "SwitchyardJSON", hummingbird, metrics],
            path: "Modules/PathStats"),
        .target(
            name: "AreaMode",
            dependencies: [
                "FeatureKit", "Postgres", "Redis", "SwitchyardCore", "SwitchyardJSON", hummingbird, metrics, logging,
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Modules/AreaMode"),
        .target(
            name: "UserPoints",
            dependencies: [
                "FeatureKit", "Postgres", "Redis", "SwitchyardCore", "SwitchyardJSON", hummingbird, metrics, logging,
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Modules/UserPoints"),
        .target(
            name: "AchievementLevel",
            dependencies: ["FeatureKit", "Redis", "HTTPClient", "SwitchyardCore", "SwitchyardJSON", hummingbird, metrics, logging],
            path: "Modules/AchievementLevel"),
        .target(
            name: "ProductsOrders",
            dependencies: ["FeatureKit", "Postgres", "Redis", "SwitchyardCore", "SwitchyardJSON", hummingbird, metrics, logging],
            path: "Modules/ProductsOrders"),
        // The upstream users API that achievement-level calls, served by `switchyard users-api-stub`:
        // JSON and Hummingbird only, none of the C libraries.
        .target(
            name: "UsersAPIStub", dependencies: ["SwitchyardCore", "SwitchyardJSON", hummingbird],
            path: "Modules/UsersAPIStub"),

        // The composition root: configuration, feature host, operational routes, lifecycle.
        .target(
            name: "SwitchyardHost",
            dependencies: [
                "FeatureKit", "Postgres", "Redis", "HTTPClient", "SwitchyardCore", "SwitchyardJSON", hummingbird, metrics, logging,
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
            ],
            path: "App/SwitchyardHost"),
        // The list of features this binary hosts; the only place that names them all.
        .target(
            name: "KnownFeatures", dependencies: ["FeatureKit", "PathStats", "AreaMode", "UserPoints", "AchievementLevel", "ProductsOrders"],
            path: "App/KnownFeatures"),
        .executableTarget(
            name: "switchyard",
            dependencies: [
                "SwitchyardHost", "KnownFeatures", "UsersAPIStub", "FeatureKit", hummingbird, logging,
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "App/switchyard"),
        // Load probes for scripts/bench (not shipped).
        .executableTarget(
            name: "switchyard-bench",
            dependencies: [
                "Redis", "Postgres", "HTTPClient", hummingbird, .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "App/switchyard-bench"),

        // Shared by the unit test targets: route tests over in-memory stores, raw sockets.
        .target(
            name: "FeatureTesting",
            dependencies: [
                "FeatureKit", "SwitchyardCore", "SwitchyardJSON", hummingbird, hummingbirdTesting, .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Tests/Support/FeatureTesting"),
        .testTarget(name: "PostgresTests", dependencies: ["Postgres", "SwitchyardCore"], path: "Tests/PostgresTests"),
        .testTarget(name: "RedisTests", dependencies: ["Redis", .product(name: "NIOCore", package: "swift-nio")], path: "Tests/RedisTests"),
        .testTarget(
            name: "FeatureKitTests",
            dependencies: [
                "FeatureKit", "FeatureTesting", "SwitchyardCore", "SwitchyardJSON", hummingbird, hummingbirdTesting,
                .product(name: "HTTPTypes", package: "swift-http-types"), .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Tests/FeatureKitTests"),
        .testTarget(
            name: "SwitchyardHostTests",
            dependencies: [
                "SwitchyardHost", "FeatureKit", "FeatureTesting", "KnownFeatures", "Postgres", "Redis", "HTTPClient", "SwitchyardCore",
                "SwitchyardJSON", hummingbird, hummingbirdTesting, metrics, logging, .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"), .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
            ],
            path: "Tests/SwitchyardHostTests"),
        .testTarget(
            name: "PathStatsTests",
            dependencies: [
                "PathStats", "FeatureKit", "FeatureTesting", "HTTPClient", "SwitchyardCore", "SwitchyardJSON", hummingbird,
                hummingbirdTesting, metrics,
            ],
            path: "Tests/PathStatsTests"),
        .testTarget(
            name: "AreaModeTests",
            dependencies: ["AreaMode", "FeatureKit", "FeatureTesting", "SwitchyardCore", "SwitchyardJSON", hummingbird, hummingbirdTesting, metrics],
            path: "Tests/AreaModeTests"),
        .testTarget(
            name: "UserPointsTests",
            dependencies: [
                "UserPoints", "FeatureKit", "FeatureTesting", "SwitchyardCore", "SwitchyardJSON", hummingbird, hummingbirdTesting, metrics,
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Tests/UserPointsTests"),
        .testTarget(
            name: "AchievementLevelTests",
            dependencies: [
                "AchievementLevel", "UsersAPIStub", "FeatureKit", "FeatureTesting", "HTTPClient", "SwitchyardCore", "SwitchyardJSON", hummingbird,
                hummingbirdTesting, metrics,
            ],
            path: "Tests/AchievementLevelTests"),
        .testTarget(
            name: "ProductsOrdersTests",
            dependencies: [
                "ProductsOrders", "FeatureKit", "FeatureTesting", "Postgres", "SwitchyardJSON", hummingbird, hummingbirdTesting, metrics,
                logging,
            ],
            path: "Tests/ProductsOrdersTests"),
        // Integration tests, one target per module, against live Redis, PostgreSQL, the binary
        // and the cluster; what they share (processes, ports, the environment) is a target of its own.
        .target(
            name: "IntegrationSupport",
            dependencies: [
                "SwitchyardHost", "KnownFeatures", "UsersAPIStub", "Postgres", "Redis", "HTTPClient", "SwitchyardJSON", hummingbird,
                hummingbirdTesting, .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "IntegrationTests/Support/IntegrationSupport"),
        .testTarget(
            name: "PostgresIntegrationTests", dependencies: ["IntegrationSupport", "Postgres"],
            path: "IntegrationTests/PostgresIntegrationTests"),
        .testTarget(
            name: "RedisIntegrationTests",
            dependencies: ["IntegrationSupport", "Redis", .product(name: "NIOCore", package: "swift-nio")],
            path: "IntegrationTests/RedisIntegrationTests"),
        .testTarget(
            name: "HTTPClientIntegrationTests", dependencies: ["IntegrationSupport", "HTTPClient", hummingbird, hummingbirdTesting],
            path: "IntegrationTests/HTTPClientIntegrationTests"),
        .testTarget(
            name: "PathStatsIntegrationTests",
            dependencies: [
                "IntegrationSupport", "PathStats", "FeatureKit", "Redis", "SwitchyardHost", "SwitchyardJSON", hummingbird, hummingbirdTesting,
            ],
            path: "IntegrationTests/PathStatsIntegrationTests"),
        .testTarget(
            name: "AreaModeIntegrationTests",
            dependencies: [
                "IntegrationSupport", "AreaMode", "FeatureKit", "Postgres", "Redis", "SwitchyardCore", "SwitchyardHost", "SwitchyardJSON",
                hummingbird, hummingbirdTesting,
            ],
            path: "IntegrationTests/AreaModeIntegrationTests"),
        .testTarget(
            name: "UserPointsIntegrationTests",
            dependencies: [
                "IntegrationSupport", "UserPoints", "FeatureKit", "Postgres", "Redis", "SwitchyardCore", "SwitchyardHost", "SwitchyardJSON",
                hummingbird, hummingbirdTesting, .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "IntegrationTests/UserPointsIntegrationTests"),
        .testTarget(
            name: "AchievementLevelIntegrationTests",
            dependencies: [
                "IntegrationSupport", "AchievementLevel", "FeatureKit", "SwitchyardHost", "SwitchyardJSON", "UsersAPIStub", hummingbird,
                hummingbirdTesting,
            ],
            path: "IntegrationTests/AchievementLevelIntegrationTests"),
        .testTarget(
            name: "ProductsOrdersIntegrationTests",
            dependencies: [
                "IntegrationSupport", "ProductsOrders", "FeatureKit", "Postgres", "Redis", "SwitchyardHost", "SwitchyardJSON", hummingbird,
                hummingbirdTesting,
            ],
            path: "IntegrationTests/ProductsOrdersIntegrationTests"),
        .testTarget(
            name: "SwitchyardHostIntegrationTests",
            dependencies: [
                "IntegrationSupport", "SwitchyardHost", "KnownFeatures", "FeatureKit", "Postgres", "Redis", "HTTPClient", "SwitchyardJSON",
                "UsersAPIStub", hummingbird, hummingbirdTesting, .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "IntegrationTests/SwitchyardHostIntegrationTests"),
    ]
)

// A nonisolated async function runs on its caller's executor: every request already runs on
// its connection's event loop, and each hop to the generic executor looked up the task's
// executor preference under a lock (about 27 a request). The code holds no actors, so nothing
// runs anywhere else than before; what must move to another executor says so (`@concurrent`:
// `offTheEventLoops`), and Hummingbird's middleware protocol declares its functions that way.
for target in package.targets where target.type != .system {
    target.swiftSettings = (target.swiftSettings ?? []) + [.enableUpcomingFeature("NonisolatedNonsendingByDefault")]
}
