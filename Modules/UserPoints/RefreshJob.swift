import FeatureKit
import Foundation
import Logging
import ServiceLifecycle

/// Refreshes on every interval boundary until graceful shutdown; replicas all tick, and the
/// store lets one of them refresh per interval.
struct RefreshJob: Service {
    let service: UserPointsService
    let logger: Logger

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let next = service.nextSlot(after: service.clock.now())
                try await Task.sleep(for: .milliseconds(max(0, Int(next.at.timeIntervalSinceNow * 1000))))
                do {
                    try await service.scheduledRefresh(slot: next.slot)
                } catch is CancellationError {
                    return
                } catch {
                    logger.error("scheduled refresh failed", metadata: ["error": "\(error)"])
                }
            }
        }
    }
}
