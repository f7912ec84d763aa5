import Logging
@_exported import Redis
import Synchronization

/// The shared clients features borrow. Each is created on first use, so only what an enabled
/// feature asks for is ever connected, checked by `/ready`, and closed at shutdown.
public final class SharedInfrastructure: Sendable {
    let redisConfiguration: RedisConfiguration
    let logger: Logger
    private let redisClient = Mutex<RedisClient?>(nil)

    public init(redis: RedisConfiguration, logger: Logger = Logger(label: "switchyard.infrastructure")) {
        redisConfiguration = redis
        self.logger = logger
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
        return checks
    }

    /// Closes every client that was opened.
    public func close() async {
        await redisClient.withLock { $0 }?.close()
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
