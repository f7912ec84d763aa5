import FeatureKit
import Foundation
import Hummingbird
import HummingbirdTesting
import IntegrationSupport
import NIOCore
import Postgres
import Redis
import ServiceLifecycle
import SwitchyardCore
import SwitchyardHost
import Synchronization
import Testing

@testable import UserPoints

/// user-points against real PostgreSQL and Redis, each test on a fresh database and key.
struct UserPointsFixture {
    let databaseURL: String
    let timestampKey = "test:user-points:\(UUID().uuidString)"

    static func make() async throws -> UserPointsFixture {
        UserPointsFixture(databaseURL: try await FreshDatabase.create())
    }

    func server(users: Int = 2000, interval: Int = 3600, port: Int = 0) async throws -> Switchyard {
        let settings = try await ConfigSources.reader(
            flags: ["http.port": String(port)], configFile: nil,
            environment: [
                "REDIS_URL": try TestEnvironment.redisURL, "DATABASE_URL": databaseURL, "FEATURES": "user-points",
                "FEATURES_USER_POINTS_SEED_USERS": String(users), "FEATURES_USER_POINTS_REDIS_KEY": timestampKey,
                "FEATURES_USER_POINTS_REFRESH_INTERVAL": String(interval),
            ])
        return try await Switchyard.build(settings: settings, knownFeatures: [UserPointsFeature.self])
    }

    func store() throws -> PostgresRedisUserPointsStore {
        PostgresRedisUserPointsStore(
            postgres: PostgresClient(configuration: try PostgresConfiguration(url: databaseURL, minConnections: 0)),
            redis: RedisClient(configuration: try RedisConfiguration(url: try TestEnvironment.redisURL)), random: .system,
            timestampKey: timestampKey, generationKey: ClusterSlot.hashTag(of: timestampKey) + ":generation")
    }
}

struct PointsReply: Decodable {
    struct User: Decodable {
        let id: Int
        let points: Int
    }
    let users: [User]
    let timestamp: String?
}

@Suite struct UserPointsStorageTests {
    @Test func seedingIsIdempotent() async throws {
        let fixture = try await UserPointsFixture.make()
        _ = try await fixture.server(users: 1500)
        _ = try await fixture.server(users: 1500)
        let store = try fixture.store()
        try await store.seed(users: 1500, minNumber: 0)
        #expect(try await store.postgres.query("SELECT count(*) FROM users").first!.decode(Int.self, at: 0) == 1500)
        let state = try await store.state()
        #expect(state.users == 1500)
        #expect(state.generation == 0)
        #expect(try await store.query().users.isEmpty)  // everyone at 0, min_number 0
    }

    @Test func seedingInChunksInsertsEveryUserOnce() async throws {
        let fixture = try await UserPointsFixture.make()
        let store = try fixture.store()
        try await Migrator(client: store.postgres).apply(feature: "user-points", PostgresRedisUserPointsStore.migrations)
        try await store.seed(users: 2_500, minNumber: 0, chunk: 1_000)
        let users = try await store.postgres.query("SELECT count(*), min(id), max(id), count(DISTINCT id) FROM users").first!
        #expect(try [0, 1, 2, 3].map { try users.decode(Int.self, at: $0) } == [2_500, 1, 2_500, 2_500])
        #expect(try await store.state().users == 2_500)
    }

    /// The packed generations unpack to every seeded user once, the last row a partial one.
    @Test func everyGenerationHoldsEveryUserOnce() async throws {
        let fixture = try await UserPointsFixture.make()
        _ = try await fixture.server(users: 2_345)
        let store = try fixture.store()
        let everyone = "SELECT count(*), min(id), max(id), count(DISTINCT id), max(points) FROM user_points_current"
        let seeded = try await store.postgres.query(everyone).first!
        #expect(try [0, 1, 2, 3, 4].map { try seeded.decode(Int.self, at: $0) } == [2_345, 1, 2_345, 2_345, 0])
        _ = try await store.refresh(minNumber: 50, slot: nil)
        let refreshed = try await store.postgres.query(everyone).first!
        #expect(try [0, 1, 2, 3].map { try refreshed.decode(Int.self, at: $0) } == [2_345, 1, 2_345, 2_345])
        #expect(try (1...100).contains(refreshed.decode(Int.self, at: 4)))
        let tables = try await store.postgres.query("SELECT count(*) FROM pg_tables WHERE tablename ~ '^user_points_g[0-9]+$'")
        #expect(try tables.first!.decode(Int.self, at: 0) == 1)
    }

    @Test func returnedUsersAlwaysBeatMinNumberAndHundredGivesNone() async throws {
        let fixture = try await UserPointsFixture.make()
        try await fixture.server().application.test(.router) { client in
            let store = try fixture.store()
            for _ in 0..<15 {
                try await client.execute(uri: "/user-points/refresh", method: .post) { #expect($0.status == .ok) }
                let state = try await store.state()
                let reply = try await client.execute(uri: "/user-points/", method: .get) { response in
                    try JSONDecoder().decode(PointsReply.self, from: Data(buffer: response.body))
                }
                #expect(reply.users.count <= 2)
                #expect(reply.users.allSatisfy { $0.points > state.minNumber && (0...100).contains($0.points) })
                if state.minNumber < 90 { #expect(reply.users.count == 2) }
            }
            // A generation with min_number 100, committed and published as a refresh would.
            try await store.postgres.execute("UPDATE user_points_state SET min_number = 100, generation = generation + 1")
            let redis = RedisClient(configuration: try RedisConfiguration(url: try TestEnvironment.redisURL))
            try await redis.set(ClusterSlot.hashTag(of: fixture.timestampKey) + ":generation", try await store.state().generation)
            let reply = try await client.execute(uri: "/user-points/", method: .get) { response in
                try JSONDecoder().decode(PointsReply.self, from: Data(buffer: response.body))
            }
            #expect(reply.users.isEmpty)
        }
    }

    /// A crash of PostgreSQL (crash recovery empties UNLOGGED tables; a standby never has them)
    /// keeps the current generation: the same users after it as before.
    @Test func theCurrentGenerationSurvivesACrashOfPostgreSQL() async throws {
        let database = try PostgresProcess()
        defer { database.destroy() }
        try await database.start()
        let fixture = UserPointsFixture(databaseURL: database.url)
        try await fixture.server().application.test(.router) { client in
            try await client.execute(uri: "/user-points/refresh", method: .post) { #expect($0.status == .ok) }
        }
        let store = try fixture.store()
        try await store.postgres.execute("UPDATE user_points_state SET min_number = 0")
        let before = try await store.query()
        #expect(before.users.count == 2)
        try await database.crash()
        try await database.start()
        let hangGuard = ContinuousClock.now + .seconds(60)
        while true {
            do {
                let after = try await store.query()
                #expect(after.generation == before.generation)
                #expect(after.users.map(\.id) == before.users.map(\.id) && after.users.map(\.points) == before.users.map(\.points))
                break
            } catch let error as PostgresError where error.isUnavailable && ContinuousClock.now < hangGuard {
                try await Task.sleep(for: .milliseconds(50))
            }
        }
    }

    /// Redis outlived the database (restored or recreated): the generation it names is replaced
    /// by the database's own at the first query, and later queries answer from memory.
    @Test func aPublishedGenerationTheDatabaseNeverHadIsReplaced() async throws {
        let fixture = try await UserPointsFixture.make()
        let redis = RedisClient(configuration: try RedisConfiguration(url: try TestEnvironment.redisURL))
        let generationKey = ClusterSlot.hashTag(of: fixture.timestampKey) + ":generation"
        try await fixture.server().application.test(.router) { client in
            try await client.execute(uri: "/user-points/", method: .get) { #expect($0.status == .ok) }
            try await redis.set(generationKey, 8704)
            try await client.execute(uri: "/user-points/", method: .get) { #expect($0.status == .ok) }
            #expect(try await redis.get(generationKey) == Array("0".utf8))
        }
    }

    @Test func aRefreshOnOneServerIsSeenByTheNextQueryOnAnother() async throws {
        let fixture = try await UserPointsFixture.make()
        let first = try await fixture.server()
        let second = try await fixture.server()
        try await second.application.test(.router) { other in
            try await other.execute(uri: "/user-points/", method: .get) { #expect($0.status == .ok) }  // remembers generation 0
            for _ in 0..<5 {
                let state = try await first.application.test(.router) { client in
                    try await client.execute(uri: "/user-points/refresh", method: .post) { response in
                        try JSONDecoder().decode(StateReply.self, from: Data(buffer: response.body))
                    }
                }
                let reply = try await other.execute(uri: "/user-points/", method: .get) { response in
                    try JSONDecoder().decode(PointsReply.self, from: Data(buffer: response.body))
                }
                #expect(reply.users.allSatisfy { $0.points > state.min_number })
                if state.min_number < 90 { #expect(reply.users.count == 2) }
            }
        }
    }

    struct StateReply: Decodable {
        let min_number: Int
        let generation: Int
    }

    /// Readers keep reading while refreshes run back to back, until each has seen three
    /// generations (60 s is only a hang guard): every answer belongs to one generation.
    @Test func readersDuringRefreshesSeeOneGeneration() async throws {
        let fixture = try await UserPointsFixture.make()
        _ = try await fixture.server(users: 20_000)
        let store = try fixture.store()
        let guardTime = ContinuousClock.now + .seconds(60)
        let readersDone = DoneCount()
        let readers = 6
        try await withThrowingTaskGroup(of: Int.self) { group in
            group.addTask {
                while readersDone.value.load(ordering: .relaxed) < readers, ContinuousClock.now < guardTime {
                    _ = try await store.refresh(minNumber: Int.random(in: 0...99), slot: nil)
                }
                return Int.max
            }
            for _ in 0..<readers {
                group.addTask {
                    var generations = Set<Int>()
                    while generations.count < 3, ContinuousClock.now < guardTime {
                        let result = try await store.query()
                        generations.insert(result.generation)
                        #expect(result.users.allSatisfy { $0.points > result.minNumber })
                    }
                    readersDone.value.add(1, ordering: .relaxed)
                    return generations.count
                }
            }
            var seen: [Int] = []
            for try await value in group where value != Int.max { seen.append(value) }
            #expect(seen.allSatisfy { $0 >= 3 }, "generations seen per reader: \(seen)")
        }
    }

    final class DoneCount: Sendable {
        let value = Atomic<Int>(0)
    }

    @Test func timestampsFormOneChain() async throws {
        let fixture = try await UserPointsFixture.make()
        try await fixture.server().application.test(.router) { client in
            let stamps = try await withThrowingTaskGroup(of: String?.self) { group in
                for _ in 0..<200 {
                    group.addTask {
                        try await client.execute(uri: "/user-points/", method: .get) { response in
                            try JSONDecoder().decode(PointsReply.self, from: Data(buffer: response.body)).timestamp
                        }
                    }
                }
                return try await group.reduce(into: [String?]()) { $0.append($1) }
            }
            #expect(stamps.filter { $0 == nil }.count == 1)
            let previous = stamps.compactMap { $0 }
            #expect(previous.count == 199)
            #expect(Set(previous).count == 199)
            #expect(previous.allSatisfy { $0.range(of: #"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$"#, options: .regularExpression) != nil })
        }
    }

    @Test func pointsAreUniform() async throws {
        let fixture = try await UserPointsFixture.make()
        _ = try await fixture.server(users: 101_000)
        let store = try fixture.store()
        _ = try await store.refresh(minNumber: 50, slot: nil)
        let rows = try await store.postgres.query("SELECT points, count(*) AS n FROM user_points_current GROUP BY points")
        var observed = [Int](repeating: 0, count: 101)
        for row in rows.rows { observed[try row.decode(Int.self, "points")] = try row.decode(Int.self, "n") }
        // 101 cells, 100 degrees of freedom: mean 100, sd about 14; 200 is a generous bound.
        let expected = 1000.0
        let chiSquare = observed.reduce(0.0) { $0 + pow(Double($1) - expected, 2) / expected }
        #expect(chiSquare < 200, "chi-square \(chiSquare)")
        #expect(observed.allSatisfy { $0 > 0 })
        // 101,000 users are drawn in two statements: every one of them once.
        let ids = try await store.postgres.query("SELECT count(DISTINCT id), min(id), max(id) FROM user_points_current").first!
        #expect(try [0, 1, 2].map { try ids.decode(Int.self, at: $0) } == [101_000, 1, 101_000])
    }

    @Test func twoServersRefreshOncePerInterval() async throws {
        let fixture = try await UserPointsFixture.make()
        let first = try await fixture.server(users: 5000, interval: 1)
        let second = try await fixture.server(users: 5000, interval: 1)
        let store = try fixture.store()
        let before = try await store.state().generation
        let groups = [first.serviceGroup(gracefulShutdownSignals: []), second.serviceGroup(gracefulShutdownSignals: [])]
        let started = Date()
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            for group in groups { tasks.addTask { try await group.run() } }
            try await Task.sleep(for: .milliseconds(4_300))
            for group in groups { await group.triggerGracefulShutdown() }
            try await tasks.waitForAll()
        }
        let boundaries = Int(Date().timeIntervalSince1970.rounded(.down)) - Int(started.timeIntervalSince1970.rounded(.down))
        let refreshes = try await store.state().generation - before
        // Never two refreshes for one interval, whichever server wins it; a starved machine may
        // let a boundary pass without one, so only "some" is asserted from below.
        #expect(refreshes >= 1 && refreshes <= boundaries, "\(refreshes) refreshes over \(boundaries) boundaries")
    }
}

@Suite struct MinNumberTests {
    @Test func minNumberDrawIsUniform() {
        let random = RandomSource.seeded(2026)
        var observed = [Int](repeating: 0, count: 101)
        for _ in 0..<101_000 { observed[random.int(in: 0...100)] += 1 }
        let chiSquare = observed.reduce(0.0) { $0 + pow(Double($1) - 1000, 2) / 1000 }
        #expect(chiSquare < 200)
    }
}
