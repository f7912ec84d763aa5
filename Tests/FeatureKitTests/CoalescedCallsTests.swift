import NIOCore
import NIOPosix
import Synchronization
import Testing

@testable import SwitchyardCore

@Suite struct CoalescedCallsTests {
    /// A counter the concurrent callers and reads share.
    final class Stamps: Sendable {
        private let value = Atomic<Int>(0)
        func next() -> Int { add(1) }
        func add(_ amount: Int) -> Int { value.add(amount, ordering: .sequentiallyConsistent).newValue }
        var current: Int { value.load(ordering: .sequentiallyConsistent) }
    }

    /// Waits (hang guard: 30 s) until `count` callers gather for the next call for `key`.
    static func waitUntil(_ calls: CoalescedCalls<Int>, gathers count: Int, for key: String) async throws {
        let clock = ContinuousClock()
        let start = clock.now
        while calls.gatheredCount(for: key) < count {
            try #require(clock.now - start < .seconds(30), "callers never gathered")
            try await Task.sleep(for: .milliseconds(1))
        }
    }

    /// Starts a read of "k" that stays out until `release` is called; returns once it is out.
    static func heldRead(
        of reads: CoalescedReads<Int>, _ answer: @escaping @Sendable () -> Int
    ) async -> (task: Task<Int, any Error>, release: @Sendable () -> Void) {
        let (release, releaseSignal) = AsyncStream.makeStream(of: Void.self)
        let (entered, enteredSignal) = AsyncStream.makeStream(of: Void.self)
        let task = Task {
            try await reads.value(for: "k") {
                enteredSignal.yield()
                for await _ in release { break }
                return answer()
            }
        }
        for await _ in entered { break }
        return (task, { releaseSignal.yield() })
    }

    @Test func callersArrivingDuringAReadShareTheNextOneNotThatOne() async throws {
        let reads = CoalescedReads<Int>()
        let started = Stamps()
        let (first, release) = await Self.heldRead(of: reads) { started.next() }
        let later = (0..<5).map { _ in
            Task { try await reads.value(for: "k") { started.next() } }
        }
        try await Self.waitUntil(reads.calls, gathers: 5, for: "k")
        release()
        #expect(try await first.value == 1)
        for task in later { #expect(try await task.value == 2) }
        #expect(started.current == 2)
        // Another key never waits for this one.
        #expect(try await reads.value(for: "other") { 7 } == 7)
    }

    @Test func everyAnswerComesFromAReadThatBeganAfterItsCallerArrived() async throws {
        let reads = CoalescedReads<Int>()
        let clock = Stamps()

        let callers = 2_000
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<callers {
                group.addTask {
                    let arrived = clock.next()
                    let readStart = try await reads.value(for: "k") {
                        let start = clock.next()
                        await Task.yield()
                        return start
                    }
                    #expect(readStart > arrived)
                }
            }
            try await group.waitForAll()
        }
        #expect(reads.calls.gatheredCount(for: "k") == 0)
    }

    struct Down: Error {}

    @Test func aFailedReadFailsItsCallersOnlyAndTheNextReadServesAgain() async throws {
        let reads = CoalescedReads<Int>()
        let (first, release) = await Self.heldRead(of: reads) { 1 }
        let failing = (0..<3).map { _ in Task { try await reads.value(for: "k") { throw Down() } } }
        try await Self.waitUntil(reads.calls, gathers: 3, for: "k")
        release()
        #expect(try await first.value == 1)
        for task in failing { await #expect(throws: Down.self) { try await task.value } }
        #expect(try await reads.value(for: "k") { 2 } == 2)
    }

    @Test func callersGatheredForAWriteEachGetTheirOwnShareInTheOrderTheyArrived() async throws {
        let calls = CoalescedCalls<Int>()
        let total = Stamps()
        let (release, releaseSignal) = AsyncStream.makeStream(of: Void.self)
        let (entered, enteredSignal) = AsyncStream.makeStream(of: Void.self)
        // An increment by the number of callers; caller i of n gets the total it saw plus i.
        let increment: @Sendable (Int) -> [Int] = { callers in
            let after = total.add(callers)
            return (0..<callers).map { after - callers + 1 + $0 }
        }
        let first = Task {
            try await calls.answer(for: "k") { callers in
                enteredSignal.yield()
                for await _ in release { break }
                return increment(callers)
            }
        }
        for await _ in entered { break }
        var later: [Task<Int, any Error>] = []
        for index in 0..<4 {
            later.append(Task { try await calls.answer(for: "k") { increment($0) } })
            // One at a time, so that the order they arrived in is known.
            try await Self.waitUntil(calls, gathers: index + 1, for: "k")
        }
        releaseSignal.yield()
        #expect(try await first.value == 1)
        var answers: [Int] = []
        for task in later { answers.append(try await task.value) }
        #expect(answers == [2, 3, 4, 5])
        #expect(total.current == 5)
    }

    @Test func aCancelledLeaderHandsItsFollowersAReadOfTheirOwn() async throws {
        let reads = CoalescedReads<Int>()
        let (running, release) = await Self.heldRead(of: reads) { 1 }
        // Two callers gather; the first of them leads the next read and is cancelled in it.
        let (leaderEntered, leaderEnteredSignal) = AsyncStream.makeStream(of: Void.self)
        let cancelled = Task {
            try await reads.value(for: "k") {
                leaderEnteredSignal.yield()
                try await Task.sleep(for: .seconds(60))
                return 2
            }
        }
        try await Self.waitUntil(reads.calls, gathers: 1, for: "k")
        let follower = Task { try await reads.value(for: "k") { 3 } }
        try await Self.waitUntil(reads.calls, gathers: 2, for: "k")
        release()
        #expect(try await running.value == 1)
        for await _ in leaderEntered { break }
        cancelled.cancel()
        await #expect(throws: CancellationError.self) { try await cancelled.value }
        #expect(try await follower.value == 3)
    }

    /// Calls that stay out until released, counting how many run at once.
    final class HeldCalls: Sendable {
        private let running = Atomic<Int>(0)
        private let most = Atomic<Int>(0)
        private let releases = Atomic<Int>(0)

        var isRunning: Bool { running.load(ordering: .sequentiallyConsistent) > 0 }
        var mostAtOnce: Int { most.load(ordering: .sequentiallyConsistent) }

        func call(_ callers: Int, answer: Int) async throws -> [Int] {
            let now = running.add(1, ordering: .sequentiallyConsistent).newValue
            most.max(now, ordering: .sequentiallyConsistent)
            defer { running.subtract(1, ordering: .sequentiallyConsistent) }
            // Polls for a release (each ends one call), so two calls at once fail the count, not the test.
            while true {
                try Task.checkCancellation()
                let left = releases.load(ordering: .sequentiallyConsistent)
                if left > 0, releases.compareExchange(expected: left, desired: left - 1, ordering: .sequentiallyConsistent).exchanged { break }
                try await Task.sleep(for: .milliseconds(1))
            }
            return Array(repeating: answer, count: callers)
        }

        func releaseOne() { releases.add(1, ordering: .sequentiallyConsistent) }

        /// Waits (hang guard: 30 s) until a call is out.
        func waitUntilRunning() async throws {
            let start = ContinuousClock.now
            while !isRunning {
                try #require(ContinuousClock.now - start < .seconds(30), "no call started")
                try await Task.sleep(for: .milliseconds(1))
            }
        }
    }

    /// After a cancelled leader, exactly one call runs at a time: the follower it hands over to,
    /// and only after it the callers who gathered during the cancelled call.
    @Test func aCancelledLeaderHandsOverToExactlyOneLeader() async throws {
        let calls = CoalescedCalls<Int>()
        let held = HeldCalls()
        let first = Task { try await calls.answer(for: "k") { try await held.call($0, answer: 1) } }
        try await held.waitUntilRunning()
        // A and B gather for the second call; A will lead it and be cancelled in it.
        let leader = Task { try await calls.answer(for: "k") { try await held.call($0, answer: 2) } }
        try await Self.waitUntil(calls, gathers: 1, for: "k")
        let follower = Task { try await calls.answer(for: "k") { try await held.call($0, answer: 3) } }
        try await Self.waitUntil(calls, gathers: 2, for: "k")
        held.releaseOne()
        #expect(try await first.value == 1)
        // The second call is out; C and D gather for the third.
        try await held.waitUntilRunning()
        let late = (0..<2).map { index in Task { try await calls.answer(for: "k") { try await held.call($0, answer: 4 + index) } } }
        try await Self.waitUntil(calls, gathers: 2, for: "k")
        leader.cancel()
        await #expect(throws: CancellationError.self) { try await leader.value }
        // B now calls for itself; C and D wait for it, then share the next call.
        try await held.waitUntilRunning()
        held.releaseOne()
        #expect(try await follower.value == 3)
        try await held.waitUntilRunning()
        held.releaseOne()
        let answers = [try await late[0].value, try await late[1].value]
        #expect(answers.allSatisfy { $0 == answers[0] } && answers[0] >= 4)
        #expect(held.mostAtOnce == 1)
    }

    /// How many callers each call was made for, in the order the calls were made.
    final class CallSizes: Sendable {
        private let sizes = Mutex<[Int]>([])
        func record(_ callers: Int) { sizes.withLock { $0.append(callers) } }
        var all: [Int] { sizes.withLock { $0 } }
    }

    /// Starts `count` callers in one job of an event loop: each runs on the loop until it waits,
    /// so all of them arrive in one turn of it, in order.
    static func callersInOneTurn(
        _ count: Int, of calls: CoalescedCalls<Int>, on loop: any EventLoop,
        _ call: @escaping @Sendable (Int) async throws -> [Int]
    ) async throws -> [Task<Int, any Error>] {
        try await loop.submit {
            (0..<count).map { _ in Task.immediate { try await calls.answer(for: "k", call) } }
        }.get()
    }

    @Test func callersOfOneLoopTurnShareOneCallEachWithTheirShareInOrder() async throws {
        let calls = CoalescedCalls<Int>(gathering: .forLoopTurn)
        let total = Stamps()
        let sizes = CallSizes()
        let tasks = try await Self.callersInOneTurn(3, of: calls, on: MultiThreadedEventLoopGroup.singleton.next()) { callers in
            sizes.record(callers)
            let after = total.add(callers)
            return (0..<callers).map { after - callers + 1 + $0 }
        }
        var answers: [Int] = []
        for task in tasks { answers.append(try await task.value) }
        #expect(answers == [1, 2, 3])
        #expect(sizes.all == [3])
    }

    @Test func aLaterTurnsCallDoesNotWaitForAnEarlierTurnsCall() async throws {
        let calls = CoalescedCalls<Int>(gathering: .forLoopTurn)
        let held = HeldCalls()
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let first = try await Self.callersInOneTurn(2, of: calls, on: loop) { try await held.call($0, answer: 1) }
        try await held.waitUntilRunning()
        let second = try await Self.callersInOneTurn(2, of: calls, on: loop) { try await held.call($0, answer: 2) }
        // Both calls out at once (hang guard: 30 s), then both answer their own callers.
        let start = ContinuousClock.now
        while held.mostAtOnce < 2 {
            try #require(ContinuousClock.now - start < .seconds(30), "the later turn's call waited")
            try await Task.sleep(for: .milliseconds(1))
        }
        held.releaseOne()
        held.releaseOne()
        for task in first { #expect(try await task.value == 1) }
        for task in second { #expect(try await task.value == 2) }
    }

    @Test func callersOffAnEventLoopEachCallAlone() async throws {
        let calls = CoalescedCalls<Int>(gathering: .forLoopTurn)
        let sizes = CallSizes()
        try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<8 {
                group.addTask {
                    try await calls.answer(for: "k") { callers in
                        sizes.record(callers)
                        return Array(repeating: index, count: callers)
                    }
                }
            }
            let answers = try await group.reduce(into: Set<Int>()) { $0.insert($1) }
            #expect(answers == Set(0..<8))
        }
        #expect(sizes.all == Array(repeating: 1, count: 8))
    }
}
