import FeatureKit
import FeatureTesting
import Foundation
import Hummingbird
import HummingbirdTesting
import Metrics
import NIOCore
import NIOPosix
import SwitchyardJSON
import Testing

@testable import SwitchyardCore
@testable import UserPoints

/// Every user-points route through the router, over the in-memory store.
@Suite struct UserPointsRoutesTests {
    let store = MemoryUserPointsStore()
    let clock = ManualClock()

    func service(interval: Int = 60) -> UserPointsService {
        UserPointsService(
            store: store, clock: clock.wallClock, random: .seeded(1), interval: interval,
            queries: Counter(label: "q"), refreshDuration: Metrics.Timer(label: "d"), skippedRefreshes: Counter(label: "s"))
    }

    func app(adminToken: String? = nil) -> some ApplicationProtocol {
        let routes = UserPointsRoutes(service: service(), adminToken: adminToken)
        return routeTestApplication(prefix: "/user-points") { routes.addRoutes(to: $0) }
    }

    @Test func queryHandsOverThePreviousQueryTime() async throws {
        try await store.seed(users: 10, minNumber: 0)
        try await app().test(.router) { client in
            try await client.execute(uri: "/user-points/", method: .get) { response in
                #expect(response.status == .ok)
                // Generation 0: every user at 0 points, min_number 0, nobody above the bar.
                #expect(response.json == ["users": [], "timestamp": .null])
            }
            clock.advance(by: 1.5)
            try await client.execute(uri: "/user-points/", method: .get) { response in
                #expect(response.json?["timestamp"] == .string(iso8601(Date(timeIntervalSince1970: 1_800_000_000))))
            }
            // Two queries in the same microsecond still get distinct predecessors.
            try await client.execute(uri: "/user-points/", method: .get) { _ in }
            try await client.execute(uri: "/user-points/", method: .get) { response in
                #expect(response.json?["timestamp"] == .string("2027-01-15T08:00:01.500001Z"))
            }
        }
    }

    /// The original profile: the same handover under friendly's names, nothing else in the body.
    @Test func originalQueryUsesTheSeedsNames() async throws {
        try await store.seed(users: 50, minNumber: 0)
        let service = self.service()
        _ = try await service.refreshNow()
        let app = routeTestApplication(prefix: "/") { UserPointsOriginalRoutes(service: service).addRoutes(to: $0) }
        try await app.test(.router) { client in
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.json?["previous_query_timestamp"] == .null)
                #expect(response.json?.objectValue.map { Set($0.keys) } == ["previous_query_timestamp", "qualifying_users"])
                let users = response.json?["qualifying_users"]?.arrayValue ?? []
                #expect(users.count == 2)
                #expect(users.allSatisfy { $0.objectValue.map { Set($0.keys) } == ["id", "points"] })
            }
            clock.advance(by: 1)
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.json?["previous_query_timestamp"] == .string(iso8601(Date(timeIntervalSince1970: 1_800_000_000))))
            }
        }
    }

    @Test func queryAnswersUpToTwoUsersAboveTheBar() async throws {
        try await store.seed(users: 50, minNumber: 0)
        let service = self.service()
        _ = try await service.refreshNow()
        let answer = try await service.query()
        let minNumber = try await store.state().minNumber
        #expect(answer.users.count == 2)
        #expect(answer.users.allSatisfy { $0.points > minNumber })
        #expect(answer.users.map(\.id) == answer.users.map(\.id).sorted())
    }

    @Test func oneGenerationIsReadOnceThenServedFromMemory() async throws {
        try await store.seed(users: 10, minNumber: 0)
        let service = self.service()
        for _ in 0..<5 { _ = try await service.query() }
        #expect(store.contents.withLock { $0.pointReads } == 1)
        _ = try await service.refreshNow()
        for _ in 0..<5 { _ = try await service.query() }
        #expect(store.contents.withLock { $0.pointReads } == 2)
    }

    @Test func queriesAfterThisReplicasRefreshNeedNoRead() async throws {
        try await store.seed(users: 10, minNumber: 0)
        let service = self.service()
        _ = try await service.refreshNow()
        #expect(try await pointReads(byQueries: 5, of: service) == 0)
    }

    /// How many times the store's points were read while `service` answered `count` queries.
    private func pointReads(byQueries count: Int, of service: UserPointsService) async throws -> Int {
        let before = store.contents.withLock { $0.pointReads }
        for _ in 0..<count { _ = try await service.query() }
        return store.contents.withLock { $0.pointReads } - before
    }

    @Test func queriesBetweenThisReplicasRefreshAndItsPublishingNeedNoRead() async throws {
        try await store.seed(users: 10, minNumber: 0)
        let service = self.service()
        _ = try await service.refreshNow()
        // The next refresh has committed and its answer is remembered, not yet published.
        _ = try await store.refresh(minNumber: 0, slot: nil)
        service.answers.remember(try await store.query())
        #expect(try await pointReads(byQueries: 5, of: service) == 0)
    }

    @Test func aPublishedGenerationTheDatabaseNeverHadIsReplacedByItsOwn() async throws {
        try await store.seed(users: 10, minNumber: 0)
        // Redis outlived the database: it names generation 8704 of a database since recreated.
        store.contents.withLock { $0.published = 8704 }
        let service = self.service()
        #expect(try await pointReads(byQueries: 1, of: service) == 1)
        #expect(store.contents.withLock { $0.published } == 0)
        #expect(try await pointReads(byQueries: 5, of: service) == 0)
    }

    @Test func queriesArrivingDuringAGenerationsReadShareIt() async throws {
        try await store.seed(users: 10, minNumber: 0)
        let service = self.service()
        // Another replica's refresh: published, not in this one's memory.
        _ = try await store.refresh(minNumber: 0, slot: nil)
        try await store.publish(generation: 1, replacing: nil)
        store.contents.withLock { $0.holdReads = true }
        let answers = try await withThrowingTaskGroup(of: [Int].self) { group in
            for _ in 0..<8 { group.addTask { try await service.query().users.map(\.id) } }
            // Hang guard only: the eight handovers happen at once.
            let deadline = ContinuousClock.now + .seconds(30)
            while store.contents.withLock({ $0.handovers }) < 8, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(1))
            }
            store.contents.withLock { $0.holdReads = false }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(answers.count == 8)
        #expect(Set(answers).count == 1)
        #expect(store.contents.withLock { $0.pointReads } == 1)
    }

    @Test func queriesOfOneLoopTurnHandOverTogetherEachInItsOwnPlace() async throws {
        try await store.seed(users: 10, minNumber: 0)
        let service = self.service()
        _ = try await service.query()  // recorded at 1_800_000_000 s
        clock.advance(by: 1)
        // Five queries started in one job of an event loop: all arrive in one turn of it.
        let queries = try await MultiThreadedEventLoopGroup.singleton.next().submit {
            (0..<5).map { _ in Task.immediate { try await service.query() } }
        }.get()
        var previous: [Int64?] = []
        for task in queries { previous.append(try await task.value.previousQueryMicroseconds) }
        // One handover for the five, in the order they arrived: recorded a microsecond apart,
        // each after the one before.
        let start: Int64 = 1_800_000_000_000_000
        #expect(store.contents.withLock { $0.handoverCalls } == 2)
        #expect(previous == [start, start + 1_000_000, start + 1_000_001, start + 1_000_002, start + 1_000_003])
        #expect(store.contents.withLock { $0.lastQueryMicroseconds } == start + 1_000_004)
    }

    @Test func aHandoverSplitsIntoAChainInOrder() {
        let handover = Handover(previousMicroseconds: 7, recordedMicroseconds: 10, publishedGeneration: 3)
        #expect(
            handover.split(into: 3) == [
                Handover(previousMicroseconds: 7, recordedMicroseconds: 10, publishedGeneration: 3),
                Handover(previousMicroseconds: 10, recordedMicroseconds: 11, publishedGeneration: 3),
                Handover(previousMicroseconds: 11, recordedMicroseconds: 12, publishedGeneration: 3),
            ])
        #expect(
            Handover(previousMicroseconds: nil, recordedMicroseconds: 5, publishedGeneration: nil).split(into: 1).first?.previousMicroseconds == nil)
    }

    @Test func stateAndRefresh() async throws {
        try await store.seed(users: 10, minNumber: 0)
        try await app().test(.router) { client in
            try await client.execute(uri: "/user-points/state", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.json?["generation"] == 0)
                #expect(response.json?["users"] == 10)
                #expect(response.json?["refreshed_at"] == .null)
                #expect(response.json?["next_refresh_at"] == "2027-01-15T08:01:00.000000Z")
            }
            try await client.execute(uri: "/user-points/refresh", method: .post) { response in
                #expect(response.status == .ok)
                #expect(response.json?["generation"] == 1)
            }
        }
    }

    @Test func refreshNeedsTheAdminTokenWhenOneIsSet() async throws {
        try await store.seed(users: 10, minNumber: 0)
        try await app(adminToken: "t0ken").test(.router) { client in
            try await client.execute(uri: "/user-points/refresh", method: .post) { response in
                #expect(response.status == .unauthorized)
                #expect(response.json?["error"] == "UNAUTHORIZED")
            }
            try await client.execute(uri: "/user-points/refresh", method: .post, headers: [.authorization: "Bearer t0ken"]) {
                #expect($0.status == .ok)
            }
        }
        #expect(try await store.state().generation == 1)
    }

    @Test func refreshWhileAnotherRunsIs409() async throws {
        try await store.seed(users: 10, minNumber: 0)
        store.contents.withLock { $0.lockHeldElsewhere = true }
        try await app().test(.router) { client in
            try await client.execute(uri: "/user-points/refresh", method: .post) { response in
                #expect(response.status == .conflict)
                #expect(response.json?["error"] == "REFRESH_RUNNING")
            }
        }
    }

    @Test func notSeededIs503() async throws {
        try await app().test(.router) { client in
            for uri in ["/user-points/", "/user-points/state"] {
                try await client.execute(uri: uri, method: .get) { response in
                    #expect(response.status == .serviceUnavailable)
                    #expect(response.json?["error"] == "NOT_SEEDED")
                }
            }
        }
    }

    @Test func scheduledRefreshRunsOncePerSlot() async throws {
        try await store.seed(users: 10, minNumber: 0)
        let service = self.service(interval: 10)
        let slot = service.nextSlot(after: clock.wallClock.now()).slot
        try await service.scheduledRefresh(slot: slot)
        try await service.scheduledRefresh(slot: slot)
        #expect(try await store.state().generation == 1)
        try await service.scheduledRefresh(slot: slot + 1)
        #expect(try await store.state().generation == 2)
    }
}

@Suite struct PointsDrawTests {
    @Test func drawnPointsAreUniformAndAsManyAsAskedFor() {
        var generator = SplitMix64(seed: 2026)
        var observed = [Int](repeating: 0, count: 101)
        for count in [0, 1, 7, 8, 9, 1_000, 99_975] {
            let points = PostgresRedisUserPointsStore.drawPoints(count: count, using: &generator)
            #expect(points.count == count)
            for value in points { observed[Int(value)] += 1 }
        }
        #expect(observed.reduce(0, +) == 101_000)
        // 101 cells, 100 degrees of freedom: mean 100, sd about 14; 200 is a generous bound.
        let chiSquare = observed.reduce(0.0) { $0 + pow(Double($1) - 1000, 2) / 1000 }
        #expect(chiSquare < 200, "chi-square \(chiSquare)")
    }
}
