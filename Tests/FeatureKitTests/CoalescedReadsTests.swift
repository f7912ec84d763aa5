import Synchronization
import Testing

@testable import SwitchyardCore

@Suite struct CoalescedReadsTests {
    /// A counter the concurrent callers and reads share.
    final class Stamps: Sendable {
        private let value = Atomic<Int>(0)
        func next() -> Int { value.add(1, ordering: .sequentiallyConsistent).newValue }
        var current: Int { value.load(ordering: .sequentiallyConsistent) }
    }

    /// Waits (hang guard: 30 s) until `count` callers gather for the next read of `key`.
    static func waitUntil(_ reads: CoalescedReads<Int>, gathers count: Int, for key: String) async throws {
        let clock = ContinuousClock()
        let start = clock.now
        while reads.gatheredCount(for: key) < count {
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
        try await Self.waitUntil(reads, gathers: 5, for: "k")
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
        #expect(reads.gatheredCount(for: "k") == 0)
    }

    struct Down: Error {}

    @Test func aFailedReadFailsItsCallersOnlyAndTheNextReadServesAgain() async throws {
        let reads = CoalescedReads<Int>()
        let (first, release) = await Self.heldRead(of: reads) { 1 }
        let failing = (0..<3).map { _ in Task { try await reads.value(for: "k") { throw Down() } } }
        try await Self.waitUntil(reads, gathers: 3, for: "k")
        release()
        #expect(try await first.value == 1)
        for task in failing { await #expect(throws: Down.self) { try await task.value } }
        #expect(try await reads.value(for: "k") { 2 } == 2)
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
        try await Self.waitUntil(reads, gathers: 1, for: "k")
        let follower = Task { try await reads.value(for: "k") { 3 } }
        try await Self.waitUntil(reads, gathers: 2, for: "k")
        release()
        #expect(try await running.value == 1)
        for await _ in leaderEntered { break }
        cancelled.cancel()
        await #expect(throws: CancellationError.self) { try await cancelled.value }
        #expect(try await follower.value == 3)
    }
}
