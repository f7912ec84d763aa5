import Logging
@_exported import HTTPClient
@_exported import Redis
import Synchronization

/// The shared clients features borrow. Each is created on first use, so only what an enabled
/// feature asks for is ever connected, checked by `/ready`, and closed at shutdown.
public final class SharedInfrastructure: Sendable {
    let redisConfiguration: RedisConfiguration
    let postgresConfiguration: PostgresConfiguration
    let httpConfiguration: HTTPClientConfiguration
    let logger: Logger
    private let redisClient = Mutex<RedisClient?>(nil)
    private let postgresClient = Mutex<PostgresClient?>(nil)
    private let httpClient = Mutex<HTTPClient?>(nil)

    public init(
        redis: RedisConfiguration, postgres: PostgresConfiguration, http: HTTPClientConfiguration,
        logger: Logger = Logger(label: "switchyard.infrastructure")
    ) {
        redisConfiguration = redis
        postgresConfiguration = postgres
        httpConfiguration = http
        self.logger = logger
    }

    /// The one outgoing HTTP client (libcurl multi handle) of the process.
    public func http() -> HTTPClient {
        httpClient.withLock { client in
            if let client { return client }
            let created = HTTPClient(configuration: httpConfiguration)
            client = created
            return created
        }
    }

    /// The one PostgreSQL client (connection pool) of the process.
    public func postgres() -> PostgresClient {
        postgresClient.withLock { client in
            if let client { return client }
            let created = PostgresClient(configuration: postgresConfiguration)
            client = created
            return created
        }
    }

    /// The one Redis client of the process.
    public func redis() -> RedisClient {
        redisClient.withLock { client in
            if let client { return client }
            let created = RedisClient(configuration: redisConfiguration, logger: logger)
            client = created
            return created
        }
    }

    /// Health checks of the clients that exist.
    public var healthChecks: [any HealthCheck] {
        var checks: [any HealthCheck] = []
        if let redis = redisClient.withLock({ $0 }) {
            checks.append(DependencyCheck(name: "redis", check: redis.problem))
        }
        if let postgres = postgresClient.withLock({ $0 }) {
            checks.append(DependencyCheck(name: "postgres", check: postgres.problem))
        }
        return checks
    }

    /// Closes every client that was opened.
    public func close() async {
        await redisClient.withLock { $0 }?.close()
        await postgresClient.withLock { $0 }?.close()
        await httpClient.withLock { $0 }?.shutdown()
    }
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
