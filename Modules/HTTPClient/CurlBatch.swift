import Synchronization

/// What the requests of a batch got back.
public struct HTTPBatchReport: Sendable, Equatable {
    /// How many responses came with each status.
    public var statuses: [Int: Int] = [:]
    /// Requests that got no response: connection failed, timed out, body too large.
    public var failed = 0

    public init() {}
}

/// GETs that the driver thread runs as one job: it starts the next request itself as soon as
/// one finishes, so a long run of requests (the self load test sends up to a million) costs no
/// task and no thread switch per request. Once added, touched only by the driver thread, except
/// `cancelled`.
final class CurlBatch: @unchecked Sendable {
    /// Requests in flight at most.
    let width: Int
    private let template: HTTPRequestSpec
    private let nextURL: @Sendable () -> String?
    private let live: LiveTransfers
    private var inFlight = 0
    private var exhausted = false
    private var stopped: (any Error)?
    private var report = HTTPBatchReport()
    private var continuation: CheckedContinuation<HTTPBatchReport, any Error>?
    /// Set by a cancelled caller; the driver stops the batch when it sees it.
    let cancelled = Atomic<Bool>(false)

    init(width: Int, template: HTTPRequestSpec, live: LiveTransfers, nextURL: @escaping @Sendable () -> String?) {
        self.width = width
        self.template = template
        self.live = live
        self.nextURL = nextURL
    }

    func wait(_ continuation: CheckedContinuation<HTTPBatchReport, any Error>) {
        self.continuation = continuation
    }

    /// The next request to start: nil when enough are in flight, the URLs ran out, or the
    /// batch stopped.
    func nextTransfer() -> CurlTransfer? {
        guard !exhausted, stopped == nil, inFlight < width, !cancelled.load(ordering: .relaxed) else { return nil }
        guard let url = nextURL() else {
            exhausted = true
            return nil
        }
        var spec = template
        spec.url = url
        do {
            let transfer = try CurlTransfer(spec, live: live)
            transfer.batch = self
            inFlight += 1
            return transfer
        } catch {
            stop(error)
            return nil
        }
    }

    func record(_ result: Result<HTTPClientResponse, any Error>) {
        inFlight -= 1
        switch result {
        case .success(let response): report.statuses[response.status, default: 0] += 1
        case .failure: report.failed += 1
        }
    }

    /// Starts no more requests; the caller gets `error` once those in flight are done.
    func stop(_ error: any Error) {
        if stopped == nil { stopped = error }
    }

    /// Answers the caller once nothing is in flight and nothing more will start.
    func finishIfDone() {
        guard inFlight == 0, exhausted || stopped != nil || cancelled.load(ordering: .relaxed) else { return }
        guard let continuation else { return }
        self.continuation = nil
        if cancelled.load(ordering: .relaxed) {
            continuation.resume(throwing: CancellationError())
        } else if let stopped {
            continuation.resume(throwing: stopped)
        } else {
            continuation.resume(returning: report)
        }
    }
}
