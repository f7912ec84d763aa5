import FeatureKit
import Hummingbird
import Logging
import Metrics
import Postgres
import Redis
import ServiceLifecycle
import SwitchyardCore
import SwitchyardJSON

/// A million users whose points are re-rolled every interval; "up to 2 users above the bar".
public struct UserPointsFeature: Feature {
    public static let id = "user-points"
    public static let adminRoutes = ["POST /refresh"]
    public static let metricDescriptions = [
        "user_points_queries_total": "Queries answered",
        "user_points_refresh_duration_seconds": "Time a refresh of every user's points took",
        "user_points_refresh_skipped_total": "Scheduled refreshes skipped because another replica held the lock",
    ]
    let service: UserPointsService
    let store: PostgresRedisUserPointsStore
    let seedUsers: Int
    let adminToken: String?
    let logger: Logger
    let profile: APIProfile
    /// The first `min_number`: 0, or random in 0...100 as the original chose it.
    let initialMinNumber: Int

    public init(_ dependencies: FeatureDependencies) async throws {
        let settings = dependencies.settings
        let timestampKey = settings.string("redis-key") ?? "user-points:last-query"
        store = PostgresRedisUserPointsStore(
            postgres: dependencies.infrastructure.postgres(), redis: dependencies.infrastructure.redis(),
            random: dependencies.random, timestampKey: timestampKey,
            // One slot for both: the handover script reads them together, also on a Redis Cluster.
            generationKey: ClusterSlot.hashTag(of: timestampKey) + ":generation")
        seedUsers = try settings.int("seed-users", default: 1_000_000, in: 1...100_000_000)
        adminToken = dependencies.adminToken
        logger = dependencies.logger
        profile = try settings.apiProfile()
        initialMinNumber = profile == .original ? dependencies.random.int(in: 0...100) : 0
        service = UserPointsService(
            store: store, clock: dependencies.clock, random: dependencies.random,
            interval: try settings.int("refresh-interval", default: 60, in: 1...86_400),
            queries: Counter(label: "user_points_queries_total", factory: dependencies.metrics),
            refreshDuration: Metrics.Timer(label: "user_points_refresh_duration_seconds", factory: dependencies.metrics),
            skippedRefreshes: Counter(label: "user_points_refresh_skipped_total", factory: dependencies.metrics))
    }

    public var migrations: [Migration] { PostgresRedisUserPointsStore.migrations }

    public func prepare() async throws {
        try await store.seed(users: seedUsers, minNumber: initialMinNumber)
    }

    public var backgroundServices: [any Service] { [RefreshJob(service: service, logger: logger)] }

    /// Both profiles keep the operators' `/state` and `/refresh`; `GET /` is the profile's.
    public func addRoutes(to routes: RouterGroup<AppRequestContext>) {
        let own = UserPointsRoutes(service: service, adminToken: adminToken)
        switch profile {
        case .switchyard:
            own.addRoutes(to: routes)
        case .original:
            own.addOperatorRoutes(to: routes)
            UserPointsOriginalRoutes(service: service).addRoutes(to: routes)
        }
    }

    public var openAPI: OpenAPIFragment { profile == .original ? UserPointsOpenAPI.original : UserPointsOpenAPI.fragment }

    public var notFoundResponse: Response? { profile == .original ? UserPointsOriginalRoutes.notFound : nil }

    /// The refresh state, as `/state` tells it.
    public func dashboard() async throws -> DashboardSection? {
        let state = try await store.state()
        let next = service.nextSlot(after: service.clock.now()).at
        return DashboardSection(
            title: "Points refresh",
            body: HTML.figure("min_number", String(state.minNumber), metric: "user-points.min_number")
                + HTML.figure("Generation", String(state.generation), metric: "user-points.generation")
                + HTML.figure(
                    "Last refresh (ms)", state.lastRefreshMilliseconds.map(String.init) ?? "–",
                    metric: "user-points.last_refresh_ms")
                + HTML.figure("Next refresh", iso8601(next), metric: "user-points.next_refresh_at"))
    }
}
