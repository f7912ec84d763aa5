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
    }

    private static let globalInit: Void = {
        curl_global_init(Int(CURL_GLOBAL_ALL))
    }()

    private let multi: UnsafeMutableRawPointer
    private let inbox = Mutex<(commands: [Command], closing: Bool, polling: Bool)>(([], false, false))
    private let stopped = Mutex<CheckedContinuation<Void, Never>?>(nil)
    // Touched only by the driver thread.
    private var running: [UInt: CurlTransfer] = [:]

    init() {
        _ = Self.globalInit
        multi = curl_multi_init()
        let thread = Thread { self.serve() }
        thread.name = "curl-multi"
        thread.start()
    }

    func add(_ transfer: CurlTransfer) throws {
        let wake = try inbox.withLock { inbox in
            if inbox.closing { throw HTTPClientError.shutdown }
            inbox.commands.append(.add(transfer))
            // One wakeup per poll is enough: the driver takes every queued command when it wakes.
            defer { inbox.polling = false }
            return inbox.polling
        }
        if wake { curl_multi_wakeup(multi) }
    }

    func cancel(_ transfer: CurlTransfer) {
        transfer.cancelled.store(true, ordering: .relaxed)
        inbox.withLock { $0.commands.append(.cancel(transfer)) }
        curl_multi_wakeup(multi)
    }

    /// Cancels what is still running, frees every handle and ends the thread.
    func shutdown() async {
        await withCheckedContinuation { continuation in
            stopped.withLock { $0 = continuation }
            inbox.withLock { $0.closing = true }
            curl_multi_wakeup(multi)
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
            if closing { break }
            curl_multi_perform(multi, &stillRunning)
            collectFinished()
            let idle = inbox.withLock { inbox in
                inbox.polling = inbox.commands.isEmpty
                return inbox.polling
            }
            if idle { curl_multi_poll(multi, nil, 0, 1000, nil) }
            inbox.withLock { $0.polling = false }
        }
        for transfer in running.values {
            curl_multi_remove_handle(multi, transfer.handle)
            transfer.fail(HTTPClientError.shutdown)
        }
        running = [:]
        curl_multi_cleanup(multi)
        stopped.withLock { $0 }?.resume()
    }

    private func apply(_ command: Command) {
        switch command {
        case .add(let transfer):
            if transfer.cancelled.load(ordering: .relaxed) {
                transfer.fail(CancellationError())
                return
            }
            running[key(transfer.handle)] = transfer
            curl_multi_add_handle(multi, transfer.handle)
        case .cancel(let transfer):
            guard running.removeValue(forKey: key(transfer.handle)) != nil else { return }
            curl_multi_remove_handle(multi, transfer.handle)
            transfer.fail(CancellationError())
        }
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
