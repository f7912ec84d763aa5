import Hummingbird
import Logging
import Metrics
import Postgres
import ServiceLifecycle
import SwitchyardCore

/// The plug-in contract: what a feature target gives the host so it can be switched on by
/// configuration and mounted at its prefix on the one shared router.
public protocol Feature: Sendable {
    /// The feature id used in `features.enabled`, config keys and the default prefix (`/<id>`).
    static var id: String { get }

    /// Builds the feature from what the host lends it; reads only its own config keys.
    init(_ dependencies: FeatureDependencies) async throws

    /// Versioned PostgreSQL migrations, applied at startup while the feature is enabled.
    var migrations: [Migration] { get }

    /// Registers the feature's routes, relative to its prefix.
    func addRoutes(to routes: RouterGroup<AppRequestContext>)

    /// Runs once after the migrations and before the listener opens (seeding and the like).
    func prepare() async throws

    /// Long-running jobs (refresh loops and the like) run next to the HTTP server.
    var backgroundServices: [any Service] { get }

    /// The feature's operations and schemas, relative to its prefix.
    var openAPI: OpenAPIFragment { get }

    /// Its section of `/dashboard`: cheap reads only (top-N, counters, caches), never a scan
    /// or an upstream fan-out. Nil shows nothing.
    func dashboard() async throws -> DashboardSection?

    /// The HELP text of each metric the feature makes, by name: `/metrics` prints it.
    static var metricDescriptions: [String: String] { get }

    /// Its routes behind `AdminAuthMiddleware`, relative to its prefix (`POST /refresh`): the
    /// host warns at startup when they are reachable from elsewhere with no admin token set.
    static var adminRoutes: [String] { get }

    /// What a request matching no route gets when the feature is mounted at `/`: its original
    /// service's own 404 under `api = original`; nil keeps the Switchyard envelope.
    var notFoundResponse: Response? { get }
}

extension Feature {
    public var migrations: [Migration] { [] }
    public func prepare() async throws {}
    public var backgroundServices: [any Service] { [] }
    public func dashboard() async throws -> DashboardSection? { nil }
    public static var metricDescriptions: [String: String] { [:] }
    public static var adminRoutes: [String] { [] }
    public var notFoundResponse: Response? { nil }
}

/// What a feature may use. Shared clients are opened on first use, so a disabled feature,
/// which is never constructed, opens no connection.
public struct FeatureDependencies: Sendable {
    /// Configuration scoped to `features.<id>`: a feature reads `settings.int("seed-users", ...)`.
    public var settings: Settings
    public var logger: Logger
    public var metrics: any MetricsFactory
    public var clock: WallClock
    public var random: RandomSource
    /// `auth.admin-token`; nil leaves admin routes open.
    public var adminToken: String?
    /// Shared Redis, PostgreSQL and HTTP clients, opened on first use.
    public var infrastructure: SharedInfrastructure
    /// Where the feature is mounted (`/path-stats`, or `/` at the root).
    public var prefix: String
    /// This server's own address, once it listens.
    public var serverAddress: ServerAddress

    public init(
        settings: Settings, logger: Logger, metrics: any MetricsFactory, infrastructure: SharedInfrastructure,
        prefix: String, serverAddress: ServerAddress = ServerAddress(),
        clock: WallClock = .system, random: RandomSource = .system, adminToken: String? = nil
    ) {
        self.infrastructure = infrastructure
        self.prefix = prefix
        self.serverAddress = serverAddress
        self.settings = settings
        self.logger = logger
        self.metrics = metrics
        self.clock = clock
        self.random = random
        self.adminToken = adminToken
    }
}

/// A dependency `/ready` reports on.
public protocol HealthCheck: Sendable {
    var name: String { get }
    /// Nil when healthy, otherwise why not.
    func problem() async -> String?
}
