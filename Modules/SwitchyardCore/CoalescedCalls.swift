import NIOCore
import NIOPosix
import Synchronization

/// Concurrent calls for the same key share one round trip without ever answering from a call
/// that began before the caller arrived: a read is therefore as fresh as a read of the
/// caller's own, a write counts every caller's share (an increment by n, a chain moved n
/// steps), and under load one round trip serves many callers instead of one each.
///
/// When callers gather is the `Gathering`: while the previous call for the key runs (one call
/// at a time, for work that must not overlap or is costly), or for one turn of the caller's
/// event loop (calls pipelined: a turn's callers never wait for an earlier turn's round trip).
public final class CoalescedCalls<Answer: Sendable>: Sendable {
    public enum Gathering: Sendable {
        /// While a call for a key runs, callers gather; when it ends, the first of them makes
        /// one call for all of them.
        case whileCallRuns
        /// The callers on one event loop gather until the end of the loop's turn (the reads of
        /// every connection that woke it), when the first of them makes one call for all of
        /// them. Callers off an event loop each make their own call.
        case forLoopTurn
    }

    public init(gathering: Gathering = .whileCallRuns) {
        self.mode = gathering
    }

    private typealias Waiter = CheckedContinuation<Turn, Never>

    /// What a gathered caller is woken with: its answer from the call it waited for, or the
    /// task of making that call for the others who gathered with it.
    private enum Turn {
        case answer(Result<Answer, any Error>)
        case lead([Waiter])
    }

    private let mode: Gathering
    /// Per key with a call running: the callers gathered for the next one.
    private let gathering = Mutex<[String: [Waiter]]>([:])
    /// Per key and event loop whose turn has callers: the first of them, then the others.
    private let turns = Mutex<[LoopTurn: [Waiter]]>([:])

    private struct LoopTurn: Hashable {
        let key: String
        let loop: ObjectIdentifier
    }

    /// `call(n)` does the work of `n` callers at once and returns their `n` answers: the first
    /// for the caller making it, then one for each other caller in the order they arrived. Only
    /// the call of the caller that makes it runs, so callers of one key must pass the same work.
    /// A call that throws `CancellationError` must have done nothing: when the caller making it
    /// was cancelled, the others get a call of their own.
    public func answer(for key: String, _ call: @Sendable (_ callers: Int) async throws -> [Answer]) async throws -> Answer {
        if case .forLoopTurn = mode { return try await answerForLoopTurn(key, call) }
        let leadsNow = gathering.withLock { gathering in
            guard gathering[key] == nil else { return false }
            gathering[key] = []
            return true
        }
        if leadsNow { return try await lead(key, followers: [], call) }
        let turn = await withCheckedContinuation { (waiter: Waiter) in
            // The running call may have ended since the look above: then this caller leads.
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
        case .lead(let followers): return try await lead(key, followers: followers, call)
        }
    }

    private func answerForLoopTurn(_ key: String, _ call: @Sendable (Int) async throws -> [Answer]) async throws -> Answer {
        guard let loop = MultiThreadedEventLoopGroup.currentEventLoop else { return try await lead(key, followers: [], call) }
        let turn = LoopTurn(key: key, loop: ObjectIdentifier(loop))
        let woken = await withCheckedContinuation { (waiter: Waiter) in
            let first = turns.withLock { turns in
                guard turns[turn] != nil else {
                    turns[turn] = [waiter]
                    return true
                }
                turns[turn]!.append(waiter)
                return false
            }
            // Runs after the reads of this turn, whose callers have gathered by then.
            if first { loop.execute { self.endTurn(turn) } }
        }
        switch woken {
        case .answer(let result): return try result.get()
        case .lead(let followers): return try await lead(key, followers: followers, call)
        }
    }

    private func endTurn(_ turn: LoopTurn) {
        let waiters = turns.withLock { $0.removeValue(forKey: turn) } ?? []
        waiters.first?.resume(returning: .lead(Array(waiters.dropFirst())))
    }

    /// How many callers wait for the next call for `key` (tests wait on it).
    func gatheredCount(for key: String) -> Int {
        gathering.withLock { $0[key]?.count ?? 0 }
    }

    /// Calls for itself and `followers` (all of whom arrived before this call began), answers
    /// them, then hands the next call to whoever gathered meanwhile.
    private func lead(
        _ key: String, followers: [Waiter], _ call: @Sendable (Int) async throws -> [Answer]
    ) async throws -> Answer {
        let result: Result<[Answer], any Error>
        do {
            let answers = try await call(followers.count + 1)
            precondition(answers.count == followers.count + 1, "a coalesced call must answer each of its callers")
            result = .success(answers)
        } catch {
            result = .failure(error)
        }
        if case .failure(let error) = result, error is CancellationError, Task.isCancelled, let first = followers.first {
            // The call gave up because this caller did, not for the others: one of them calls,
            // and it alone; those gathered meanwhile go on waiting for its call to end.
            first.resume(returning: .lead(Array(followers.dropFirst())))
            return try result.get()[0]
        }
        for (index, follower) in followers.enumerated() {
            follower.resume(returning: .answer(result.map { $0[index + 1] }))
        }
        guard case .whileCallRuns = mode else { return try result.get()[0] }
        let next = gathering.withLock { gathering in
            let next = gathering[key] ?? []
            gathering[key] = next.isEmpty ? nil : []
            return next
        }
        if let first = next.first { first.resume(returning: .lead(Array(next.dropFirst()))) }
        return try result.get()[0]
    }
}

/// Concurrent reads of one key share a read sent after all of them arrived (`CoalescedCalls`
/// where every caller gets the same answer).
public final class CoalescedReads<Value: Sendable>: Sendable {
    public init(gathering: CoalescedCalls<Value>.Gathering = .whileCallRuns) {
        calls = CoalescedCalls(gathering: gathering)
    }

    let calls: CoalescedCalls<Value>

    public func value(for key: String, _ read: @Sendable () async throws -> Value) async throws -> Value {
        try await calls.answer(for: key) { callers in
            let value = try await read()
            return Array(repeating: value, count: callers)
        }
    }
}
