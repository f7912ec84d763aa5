import FeatureKit
import Foundation
import Metrics
import SwitchyardCore
import SwitchyardJSON
import Synchronization

/// The rules of user-points: the query with its predecessor's timestamp, refreshes on demand
/// and on schedule. No HTTP and no storage calls of its own: it works through the store.
struct UserPointsService: Sendable {
    let store: any UserPointsStore
    /// The answer of the newest generation seen: it holds for every query of that generation.
    let answers = GenerationAnswers()
    let reads = SharedRuns<GenerationUsers>()
    /// Queries of one event-loop turn hand over together (the script is atomic: handovers of
    /// successive turns may overlap).
    let handovers = CoalescedCalls<Handover>(gathering: .forLoopTurn)
    let clock: WallClock
    let random: RandomSource
    let interval: Int
    let queries: Counter
    let refreshDuration: Metrics.Timer
    let skippedRefreshes: Counter

    /// One store round trip when the generation's answer is known: the handover tells the
    /// current generation. The points are read when it is not (first query of a generation,
    /// another replica's refresh, or a generation never published), in one consistent read
    /// whose generation is then published. Under load one handover serves every query that
    /// arrived in one event-loop turn: it moves the chain by their number, and each
    /// query gets its own place in it, recorded when the handover is sent.
    func query() async throws -> PointsAnswer {
        let handover = try await handovers.answer(for: "") { [clock, store] queries in
            let now = Int64((clock.now().timeIntervalSince1970 * 1_000_000).rounded(.down))
            return try await store.handOver(nowMicroseconds: now, queries: queries).split(into: queries)
        }
        let users: GenerationUsers
        if let published = handover.publishedGeneration, let known = answers.users(for: published) {
            users = known
        } else {
            users = try await read(published: handover.publishedGeneration)
        }
        queries.increment()
        return PointsAnswer(users: users.users, usersJSON: users.json, previousQueryMicroseconds: handover.previousMicroseconds)
    }

    /// The points read from the store, shared by the queries that find the same generation
    /// published and not yet in memory: after a refresh, the first burst of queries makes one
    /// read, not one each. A read started after `published` was seen returns it or a newer one,
    /// so every query that joins it sees at least the generation its handover found. A read
    /// that finds an older one shows that `published` never was this database's (a database
    /// restored or recreated under the same Redis): it is replaced, or every later query would
    /// read PostgreSQL too.
    private func read(published: Int?) async throws -> GenerationUsers {
        try await reads.value(for: String(published ?? -1)) { [store, answers] in
            let result = try await store.query()
            let users = answers.remember(result)
            if result.generation != published {
                try await store.publish(generation: result.generation, replacing: published)
            }
            return users
        }
    }

    func status() async throws -> RefreshStatus {
        status(try await store.state())
    }

    /// `POST /refresh`: refreshes now; 409 while another refresh runs.
    func refreshNow() async throws -> RefreshStatus {
        switch try await timedRefresh(slot: nil) {
        case .refreshed(let state): return status(state)
        case .alreadyRunning, .alreadyDone:
            throw APIError(.conflict, code: "REFRESH_RUNNING", message: "A refresh is already running.")
        }
    }

    /// The scheduled tick for interval `slot`: at most one refresh per slot across replicas.
    func scheduledRefresh(slot: Int64) async throws {
        if try await timedRefresh(slot: slot) == .alreadyRunning {
            skippedRefreshes.increment()
        }
    }

    /// A refresh is complete once its generation is published: queries that start later see it.
    /// The refreshing replica reads the new answer before publishing it, so its own queries
    /// find it in memory and never wait for that read (a failed read only leaves it to them).
    private func timedRefresh(slot: Int64?) async throws -> RefreshOutcome {
        let start = ContinuousClock.now
        let outcome = try await store.refresh(minNumber: random.int(in: 0...100), slot: slot)
        if case .refreshed(let state) = outcome {
            if let answer = try? await store.query() { answers.remember(answer) }
            try await store.publish(generation: state.generation, replacing: nil)
            refreshDuration.recordNanoseconds(Int64((ContinuousClock.now - start) / .nanoseconds(1)))
        }
        return outcome
    }

    /// Interval slots are wall-clock aligned, so every replica's tick falls on the same boundary.
    func nextSlot(after date: Date) -> (slot: Int64, at: Date) {
        let slot = Int64((date.timeIntervalSince1970 / Double(interval)).rounded(.down)) + 1
        return (slot, Date(timeIntervalSince1970: Double(slot) * Double(interval)))
    }

    private func status(_ state: PointsState) -> RefreshStatus {
        RefreshStatus(state: state, nextRefreshAt: nextSlot(after: clock.now()).at)
    }
}

/// The two users of the two newest generations seen, kept in memory. Two, because the refreshing
/// replica remembers its new generation just before publishing it: its queries whose handover
/// still found the previous one answer from memory too, instead of reading it again.
final class GenerationAnswers: Sendable {
    private let newest = Mutex<[GenerationUsers]>([])

    func users(for generation: Int) -> GenerationUsers? {
        newest.withLock { kept in kept.first { $0.generation == generation } }
    }

    @discardableResult
    func remember(_ answer: PointsQuery) -> GenerationUsers {
        newest.withLock { kept in
            if let known = kept.first(where: { $0.generation == answer.generation }) { return known }
            let users = GenerationUsers(answer)
            kept.append(users)
            kept.sort { $0.generation < $1.generation }
            if kept.count > 2 { kept.removeFirst(kept.count - 2) }
            return users
        }
    }
}

/// A generation's users and their JSON array, encoded once: every query of the generation
/// answers with the same array.
struct GenerationUsers: Sendable {
    let generation: Int
    let users: [(id: Int, points: Int)]
    let json: [UInt8]

    init(_ query: PointsQuery) {
        generation = query.generation
        users = query.users
        json = JSONValue.array(users.map { ["id": .int(Int64($0.id)), "points": .int(Int64($0.points))] }).encoded()
    }
}
