import FeatureKit
import Foundation
import SwitchyardCore
import Synchronization

@testable import UserPoints

/// The store's contract in memory: users with points, one state row, the handover and the
/// published generation. `lockHeldElsewhere` plays another replica's refresh; while
/// `holdReads` or `holdHandovers` is set, point reads or handovers wait (to have queries
/// arrive during one).
final class MemoryUserPointsStore: UserPointsStore {
    struct Contents {
        var points: [Int] = []  // index + 1 is the user id
        var state: PointsState?
        var slot: Int64?
        var lastQueryMicroseconds: Int64?
        var published: Int?
        var lockHeldElsewhere = false
        var pointReads = 0
        var handovers = 0
        var handoverCalls = 0
        var holdReads = false
        var holdHandovers = false
    }

    let contents = Mutex(Contents())
    private let random: RandomSource

    init(random: RandomSource = .seeded(7)) {
        self.random = random
    }

    func seed(users: Int, minNumber: Int) async throws {
        contents.withLock { contents in
            guard contents.state == nil else { return }
            contents.points = Array(repeating: 0, count: users)
            contents.state = PointsState(generation: 0, minNumber: minNumber, refreshedAt: nil, users: users, lastRefreshMilliseconds: nil)
        }
    }

    func query() async throws -> PointsQuery {
        while contents.withLock({ $0.holdReads }) { try await Task.sleep(for: .milliseconds(1)) }
        return try contents.withLock { contents in
            guard let state = contents.state else { throw Self.notSeeded }
            contents.pointReads += 1
            let above = contents.points.enumerated().lazy.filter { $0.element > state.minNumber }.prefix(2)
            return PointsQuery(
                generation: state.generation, minNumber: state.minNumber,
                users: state.minNumber < 100 ? above.map { ($0.offset + 1, $0.element) } : [])
        }
    }

    func state() async throws -> PointsState {
        try contents.withLock { contents in
            guard let state = contents.state else { throw Self.notSeeded }
            return state
        }
    }

    func refresh(minNumber: Int, slot: Int64?) async throws -> RefreshOutcome {
        try contents.withLock { contents in
            if contents.lockHeldElsewhere { return .alreadyRunning }
            guard let state = contents.state else { throw Self.notSeeded }
            if let slot, contents.slot == slot { return .alreadyDone }
            contents.points = contents.points.map { _ in random.int(in: 0...100) }
            contents.slot = slot ?? contents.slot
            let next = PointsState(
                generation: state.generation + 1, minNumber: minNumber, refreshedAt: Date(), users: state.users,
                lastRefreshMilliseconds: 1)
            contents.state = next
            return .refreshed(next)
        }
    }

    func handOver(nowMicroseconds: Int64, queries: Int) async throws -> Handover {
        contents.withLock { $0.handoverCalls += 1 }
        while contents.withLock({ $0.holdHandovers }) { try await Task.sleep(for: .milliseconds(1)) }
        return contents.withLock { contents in
            let previous = contents.lastQueryMicroseconds
            contents.handovers += queries
            let first = max(nowMicroseconds, (previous ?? .min) + 1)
            contents.lastQueryMicroseconds = first + Int64(queries - 1)
            return Handover(previousMicroseconds: previous, recordedMicroseconds: first, publishedGeneration: contents.published)
        }
    }

    func publish(generation: Int, replacing: Int?) async throws {
        contents.withLock { contents in
            if generation > contents.published ?? -1 || (replacing != nil && contents.published == replacing) {
                contents.published = generation
            }
        }
    }

    static let notSeeded = APIError(.serviceUnavailable, code: "NOT_SEEDED", message: "Users are not seeded yet.")
}
