import FeatureKit
import Hummingbird

/// LOGIN/LOGOUT events in, the most played multiplayer mode per area out.
public struct AreaModeFeature: Feature {
    public static let id = "area-mode"
    let routes: AreaModeRoutes

    public init(_ dependencies: FeatureDependencies) async throws {
        let settings = dependencies.settings
        let cache = AreaStatsCache(
            redis: dependencies.infrastructure.redis(),
            ttl: try settings.int("cache-ttl", default: 30, in: 0...86_400),
            keyPrefix: settings.string("redis-prefix") ?? "area-mode", logger: dependencies.logger)
        let service = AreaModeService(
            store: PostgresAreaModeStore(postgres: dependencies.infrastructure.postgres()), cache: cache,
            metrics: dependencies.metrics)
        routes = AreaModeRoutes(
            service: service, random: dependencies.random,
            maxBodySize: try settings.int("max-body-size", default: 8 << 20, in: 1024...(256 << 20)),
            adminToken: dependencies.adminToken)
    }

    public var migrations: [Migration] { PostgresAreaModeStore.migrations }

    public func addRoutes(to group: RouterGroup<AppRequestContext>) {
        routes.addRoutes(to: group)
    }

    public var openAPI: OpenAPIFragment { AreaModeOpenAPI.fragment }
}
