import Synchronization

/// Concurrent reads of the same key share one round trip without ever answering from a read
/// that began before the caller arrived. While a read of a key runs, callers gather; when it
/// ends, the first of them reads once for all of them. Each answer is therefore as fresh as a
/// read of the caller's own (anything that completed before the caller arrived is in it), and
/// under load one read serves many callers instead of one each.
public final class CoalescedReads<Value: Sendable>: Sendable {
    public init() {}

    private typealias Waiter = CheckedContinuation<Turn, Never>

    /// What a gathered caller is woken with: the answer of the read it waited for, or the task
    /// of making that read for the others who gathered with it.
    private enum Turn {
        case answer(Result<Value, any Error>)
        case lead([Waiter])
    }

    /// Per key with a read running: the callers gathered for the next one.
    private let gathering = Mutex<[String: [Waiter]]>([:])

    public func value(for key: String, _ read: @Sendable () async throws -> Value) async throws -> Value {
        let leadsNow = gathering.withLock { gathering in
            guard gathering[key] == nil else { return false }
            gathering[key] = []
            return true
        }
        if leadsNow { return try await lead(key, followers: [], read) }
        let turn = await withCheckedContinuation { (waiter: Waiter) in
            // The running read may have ended since the look above: then this caller leads.
            let leadsNow = gathering.withLock { gathering in
                guard gathering[key] != nil else {
                    gathering[key] = []
                    return true
                }
                gathering[key]!.append(waiter)
                return false
            }
            if leadsNow { waiter.resume(returning: .lead([])) }
        }
        switch turn {
        case .answer(let result): return try result.get()
        case .lead(let followers): return try await lead(key, followers: followers, read)
        }
    }

    /// How many callers wait for the next read of `key` (tests wait on it).
    func gatheredCount(for key: String) -> Int {
        gathering.withLock { $0[key]?.count ?? 0 }
    }

    /// Reads for itself and `followers` (all of whom arrived before this read began), answers
    /// them, then hands the next read to whoever gathered meanwhile.
    private func lead(_ key: String, followers: [Waiter], _ read: @Sendable () async throws -> Value) async throws -> Value {
        let result: Result<Value, any Error>
        do {
            result = .success(try await read())
        } catch {
            result = .failure(error)
        }
        if case .failure = result, Task.isCancelled, let first = followers.first {
            // The read failed because this caller gave up, not for the others: one of them reads.
            first.resume(returning: .lead(Array(followers.dropFirst())))
        } else {
            for follower in followers { follower.resume(returning: .answer(result)) }
        }
        let next = gathering.withLock { gathering in
            let next = gathering[key] ?? []
            gathering[key] = next.isEmpty ? nil : []
            return next
        }
        if let first = next.first { first.resume(returning: .lead(Array(next.dropFirst()))) }
        return try result.get()
    }
}
