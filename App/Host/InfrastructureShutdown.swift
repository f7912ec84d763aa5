import FeatureKit
import ServiceLifecycle

/// Closes the shared clients once the group shuts down.
struct InfrastructureShutdown: Service {
    let infrastructure: SharedInfrastructure

    func run() async throws {
        // Returns when shutdown begins (or the group is cancelled); either way, close.
        try? await gracefulShutdown()
        await infrastructure.close()
    }
}
