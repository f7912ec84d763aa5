internal import CCurl
import Foundation
import Synchronization

/// One libcurl multi handle driven by one thread of its own (never an event loop): it takes new
/// transfers from any task, runs them all with `curl_multi_poll`/`curl_multi_perform`, and
/// resumes each caller when its transfer completes. Connections are kept alive and reused by
/// the multi handle's connection cache.
final class CurlMultiDriver: @unchecked Sendable {
    private enum Command {
        case add(CurlTransfer)
        case cancel(CurlTransfer)
        case run(CurlBatch)
        case cancelBatch(CurlBatch)
    }

    private static let globalInit: Void = {
        curl_global_init(Int(CURL_GLOBAL_ALL))
    }()

    private struct Inbox {
        var commands: [Command] = []
        var closing = false
        var polling = false
        /// Set by the driver, under the lock, before it frees the multi handle: from then on
        /// nobody may call `curl_multi_wakeup` on it.
        var finished = false
        /// Callers of `shutdown()` waiting for the driver to finish.
        var stopWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private let multi: UnsafeMutableRawPointer
    private let inbox = Mutex(Inbox())
    // Touched only by the driver thread.
    private var running: [UInt: CurlTransfer] = [:]
    /// Batches whose requests ended since the driver last looked: each is answered once the
    /// driver holds none of its transfers, so a batch that returns has freed all of them.
    private var batchesToAnswer: [CurlBatch] = []

    init() {
        _ = Self.globalInit
        multi = curl_multi_init()
        let thread = Thread { self.serve() }
        thread.name = "curl-multi"
        thread.start()
    }

    // Wakeups happen inside the lock: the driver frees the multi handle only after setting
    // `finished` under the same lock, so no wakeup can reach a freed handle.

    func add(_ transfer: CurlTransfer) throws {
        try send(.add(transfer))
    }

    func add(_ batch: CurlBatch) throws {
        try send(.run(batch))
    }

    private func send(_ command: Command) throws {
        try inbox.withLock { inbox in
            if inbox.closing { throw HTTPClientError.shutdown }
            inbox.commands.append(command)
            // One wakeup per poll is enough: the driver takes every queued command when it wakes.
            if inbox.polling { curl_multi_wakeup(multi) }
            inbox.polling = false
        }
    }

    func cancel(_ transfer: CurlTransfer) {
        transfer.cancelled.store(true, ordering: .relaxed)
        sendCancel(.cancel(transfer))
    }

    func cancel(_ batch: CurlBatch) {
        batch.cancelled.store(true, ordering: .relaxed)
        sendCancel(.cancelBatch(batch))
    }

    private func sendCancel(_ command: Command) {
        inbox.withLock { inbox in
            guard !inbox.finished else { return }
            inbox.commands.append(command)
            curl_multi_wakeup(multi)
        }
    }

    /// Cancels what is still running, frees every handle and ends the thread. Calling it again,
    /// or after the driver has finished, returns at once.
    func shutdown() async {
        await withCheckedContinuation { continuation in
            let done = inbox.withLock { inbox -> Bool in
                if inbox.finished { return true }
                inbox.stopWaiters.append(continuation)
                inbox.closing = true
                curl_multi_wakeup(multi)
                return false
            }
            if done { continuation.resume() }
        }
    }

    private func serve() {
        var stillRunning: Int32 = 0
        while true {
            let (commands, closing) = inbox.withLock { inbox in
                defer { inbox.commands = [] }
                return (inbox.commands, inbox.closing)
            }
            for command in commands { apply(command) }
            answerBatches()
            if closing { break }
            curl_multi_perform(multi, &stillRunning)
            collectFinished()
            answerBatches()
            let idle = inbox.withLock { inbox in
                inbox.polling = inbox.commands.isEmpty
                return inbox.polling
            }
            if idle { curl_multi_poll(multi, nil, 0, 1000, nil) }
            inbox.withLock { $0.polling = false }
        }
        for transfer in running.values {
            curl_multi_remove_handle(multi, transfer.handle)
            transfer.batch?.stop(HTTPClientError.shutdown)
            transfer.fail(HTTPClientError.shutdown)
        }
        running = [:]
        answerBatches()
        let (waiters, unapplied) = inbox.withLock { inbox in
            inbox.finished = true
            defer { (inbox.stopWaiters, inbox.commands) = ([], []) }
            return (inbox.stopWaiters, inbox.commands)
        }
        // Adds that came in after the last look: never started, so never left waiting.
        for command in unapplied {
            switch command {
            case .add(let transfer): transfer.fail(HTTPClientError.shutdown)
            case .run(let batch):
                batch.stop(HTTPClientError.shutdown)
                batch.finishIfDone()
            case .cancel, .cancelBatch: break
            }
        }
        curl_multi_cleanup(multi)
        waiters.forEach { $0.resume() }
    }

    private func apply(_ command: Command) {
        switch command {
        case .add(let transfer):
            if transfer.cancelled.load(ordering: .relaxed) {
                transfer.fail(CancellationError())
                return
            }
            if let error = start(transfer) { transfer.fail(error) }
        case .cancel(let transfer):
            guard running.removeValue(forKey: key(transfer.handle)) != nil else { return }
            curl_multi_remove_handle(multi, transfer.handle)
            transfer.fail(CancellationError())
        case .run(let batch):
            run(batch)
        case .cancelBatch(let batch):
            // Each failed transfer's completion runs the batch, which then starts nothing and
            // is answered. A batch with none running is left alone: one not run yet is answered
            // when its `.run` comes (its caller may still be setting it up), one done already was.
            for (key, transfer) in running where transfer.batch === batch {
                running[key] = nil
                curl_multi_remove_handle(multi, transfer.handle)
                transfer.fail(CancellationError())
            }
        }
    }

    /// Adds the transfer to the multi handle; the error if libcurl refused it.
    private func start(_ transfer: CurlTransfer) -> (any Error)? {
        let added = curl_multi_add_handle(multi, transfer.handle)
        guard added == CURLM_OK else {
            return HTTPClientError.transport(code: Int(added.rawValue), message: String(cString: curl_multi_strerror(added)))
        }
        running[key(transfer.handle)] = transfer
        return nil
    }

    /// Keeps the batch's window full: each request, when done, starts the next.
    private func run(_ batch: CurlBatch) {
        while let transfer = batch.nextTransfer() {
            transfer.onCompletion { [unowned self] result in
                batch.record(result)
                self.run(batch)
            }
            if let error = start(transfer) {
                // Stopped first, so the failure's own call of `run` starts nothing more.
                batch.stop(error)
                transfer.fail(error)
            }
        }
        batchesToAnswer.append(batch)
    }

    private func answerBatches() {
        let batches = batchesToAnswer
        batchesToAnswer = []
        for batch in batches { batch.finishIfDone() }
    }

    private func collectFinished() {
        var remaining: Int32 = 0
        while let message = curl_multi_info_read(multi, &remaining) {
            guard message.pointee.msg == CURLMSG_DONE, let handle = message.pointee.easy_handle else { continue }
            let code = message.pointee.data.result
            guard let transfer = running.removeValue(forKey: key(handle)) else { continue }
            curl_multi_remove_handle(multi, handle)
            transfer.finish(code: code)
        }
    }

    private func key(_ handle: UnsafeMutableRawPointer) -> UInt { UInt(bitPattern: handle) }
}
