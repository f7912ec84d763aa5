import FeatureKit
import Foundation
import Hummingbird
import Postgres
import ServiceLifecycle
import SwitchyardCore

/// LOGIN/LOGOUT events in, the most played multiplayer mode per area out.
public struct AreaModeFeature: Feature {
    public static let id = "area-mode"
    public static let adminRoutes = ["POST /generate_data"]
    public static let metricDescriptions = [
        "area_mode_events_total": "Events ingested, by outcome (applied, moved, duplicate, ignored)",
        "area_mode_cache_requests_total": "Area stats reads, by whether the cached body served them",
    ]
    let service: AreaModeService
    let profile: APIProfile
    let random: RandomSource
    let maxBodySize: Int
    let adminToken: String?
    let retention: EventLogRetention

    public init(_ dependencies: FeatureDependencies) async throws {
        let settings = dependencies.settings
        profile = try settings.apiProfile()
        let cache = RedisAreaStatsCache(
            redis: dependencies.infrastructure.redis(),
            ttl: try settings.int("cache-ttl", default: 30, in: 0...86_400),
            keyPrefix: settings.string("redis-prefix") ?? "area-mode", profile: profile,
            invalidateTimeout: try settings.seconds("invalidate-timeout", default: 5, in: 0...60),
            logger: dependencies.logger)
        let postgres = dependencies.infrastructure.postgres()
        service = AreaModeService(
            store: PostgresAreaModeStore(
                postgres: postgres,
                ingestConcurrency: try settings.int(
                    "ingest-concurrency", default: ProcessInfo.processInfo.activeProcessorCount, in: 1...1_000)),
            cache: cache,
            metrics: dependencies.metrics, statsJSON: profile == .original ? \.originalJSON : \.json)
        random = dependencies.random
        maxBodySize = try settings.int("max-body-size", default: 8 << 20, in: 1024...(256 << 20))
        adminToken = dependencies.adminToken
        // Whole days of log kept past the window: a partition goes once its last row is older.
        retention = EventLogRetention(
            partitions: DailyPartitions(
                table: PostgresAreaModeStore.eventLog,
                retention: try settings.seconds("event-retention", default: 7 * 86_400, in: 3_600...(3_650 * 86_400))),
            postgres: postgres, clock: dependencies.clock,
            interval: try settings.seconds("event-maintenance-interval", default: 3_600, in: 1...86_400),
            logger: dependencies.logger)
    }

    public var migrations: [Migration] { PostgresAreaModeStore.migrations }

    /// Today's event log partition and the next days' exist before the first batch.
    public func prepare() async throws {
        try await retention.maintain()
    }

    public var backgroundServices: [any Service] { [retention] }

    public func addRoutes(to group: RouterGroup<AppRequestContext>) {
        switch profile {
        case .switchyard:
            AreaModeRoutes(service: service, random: random, maxBodySize: maxBodySize, adminToken: adminToken).addRoutes(to: group)
        case .original:
            AreaModeOriginalRoutes(service: service, random: random, maxBodySize: maxBodySize, adminToken: adminToken)
                .addRoutes(to: group)
        }
    }

    public var openAPI: OpenAPIFragment { profile == .original ? AreaModeOpenAPI.original : AreaModeOpenAPI.fragment }

    public var notFoundResponse: Response? { profile == .original ? AreaModeOriginalRoutes.notFound : nil }

    /// The most played mode of each area with its active users (the `/areas` answer).
    public func dashboard() async throws -> DashboardSection? {
        let areas = try await service.areas()
        return DashboardSection(
            title: "Most played mode per area",
            body: HTML.figure("Active users", String(areas.reduce(0) { $0 + $1.activeUsers }), metric: "area-mode.active")
                + HTML.table(
                    ["Area", "Most played", "Active users"],
                    areas.map { [String($0.area), $0.mostPlayed, String($0.activeUsers)] }, metric: "area-mode.areas"))
    }
}
