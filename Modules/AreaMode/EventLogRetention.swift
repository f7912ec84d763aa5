import Logging
import Postgres
import ServiceLifecycle
import SwitchyardCore

/// Keeps the event log's daily partitions: made ahead of time, and those older than
/// `features.area-mode.event-retention` dropped whole. Runs at startup (before the listener
/// opens, so the first batch finds today's partition) and then every `interval`.
struct EventLogRetention: Service {
    let partitions: DailyPartitions
    let postgres: PostgresClient
    let clock: WallClock
    let interval: Duration
    let logger: Logger

    /// One pass; failures are the caller's to log.
    func maintain() async throws {
        let result = try await partitions.maintain(postgres, now: clock.now())
        if !result.created.isEmpty || !result.dropped.isEmpty {
            logger.info(
                "event log partitions maintained",
                metadata: ["created": "\(result.created)", "dropped": "\(result.dropped)"])
        }
    }

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: interval)
                do {
                    try await maintain()
                } catch is CancellationError {
                    return
                } catch {
                    // Partitions are made days ahead: a missed pass is retried next interval.
                    logger.error("event log maintenance failed", metadata: ["error": "\(error)"])
                }
            }
        }
    }
}
