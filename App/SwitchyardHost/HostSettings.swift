import FeatureKit
import Foundation
import HTTPClient
import Logging
import Postgres
import Redis

/// The host's own configuration, validated once at startup.
public struct HostSettings: Sendable {
    public var host: String
    public var port: Int
    public var maxBodySize: Int
    public var shutdownTimeout: Duration
    /// A connection with no complete request part for this long is closed: a client that sends
    /// half a request (or nothing) cannot hold a connection.
    public var idleTimeout: Duration
    /// Requests with a body over 64 KiB handled at once (`EventLoopAffinityMiddleware`).
    public var largeBodyConcurrency: Int
    public var largeBodyQueue: Int
    public var refusedBodyDrainTime: Duration
    public var refusedBodyDrainBytes: Int
    public var largeBodyQueueBytes: Int
    public var enabledFeatures: [any Feature.Type]
    public var prefixes: [String: String]
    public var adminToken: String?
    public var redis: RedisConfiguration
    public var postgres: PostgresConfiguration
    public var http: HTTPClientConfiguration
    public var logLevel: Logger.Level
    /// Where `/docs` loads Swagger UI's CSS and script from.
    public var docsAssetsURL: String

    public init(_ settings: Settings, knownFeatures: [any Feature.Type]) throws {
        host = settings.string("http.host") ?? "127.0.0.1"
        port = try settings.int("http.port", default: 8080, in: 0...65535)
        maxBodySize = try settings.int("http.max-body-size", default: 1 << 20, in: 1024...(64 << 20))
        shutdownTimeout = try settings.seconds("http.shutdown-timeout", default: 10, in: 0.1...600)
        idleTimeout = try settings.seconds("http.idle-timeout", default: 30, in: 0.1...3600)
        largeBodyConcurrency = try settings.int("http.large-body-concurrency", default: 1, in: 1...1024)
        largeBodyQueue = try settings.int("http.large-body-queue", default: 16, in: 1...100_000)
        refusedBodyDrainTime = try settings.seconds("http.refused-body-drain-time", default: 30, in: 0...3600)
        refusedBodyDrainBytes = try settings.int("http.refused-body-drain-bytes", default: 256 << 20, in: 0...(64 << 30))
        largeBodyQueueBytes = try settings.int("http.large-body-queue-bytes", default: 128 << 20, in: (64 << 10)...(64 << 30))
        adminToken = settings.string("auth.admin-token", secret: true)
        docsAssetsURL = settings.string("docs.assets-url") ?? "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5"
        do {
            redis = try RedisConfiguration(
                url: settings.string("redis.url", secret: true) ?? "redis://127.0.0.1:6379/0",
                connections: settings.int("redis.connections", default: 2, in: 1...64),
                commandTimeout: settings.seconds("redis.command-timeout", default: 2, in: 0.01...60),
                connectTimeout: settings.seconds("redis.connect-timeout", default: 2, in: 0.01...60),
                tlsOptions: RedisTLSOptions(
                    caFile: settings.string("redis.tls-ca-file"), certificateFile: settings.string("redis.tls-cert-file"),
                    keyFile: settings.string("redis.tls-key-file"), serverName: settings.string("redis.tls-server-name")),
                waitReplicas: settings.int("redis.wait-replicas", default: 0, in: 0...16),
                waitTimeout: settings.seconds("redis.wait-timeout", default: 0.5, in: 0.001...60),
                waitConnections: settings.int("redis.wait-connections", default: 8, in: 1...256))
        } catch let error as RedisError {
            throw ConfigurationError(key: "redis.url", problem: error.description)
        }
        do {
            postgres = try PostgresConfiguration(
                url: settings.string("postgres.url", secret: true) ?? "postgres://switchyard@127.0.0.1:5432/switchyard",
                minConnections: settings.int("postgres.pool-min", default: 1, in: 0...256),
                maxConnections: settings.int("postgres.pool-size", default: 10, in: 1...256),
                pipelinedConnections: settings.int("postgres.pipelined-connections", default: 2, in: 1...64),
                acquireTimeout: settings.seconds("postgres.acquire-timeout", default: 5, in: 0.01...600),
                statementTimeout: settings.seconds("postgres.statement-timeout", default: 30, in: 0.01...3600),
                queryTimeout: settings.seconds("postgres.query-timeout", default: 10, in: 0.01...3600),
                maxQueuedStatements: settings.int("postgres.max-queue", default: 4096, in: 1...1_000_000),
                statementCacheSize: settings.int("postgres.statement-cache-size", default: 100, in: 0...10_000),
                maintenanceTimeout: settings.seconds("postgres.maintenance-timeout", default: 600, in: 0...86_400),
                preparedStatements: try settings.choice("postgres.prepared-statements", default: .auto))
        } catch let error as PostgresError {
            throw ConfigurationError(key: "postgres.url", problem: error.description)
        }
        http = try HTTPClientConfiguration(
            maxConcurrentTransfers: settings.int("http-client.max-concurrent", default: 256, in: 1...10_000),
            defaultTimeout: settings.seconds("http-client.timeout", default: 10, in: 0.01...600),
            connectTimeout: settings.seconds("http-client.connect-timeout", default: 5, in: 0.01...600),
            maxBodySize: settings.int("http-client.max-body-size", default: 16 << 20, in: 1024...(1 << 30)))
        let level = settings.string("log.level") ?? "info"
        guard let logLevel = Logger.Level(rawValue: level.lowercased()) else {
            throw ConfigurationError(key: "log.level", problem: "'\(level)' is not one of trace, debug, info, notice, warning, error, critical")
        }
        self.logLevel = logLevel
        enabledFeatures = try Self.enabled(settings.string("features.enabled") ?? "all", known: knownFeatures)
        prefixes = try Dictionary(
            uniqueKeysWithValues: enabledFeatures.map { feature in
                (feature.id, try Self.prefix(settings.scoped("features.\(feature.id)"), id: feature.id))
            })
    }

    /// `all`, `none`, or a comma-separated list of known ids.
    static func enabled(_ list: String, known: [any Feature.Type]) throws -> [any Feature.Type] {
        let requested = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        if requested == ["all"] { return known }
        if requested.isEmpty || requested == ["none"] { return [] }
        var enabled: [any Feature.Type] = []
        for id in requested where !enabled.contains(where: { $0.id == id }) {
            guard let feature = known.first(where: { $0.id == id }) else {
                let names = known.map { $0.id }.joined(separator: ", ")
                throw ConfigurationError(
                    key: "features.enabled", problem: "unknown feature '\(id)' (known: all, none, \(names))")
            }
            enabled.append(feature)
        }
        return enabled
    }

    /// `/<id>` unless `features.<id>.prefix` says otherwise; `/` mounts at the root.
    static func prefix(_ settings: Settings, id: String) throws -> String {
        guard let value = settings.string("prefix") else { return "/\(id)" }
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "/-_."))
        guard value.hasPrefix("/"), value.unicodeScalars.allSatisfy(allowed.contains), !value.contains("//")
        else {
            throw ConfigurationError(
                key: settings.fullKey("prefix"), problem: "'\(value)' must be a path like /\(id) or /")
        }
        return value.count > 1 && value.hasSuffix("/") ? String(value.dropLast()) : value
    }

    /// The shared clients, configured but not yet connected.
    func makeInfrastructure() -> SharedInfrastructure {
        SharedInfrastructure(redis: redis, postgres: postgres, http: http)
    }
}
