import HTTPClient
import Logging
import Postgres
import Redis
import Synchronization

/// The shared clients features borrow. Each is created on first use, so only what an enabled
/// feature asks for is ever connected, checked by `/ready`, and closed at shutdown.
public final class SharedInfrastructure: Sendable {
    private let redisClient: OnFirstUse<RedisClient>
    private let postgresClient: OnFirstUse<PostgresClient>
    private let httpClient: OnFirstUse<HTTPClient>

    public init(
        redis: RedisConfiguration, postgres: PostgresConfiguration, http: HTTPClientConfiguration,
        logger: Logger = Logger(label: "switchyard.infrastructure")
    ) {
        redisClient = OnFirstUse { RedisClient(configuration: redis, logger: logger) }
        postgresClient = OnFirstUse { PostgresClient(configuration: postgres, logger: logger) }
        httpClient = OnFirstUse { HTTPClient(configuration: http) }
    }

    /// The one Redis client of the process.
    public func redis() -> RedisClient { redisClient.value }

    /// The one PostgreSQL client (connection pool) of the process.
    public func postgres() -> PostgresClient { postgresClient.value }

    /// The one outgoing HTTP client (libcurl multi handle) of the process.
    public func http() -> HTTPClient { httpClient.value }

    /// Health checks of the clients that exist.
    public var healthChecks: [any HealthCheck] {
        var checks: [any HealthCheck] = []
        if let redis = redisClient.existing {
            checks.append(DependencyCheck(name: "redis", check: redis.problem))
        }
        if let postgres = postgresClient.existing {
            checks.append(DependencyCheck(name: "postgres", check: postgres.problem))
        }
        return checks
    }

    /// Warms up the clients that exist, when the service group starts (not when they are made).
    public func start() async {
        await postgresClient.existing?.prewarm()
    }

    /// Closes every client that was opened.
    public func close() async {
        await redisClient.existing?.close()
        await postgresClient.existing?.close()
        await httpClient.existing?.shutdown()
    }
}

/// A value made the first time it is asked for, then shared.
private final class OnFirstUse<Value: Sendable>: Sendable {
    private let make: @Sendable () -> Value
    private let made = Mutex<Value?>(nil)

    init(_ make: @escaping @Sendable () -> Value) {
        self.make = make
    }

    var value: Value {
        made.withLock { made in
            if let made { return made }
            let value = make()
            made = value
            return value
        }
    }

    var existing: Value? { made.withLock { $0 } }
}

struct DependencyCheck: HealthCheck {
    let name: String
    let check: @Sendable () async -> String?

    func problem() async -> String? { await check() }
}

extension RedisError: APIErrorConvertible {
    public var apiError: APIError {
        isUnavailable ? .dependencyUnavailable("Redis") : .internalError
    }
}

extension PostgresError: APIErrorConvertible {
    public var apiError: APIError {
        isUnavailable ? .dependencyUnavailable("PostgreSQL") : .internalError
    }
}

extension HTTPClientError: APIErrorConvertible {
    public var apiError: APIError { .upstream("The upstream service failed: \(self).") }
}

extension HTTPStatusError: APIErrorConvertible {
    public var apiError: APIError { .upstream("The upstream service answered HTTP \(response.status).") }
}
