import AreaMode
import FeatureKit
import Foundation
import Hummingbird
import HummingbirdTesting
import IntegrationSupport
import Postgres
import Redis
import SwitchyardHost
import SwitchyardJSON
import Testing

/// area-mode through HTTP against real PostgreSQL and Redis. Each test gets a database and a
/// Redis key prefix of its own, so "fresh state" is really fresh.
struct AreaModeFixture {
    let databaseURL: String
    let redisPrefix = "test:area-mode:\(UUID().uuidString)"

    static func make() async throws -> AreaModeFixture {
        AreaModeFixture(databaseURL: try await FreshDatabase.create())
    }

    func server(cacheTTL: Int = 30, environment extra: [String: String] = [:]) async throws -> Switchyard {
        let settings = try await ConfigSources.reader(
            flags: [:], configFile: nil,
            environment: [
                "REDIS_URL": try TestEnvironment.redisURL, "DATABASE_URL": databaseURL, "FEATURES": "area-mode",
                "FEATURES_AREA_MODE_REDIS_PREFIX": redisPrefix, "FEATURES_AREA_MODE_CACHE_TTL": String(cacheTTL),
            ].merging(extra) { $1 })
        return try await Switchyard.build(settings: settings, knownFeatures: [AreaModeFeature.self])
    }

    func database() throws -> PostgresClient {
        PostgresClient(configuration: try PostgresConfiguration(url: databaseURL, minConnections: 0))
    }
}

struct Event: Encodable {
    let area_code: Int
    let multiplayer_mode: String
    let user_id: String
    let events_name: String
}

struct Batch: Encodable { let items: [Event] }

struct Stats: Decodable, Equatable {
    struct Mode: Decodable, Equatable {
        let multiplayer_mode: String
        let count: Int
    }
    let area_code: Int
    let most_played: String?
    let active_users: Int
    let modes: [Mode]
}

extension TestClientProtocol {
    @discardableResult
    func post(_ events: [Event], expect status: HTTPResponse.Status = .ok) async throws -> [String: JSONValue] {
        let body = try JSONEncoder().encode(Batch(items: events))
        return try await execute(
            uri: "/area-mode/events/", method: .post, headers: [.contentType: "application/json"],
            body: ByteBuffer(bytes: body)
        ) { response in
            #expect(response.status == status, "\(String(buffer: response.body))")
            guard case .object(let fields)? = try? JSONDecoder().decode(JSONValue.self, from: Data(buffer: response.body)) else {
                return [:]
            }
            return fields
        }
    }

    func stats(_ area: Int) async throws -> Stats {
        try await execute(uri: "/area-mode/stats/?area_code=\(area)", method: .get) { response in
            try JSONDecoder().decode(Stats.self, from: Data(buffer: response.body))
        }
    }
}

func login(_ user: String, _ area: Int, _ mode: String) -> Event {
    Event(area_code: area, multiplayer_mode: mode, user_id: user, events_name: "LOGIN")
}

func logout(_ user: String, _ area: Int, _ mode: String) -> Event {
    Event(area_code: area, multiplayer_mode: mode, user_id: user, events_name: "logout")
}

@Suite struct AreaModeStorageTests {
    @Test func everyOutcomeThroughHTTP() async throws {
        let fixture = try await AreaModeFixture.make()
        try await fixture.server().application.test(.router) { client in
            let report = try await client.post([
                login("a", 101, "Duo"), login("b", 101, "Duo"), login("a", 101, "Duo"), login("b", 102, "Solo"),
                logout("c", 101, "Duo"), logout("a", 101, "Solo"), logout("a", 101, "Duo"), login("d", 101, "Battle Royale"),
            ])
            #expect(report["received"] == 8)
            #expect(report["applied"] == 4)
            #expect(report["duplicate"] == 1)
            #expect(report["moved"] == 1)
            #expect(report["ignored"] == 2)
            #expect(report["status"] == true)
            #expect(
                try await client.stats(101)
                    == Stats(
                        area_code: 101, most_played: "Battle Royale", active_users: 1,
                        modes: [.init(multiplayer_mode: "Battle Royale", count: 1)]))
            #expect(try await client.stats(102).most_played == "Solo")
            #expect(try await client.stats(103) == Stats(area_code: 103, most_played: nil, active_users: 0, modes: []))
            try await client.execute(uri: "/area-mode/areas/", method: .get) { response in
                #expect(
                    String(buffer: response.body)
                        == #"[{"active_users":1,"area_code":101,"most_played":"Battle Royale"},{"active_users":1,"area_code":102,"most_played":"Solo"}]"#
                )
            }
        }
        let events = try await fixture.database().query("SELECT outcome FROM area_mode_events ORDER BY id")
        #expect(
            try events.rows.map { try $0.decode(String.self, "outcome") } == [
                "applied", "applied", "duplicate", "moved", "ignored", "ignored", "applied", "applied",
            ])
    }

    @Test func aBatchWithOneBadItemChangesNothing() async throws {
        let fixture = try await AreaModeFixture.make()
        try await fixture.server().application.test(.router) { client in
            try await client.post([login("a", 101, "Duo")])
            let body =
                #"{"items": [{"area_code": 101, "multiplayer_mode": "Duo", "user_id": "b", "events_name": "LOGIN"}, {"area_code": 5, "multiplayer_mode": "Duo", "user_id": "c", "events_name": "LOGIN"}]}"#
            try await client.execute(
                uri: "/area-mode/events/", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: body)
            ) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains(#""field":"items[1].area_code""#))
            }
            #expect(try await client.stats(101).active_users == 1)
            try await client.post(Array(repeating: login("x", 101, "Duo"), count: 10_001), expect: .contentTooLarge)
            #expect(try await client.stats(101).active_users == 1)
            try await client.execute(uri: "/area-mode/stats/?area_code=abc", method: .get) { #expect($0.status == .badRequest) }
            try await client.execute(uri: "/area-mode/stats/?area_code=1000", method: .get) { #expect($0.status == .badRequest) }
        }
        let logged = try await fixture.database().query("SELECT count(*) FROM area_mode_events")
        #expect(try logged.first!.decode(Int.self, at: 0) == 1)
    }

    @Test func readsAfterWritesSeeThemEveryTime() async throws {
        let fixture = try await AreaModeFixture.make()
        try await fixture.server().application.test(.router) { client in
            var expected: [String: Int] = [:]
            for round in 1...100 {
                let mode = round % 2 == 0 ? "Duo" : "Solo"
                try await client.post([login("user-\(round)", 150, mode)])
                expected[mode, default: 0] += 1
                let stats = try await client.stats(150)
                #expect(stats.active_users == round)
                #expect(Dictionary(uniqueKeysWithValues: stats.modes.map { ($0.multiplayer_mode, $0.count) }) == expected)
            }
        }
    }

    /// Reads of one area made concurrently share lookups (`CoalescedReads`); each must still
    /// see every batch that returned before it began. About exactness, not overload: on a
    /// machine busy with the rest of the suite a batch waited past the default 5 s for its
    /// ingest turn and was refused, so the waits here are long.
    @Test func concurrentReadsAfterWritesSeeThemEveryTime() async throws {
        let fixture = try await AreaModeFixture.make()
        let server = try await fixture.server(environment: ["POSTGRES_ACQUIRE_TIMEOUT": "120", "POSTGRES_QUERY_TIMEOUT": "120"])
        try await server.application.test(.router) { client in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<8 {
                    group.addTask {
                        for round in 1...12 {
                            try await client.post([login("writer-\(writer)-\(round)", 151, "Mode\(writer)")])
                            let modes = try await client.stats(151).modes
                            let count = modes.first { $0.multiplayer_mode == "Mode\(writer)" }?.count
                            #expect(count == round, "writer \(writer) round \(round)")
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
    }

    @Test func losingTheCacheChangesNoAnswer() async throws {
        let fixture = try await AreaModeFixture.make()
        try await fixture.server().application.test(.router) { client in
            try await client.post([login("a", 120, "Duo"), login("b", 120, "Duo"), login("c", 120, "Solo")])
            let before = try await client.stats(120)
            #expect(try await client.stats(120) == before)  // served from the cache now
            let redis = RedisClient(configuration: try RedisConfiguration(url: try TestEnvironment.redisURL))
            try await redis.delete("{\(fixture.redisPrefix):120}:stats", "{\(fixture.redisPrefix):120}:version")
            #expect(try await client.stats(120) == before)
            try await redis.set("\(fixture.redisPrefix):stats:120", "0\n{\"forged\": true}")
            try await redis.set("{\(fixture.redisPrefix):120}:version", "7")
            #expect(try await client.stats(120) == before)
        }
    }

    /// A write whose version bump meets Redis cut off (a failover under way) answers only once
    /// the bump has landed: the entry cached before it is never served after its answer.
    @Test func aWriteAnswersOnlyOnceItsCacheBumpHasLanded() async throws {
        let fixture = try await AreaModeFixture.make()
        let redis = RedisProcess()
        try await redis.start()
        let proxy = try await ChaosProxy(target: "127.0.0.1:\(redis.port)")
        defer {
            proxy.stop()
            Task { await redis.kill() }
        }
        let server = try await fixture.server(environment: [
            "REDIS_URL": "redis://\(proxy.address)/0", "REDIS_COMMAND_TIMEOUT": "1", "REDIS_CONNECTIONS": "1",
        ])
        try await server.application.test(.router) { client in
            try await client.post([login("a", 130, "Duo")])
            #expect(try await client.stats(130).active_users == 1)  // cached now
            try await proxy.set(.cut)
            async let written = client.post([login("b", 130, "Duo")])
            try await Task.sleep(for: .milliseconds(300))
            try await proxy.set(.pass)
            _ = try await written
            // Once Redis answers again on its one connection (so the read goes to the cache, not around it).
            let hangGuard = ContinuousClock.now + .seconds(60)
            while try await client.execute(uri: "/ready", method: .get) { $0.status } != .ok {
                try #require(ContinuousClock.now < hangGuard, "Redis never came back")
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(try await client.stats(130).active_users == 2)
        }
    }

    /// About exactness, not overload: the wait for an ingest turn is long enough that no batch
    /// is refused on a loaded machine.
    @Test func sixteenConcurrentWritersKeepEveryCountExact() async throws {
        let fixture = try await AreaModeFixture.make()
        try await fixture.server(environment: ["POSTGRES_ACQUIRE_TIMEOUT": "120", "POSTGRES_QUERY_TIMEOUT": "120"]).application.test(.router) {
            client in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<16 {
                    group.addTask {
                        var generator = SystemRandomNumberGenerator()
                        for _ in 0..<10 {
                            let events = (0..<100).map { _ -> Event in
                                let user = "shared-\(Int.random(in: 0..<200, using: &generator))"
                                let area = Int.random(in: 201...204, using: &generator)
                                let mode = ["Duo", "Solo", "Squad"].randomElement(using: &generator)!
                                return Bool.random(using: &generator) ? login(user, area, mode) : logout(user, area, mode)
                            }
                            try await client.post(events)
                        }
                        _ = writer
                    }
                }
                try await group.waitForAll()
            }
        }
        let database = try fixture.database()
        let mismatches = try await database.query(
            """
            SELECT c.area_code, c.multiplayer_mode, c.active, count(s.user_id) AS sessions
            FROM (SELECT area_code, multiplayer_mode, sum(active) AS active FROM area_mode_counts GROUP BY 1, 2) AS c
            LEFT JOIN area_mode_sessions s ON s.area_code = c.area_code AND s.multiplayer_mode = c.multiplayer_mode
            GROUP BY c.area_code, c.multiplayer_mode, c.active
            HAVING c.active <> count(s.user_id) OR c.active < 0
            """)
        #expect(mismatches.rows.isEmpty)
        let missing = try await database.query(
            """
            SELECT count(*) FROM (SELECT area_code, multiplayer_mode FROM area_mode_sessions WHERE area_code IS NOT NULL
            EXCEPT SELECT area_code, multiplayer_mode FROM area_mode_counts) AS missing
            """)
        #expect(try missing.first!.decode(Int.self, at: 0) == 0)
        let logged = try await database.query("SELECT count(*) FROM area_mode_events")
        #expect(try logged.first!.decode(Int.self, at: 0) == 16_000)
    }

    /// With `ingest-concurrency` 1, a batch stopped inside its transaction holds the only turn:
    /// a batch of other users waits for it only as long as a connection may be waited for, then
    /// gets 503 and changes nothing; once the first commits, batches go through again.
    @Test func batchesBeyondTheIngestConcurrencyWaitTheirTurnWithADeadline() async throws {
        let fixture = try await AreaModeFixture.make()
        let app = try await fixture.server(
            environment: ["FEATURES_AREA_MODE_INGEST_CONCURRENCY": "1", "POSTGRES_ACQUIRE_TIMEOUT": "1"]
        ).application
        try await app.test(.router) { client in
            try await client.post([login("held", 101, "Duo")])
            let database = try fixture.database()
            let (locked, lockTaken) = AsyncStream.makeStream(of: Void.self)
            let (release, releaseLock) = AsyncStream.makeStream(of: Void.self)
            // Holds "held"'s session row, so the next batch naming it stops in its transaction.
            let holder = Task {
                try await database.transaction { tx in
                    try await tx.query("SELECT 1 FROM area_mode_sessions WHERE user_id = 'held' FOR UPDATE")
                    lockTaken.yield()
                    for await _ in release {}
                }
            }
            for await _ in locked { break }
            async let first = client.post([logout("held", 101, "Duo")])
            // Hang guard only: the first batch's wait for the row lock is the event waited for.
            for _ in 0..<1_500 {
                let waiting = try await database.query(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")
                if try waiting.first!.decode(Int.self, at: 0) > 0 { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            try await client.post([login("other", 102, "Solo")], expect: .serviceUnavailable)
            #expect(try await client.stats(102).active_users == 0)
            releaseLock.finish()
            try await holder.value
            try await first
            #expect(try await client.stats(101).active_users == 0)
            try await client.post([login("other", 102, "Solo")])
            #expect(try await client.stats(102).active_users == 1)
        }
    }

    @Test func aSingleWritersCountsEqualAReplay() async throws {
        let fixture = try await AreaModeFixture.make()
        try await fixture.server().application.test(.router) { client in
            var generator = SystemRandomNumberGenerator()
            var sessions: [String: Event] = [:]
            for _ in 0..<20 {
                let events = (0..<50).map { _ -> Event in
                    let user = "u\(Int.random(in: 0..<30, using: &generator))"
                    let area = Int.random(in: 301...302, using: &generator)
                    let mode = ["A", "B"].randomElement(using: &generator)!
                    return Bool.random(using: &generator) ? login(user, area, mode) : logout(user, area, mode)
                }
                for event in events {
                    let current = sessions[event.user_id]
                    let same = current.map { $0.area_code == event.area_code && $0.multiplayer_mode == event.multiplayer_mode } ?? false
                    if event.events_name == "LOGIN" { sessions[event.user_id] = event } else if same { sessions[event.user_id] = nil }
                }
                try await client.post(events)
            }
            for area in 301...302 {
                let expected = Dictionary(grouping: sessions.values.filter { $0.area_code == area }, by: \.multiplayer_mode)
                    .mapValues(\.count)
                let stats = try await client.stats(area)
                #expect(Dictionary(uniqueKeysWithValues: stats.modes.map { ($0.multiplayer_mode, $0.count) }) == expected)
            }
        }
    }

    @Test func generateDataWithASeedIsReproducible() async throws {
        var answers: [String] = []
        for _ in 0..<2 {
            let fixture = try await AreaModeFixture.make()
            let answer = try await fixture.server().application.test(.router) { client in
                let uri = "/area-mode/generate_data/?count=3000&users=500&modes=4&area_from=110&area_to=114&logout_ratio=0.3&seed=77"
                let report = try await client.execute(uri: uri, method: .post) { String(buffer: $0.body) }
                #expect(report.contains(#""cnt_records_generated":3000"#))
                let areas = try await client.execute(uri: "/area-mode/areas/", method: .get) { String(buffer: $0.body) }
                return report + areas
            }
            answers.append(answer)
        }
        #expect(answers[0] == answers[1])
        #expect(answers[0].contains("area_code\":110"))
    }
}
