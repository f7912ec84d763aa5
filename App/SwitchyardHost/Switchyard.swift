import FeatureKit
import Hummingbird
import Logging
import Metrics
import NIOCore
import Postgres
import Prometheus
import ServiceLifecycle
import SwitchyardCore
import UnixSignals

/// The assembled server: the Hummingbird application plus the features' background services.
public struct Switchyard: Sendable {
    public let application: Application<IndexedResponder>
    public let backgroundServices: [any Service]
    public let settings: HostSettings
    let logger: Logger

    /// Builds the server from configuration: enabled features are constructed, collision-checked
    /// and mounted; disabled ones are never constructed. Throws `ConfigurationError` or
    /// `RouteCollisionError` (one line each) for startup problems.
    public static func build(
        settings source: Settings, knownFeatures: [any Feature.Type],
        clock: WallClock = .system, random: RandomSource = .system,
        logger: Logger = Logger(label: "switchyard"),
        onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
    ) async throws -> Switchyard {
        let settings = try HostSettings(source, knownFeatures: knownFeatures)
        let registry = PrometheusCollectorRegistry()
        let infrastructure = settings.makeInfrastructure()
        let serverAddress = ServerAddress()
        let mounted = try await mountFeatures(
            settings: settings, source: source, infrastructure: infrastructure, serverAddress: serverAddress,
            metrics: DescribedMetricsFactory(registry: registry, descriptions: settings.enabledFeatures), clock: clock, random: random)
        try await migrate(mounted, infrastructure: infrastructure)
        warnAboutOpenAdminRoutes(settings: settings, mounted: mounted, logger: logger)

        let router = Router(context: AppRequestContext.self, options: [.autoGenerateHeadEndpoints])
        let routes = IndexingRouter(router, metrics: try RequestMetrics())
        // Middleware applies only to routes added after it, so it goes first.
        routes.add(
            middleware: HostMiddleware(
                envelope: ErrorEnvelopeMiddleware(notFound: mounted.lazy.filter { $0.prefix == "/" }.compactMap(\.feature.notFoundResponse).first),
                bodyLimit: BodyLimitMiddleware(maxBodySize: settings.maxBodySize),
                drain: RefusedBodyDrain(
                    drainTime: .nanoseconds(Int64(settings.refusedBodyDrainTime / .nanoseconds(1))), drainBytes: settings.refusedBodyDrainBytes),
                affinity: EventLoopAffinityMiddleware(
                    largeBodyTurns: LargeBodyTurns(
                        concurrency: settings.largeBodyConcurrency, wait: .seconds(30), maxQueued: settings.largeBodyQueue,
                        maxQueuedBytes: settings.largeBodyQueueBytes))))
        let features = mounted
        let constant = OperationalRoutes(
            registry: registry, metrics: routes.metrics, healthChecks: { infrastructure.healthChecks }, features: { features },
            docsAssetsURL: settings.docsAssetsURL
        )
        .addRoutes(to: routes)
        for feature in mounted {
            feature.feature.addRoutes(to: routes.group(RouterPath(feature.prefix == "/" ? "" : feature.prefix)))
        }
        router.addMethodNotAllowedResponders()

        let responder = routes.buildResponder()
        let application = Application(
            responder: responder,
            server: .loopBoundHTTP1(
                configuration: .init(idleTimeout: .nanoseconds(Int64(settings.idleTimeout / .nanoseconds(1)))),
                pipelineResponder: { [respond = pipelineRespond(responder, logger: logger), metrics = routes.metrics] in
                    PipelineResponder(respond: respond, constant: constant, metrics: metrics, serverName: serverName)
                }),
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: serverName),
            onServerRunning: { channel in
                serverAddress.set(host: settings.host, port: channel.localAddress?.port ?? settings.port)
                await onServerRunning(channel)
            },
            logger: logger)
        return Switchyard(
            application: application,
            // First in the group, so it shuts down last, after the server and the jobs using it.
            backgroundServices: [InfrastructureService(infrastructure: infrastructure)]
                + mounted.flatMap(\.feature.backgroundServices),
            settings: settings, logger: logger)
    }

    static let serverName = "switchyard"

    /// What Hummingbird's application does around the router for each request, for the requests
    /// the pipeline answers: a request id in the logger, and a 500 for an error that no
    /// middleware turned into an answer.
    static func pipelineRespond(_ responder: IndexedResponder, logger: Logger) -> PipelineResponder.Respond {
        { request, channel in
            let logger = RequestLogHandler.logger(logger, requestID: RequestID())
            do {
                return try await responder.respond(to: request, context: AppRequestContext(source: .init(channel: channel, logger: logger)))
            } catch {
                logger.debug("Unrecognised Error", metadata: ["error.type": "\(error)"])
                return Response(status: .internalServerError)
            }
        }
    }

    /// Constructs the enabled features and checks their routes for collisions.
    static func mountFeatures(
        settings: HostSettings, source: Settings, infrastructure: SharedInfrastructure,
        serverAddress: ServerAddress = ServerAddress(), metrics: any MetricsFactory, clock: WallClock,
        random: RandomSource
    ) async throws -> [MountedFeature] {
        var table = RouteTable()
        try table.claim(
            OperationalRoutes.paths.map { RouteKey(method: "GET", path: $0) }, for: "operational endpoints")
        var mounted: [MountedFeature] = []
        for type in settings.enabledFeatures {
            let prefix = settings.prefixes[type.id] ?? "/\(type.id)"
            let dependencies = FeatureDependencies(
                settings: source.scoped("features.\(type.id)"),
                logger: Logger(label: "switchyard.\(type.id)"),
                metrics: metrics, infrastructure: infrastructure, prefix: prefix, serverAddress: serverAddress,
                clock: clock, random: random, adminToken: settings.adminToken)
            let feature = try await type.init(dependencies)
            let routes = RouteTable.routes(prefix: prefix, register: feature.addRoutes)
            try table.claim(routes, for: type.id)
            mounted.append(MountedFeature(id: type.id, prefix: prefix, feature: feature, routes: routes))
        }
        return mounted
    }

    /// Admin routes with no token are fine on loopback (a developer's machine, behind a local
    /// proxy); on any other address anyone who reaches the port can run them: say which.
    static func warnAboutOpenAdminRoutes(settings: HostSettings, mounted: [MountedFeature], logger: Logger) {
        let loopback = ["127.0.0.1", "::1", "localhost"].contains(settings.host) || settings.host.hasPrefix("127.")
        guard settings.adminToken == nil, !loopback else { return }
        let open = mounted.flatMap { feature in
            type(of: feature.feature).adminRoutes.map { route in
                let parts = route.split(separator: " ", maxSplits: 1)
                return "\(parts[0]) \(OpenAPIDocument.join(feature.prefix, String(parts[1])))"
            }
        }
        guard !open.isEmpty else { return }
        logger.warning(
            "admin routes are open to anyone who reaches \(settings.host):\(settings.port); set auth.admin-token (ADMIN_TOKEN)",
            metadata: ["routes": "\(open.joined(separator: ", "))"])
    }

    /// Applies each feature's pending migrations (features without any touch no database),
    /// then lets each feature prepare itself.
    static func migrate(_ features: [MountedFeature], infrastructure: SharedInfrastructure) async throws {
        for mounted in features {
            do {
                if !mounted.feature.migrations.isEmpty {
                    try await Migrator(client: infrastructure.postgres())
                        .apply(feature: mounted.id, mounted.feature.migrations)
                }
                try await mounted.feature.prepare()
            } catch let error as PostgresError {
                throw StartupError("starting \(mounted.id) failed: \(error)")
            }
        }
    }

    /// `switchyard migrate`: applies the enabled features' migrations and returns.
    public static func migrateOnly(settings source: Settings, knownFeatures: [any Feature.Type]) async throws {
        let settings = try HostSettings(source, knownFeatures: knownFeatures)
        let infrastructure = settings.makeInfrastructure()
        let mounted = try await mountFeatures(
            settings: settings, source: source, infrastructure: infrastructure,
            metrics: NOOPMetricsHandler.instance, clock: .system, random: .system)
        try await migrate(mounted, infrastructure: infrastructure)
        await infrastructure.close()
    }

    /// Serves until SIGTERM/SIGINT, then stops accepting, lets in-flight requests finish (up to
    /// `http.shutdown-timeout`), stops background services and returns.
    public func run() async throws {
        try await serviceGroup(gracefulShutdownSignals: [.sigterm, .sigint]).run()
    }

    /// The server and its background services as one group; tests trigger shutdown directly.
    public func serviceGroup(gracefulShutdownSignals: [UnixSignal]) -> ServiceGroup {
        var configuration = ServiceGroupConfiguration(
            // Shut down in reverse order: the HTTP server first, then the jobs it may call.
            services: backgroundServices.map { .init(service: $0) } + [.init(service: application)],
            gracefulShutdownSignals: gracefulShutdownSignals,
            logger: logger)
        configuration.maximumGracefulShutdownDuration = settings.shutdownTimeout
        return ServiceGroup(configuration: configuration)
    }
}
