import Hummingbird
import NIOCore
import SwitchyardCore
import Synchronization

/// Runs a task's jobs on a NIO event loop. A handler that runs on its connection's loop talks
/// to a Redis connection on the same loop without a thread hop either way: the command is
/// written directly, and the reply resumes the handler on the thread that read it.
public final class EventLoopTaskExecutor: TaskExecutor {
    let eventLoop: any EventLoop

    private init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        eventLoop.execute { job.runSynchronously(on: executor) }
    }

    private static let executors = Mutex<[ObjectIdentifier: EventLoopTaskExecutor]>([:])

    /// One executor per loop, made once.
    public static func on(_ eventLoop: any EventLoop) -> EventLoopTaskExecutor {
        executors.withLock { executors in
            if let known = executors[ObjectIdentifier(eventLoop)] { return known }
            let made = EventLoopTaskExecutor(eventLoop)
            executors[ObjectIdentifier(eventLoop)] = made
            return made
        }
    }
}

/// Moves requests with a large body (or one of unknown length) off their connection's event
/// loop, where the server runs every connection: parsing, validating and storing such a body is
/// CPU work in proportion to its size, which on the loop would stall every other connection
/// the loop serves. It runs on the lower-priority `BulkWorkLoops` instead, and its parsing
/// takes one of the `largeBodyTurns` (`http.large-body-concurrency`), so big batches yield the
/// cores to the small requests and cannot all parse at once.
public struct EventLoopAffinityMiddleware: RouterMiddleware {
    public typealias Context = AppRequestContext

    /// Bodies above this many bytes are handled off the event loop.
    public static let largeBody = 64 * 1024
    let largeBodyTurns: LargeBodyTurns

    public init(largeBodyTurns: LargeBodyTurns = LargeBodyTurns(concurrency: 1, wait: .seconds(30))) {
        self.largeBodyTurns = largeBodyTurns
    }

    @concurrent public func handle(
        _ request: Request, context: AppRequestContext,
        next: @concurrent (Request, AppRequestContext) async throws -> Response
    ) async throws -> Response {
        guard Self.hasLargeBody(request) else { return try await next(request, context) }
        var context = context
        context.largeBodyTurns = largeBodyTurns
        return try await withTaskExecutorPreference(BulkWorkLoops.next()) { try await next(request, context) }
    }

    static func hasLargeBody(_ request: Request) -> Bool {
        if let length = request.headers[.contentLength] { return (Int(length) ?? .max) > largeBody }
        return request.headers[.transferEncoding] != nil
    }
}
