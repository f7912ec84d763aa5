import NIOCore
import NIOPosix

#if canImport(Glibc)
    import Glibc
#endif

/// Threads for the requests with large bodies, at a lower scheduling priority (nice 10) than
/// the event loops. When big batches and small requests want the same cores, the kernel runs a
/// loop thread that wakes for a small request ahead of a batch's parsing and validation, so a
/// batch delays the small requests by a scheduler slice, not by its whole parse. Made once per
/// process, one thread per core, and never shut down. Linux only: elsewhere `setpriority`
/// would lower the whole process, so the threads keep the default priority.
enum BulkWorkLoops {
    /// The niceness of the bulk threads; on Linux it applies to the calling thread only.
    static let niceness: Int32 = 10

    static let group: MultiThreadedEventLoopGroup = {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
        #if canImport(Glibc)
            for loop in group.makeIterator() {
                loop.execute { _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, niceness) }
            }
        #endif
        return group
    }()

    /// The executor of the next bulk thread, round robin.
    static func next() -> EventLoopTaskExecutor { .on(group.next()) }
}

/// Runs `work` on a bulk thread: for a request whose CPU work is large whatever its body (a
/// generator of a million events), which on its connection's event loop would stall every
/// other connection that loop serves. `work` is `@concurrent`, so it starts on the bulk thread
/// rather than where its caller runs.
public func offTheEventLoops<T: Sendable>(_ work: @concurrent () async throws -> T) async throws -> T {
    try await withTaskExecutorPreference(BulkWorkLoops.next(), operation: work)
}
