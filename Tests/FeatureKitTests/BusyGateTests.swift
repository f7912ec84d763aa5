import FeatureKit
import SwitchyardCore
import Testing

@Suite struct BusyGateTests {
    @Test func aSecondRunWhileOneRunsIsRefusedWith429() async throws {
        let gate = BusyGate(retryAfterSeconds: 7)
        let (entered, enteredSignal) = AsyncStream.makeStream(of: Void.self)
        let (release, releaseSignal) = AsyncStream.makeStream(of: Void.self)
        let first = Task {
            try await gate.run {
                enteredSignal.yield()
                for await _ in release { break }
                return 1
            }
        }
        for await _ in entered { break }
        let error = await #expect(throws: APIError.self) { try await gate.run { 2 } }
        #expect(error?.status == .tooManyRequests)
        #expect(error?.code == "BUSY")
        #expect(error?.headers[.retryAfter] == "7")
        releaseSignal.yield()
        #expect(try await first.value == 1)
        // Free again once the first run is over, also after a run that threw.
        await #expect(throws: APIError.self) { try await gate.run { () -> Int in throw APIError.badRequest("x") } }
        #expect(try await gate.run { 3 } == 3)
    }
}

@Suite struct FIFOSemaphoreDeadlineTests {
    @Test func aWaiterGivesUpAtItsDeadlineAndLosesNoPermit() async throws {
        let semaphore = FIFOSemaphore(permits: 1)
        try await semaphore.acquire()
        await #expect(throws: FIFOSemaphore.TimedOut.self) { try await semaphore.acquire(within: .milliseconds(50)) }
        semaphore.release()
        // The permit is there for the next caller, at once.
        try await semaphore.acquire(within: .seconds(30))
        semaphore.release()
        // Many waiters racing their deadlines against releases: permits end up all back.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<200 {
                group.addTask {
                    do {
                        try await semaphore.acquire(within: .microseconds(index * 50))
                        semaphore.release()
                    } catch is FIFOSemaphore.TimedOut {}
                }
            }
            try await group.waitForAll()
        }
        try await semaphore.acquire(within: .seconds(30))
    }
}
