import FeatureKit
import ServiceLifecycle

/// The shared clients' lifetime inside the service group: warmed up when the group starts
/// (building the host connects nothing ahead of demand), closed once it shuts down.
struct InfrastructureService: Service {
    let infrastructure: SharedInfrastructure

    func run() async throws {
        await infrastructure.start()
        // Returns when shutdown begins (or the group is cancelled); either way, close.
        try? await gracefulShutdown()
        await infrastructure.close()
    }
}
