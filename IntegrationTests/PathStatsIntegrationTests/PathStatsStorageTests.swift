import FeatureKit
import Foundation
import Hummingbird
import HummingbirdTesting
import IntegrationSupport
import PathStats
import Redis
import SwitchyardHost
import Testing

/// path-stats through HTTP against the real Redis, each test on a sorted set of its own.
@Suite struct PathStatsStorageTests {
    let key = "test:path-stats:\(UUID().uuidString)"

    func server(_ environment: [String: String] = [:]) async throws -> Switchyard {
        let settings = try await ConfigSources.reader(
            flags: [:], configFile: nil,
            environment: ["REDIS_URL": try TestEnvironment.redisURL, "FEATURES_PATH_STATS_REDIS_KEY": key]
                .merging(environment) { _, new in new })
        return try await Switchyard.build(settings: settings, knownFeatures: [PathStatsFeature.self])
    }

    /// A score nobody but an operator could have written (infinite, a fraction, past Int64) is a
    /// clear 503 for the reads and hits it meets; the server keeps answering the rest.
    @Test(arguments: ["-inf", "-1.5", "-1e30"]) func scoresThatAreNoCountAre503(score: String) async throws {
        let redis = RedisClient(configuration: try RedisConfiguration(url: try TestEnvironment.redisURL, connections: 1))
        try await redis.send("ZADD", key, score, "odd")
        try await server().application.test(.router) { client in
            for uri in ["/path-stats/stats/", "/path-stats/stats/?limit=1", "/path-stats/api/odd"] {
                try await client.execute(uri: uri, method: .get) { response in
                    #expect(response.status == .serviceUnavailable, "\(uri)")
                    #expect(String(buffer: response.body).contains("DEPENDENCY_UNAVAILABLE"))
                }
            }
            try await client.execute(uri: "/path-stats/api/fine", method: .get) { #expect($0.status == .ok) }
            try await redis.send("ZREM", key, "odd")
            try await client.execute(uri: "/path-stats/stats/", method: .get) { #expect($0.status == .ok) }
        }
        await redis.close()
    }

    @Test func countsWithNormalisation() async throws {
        try await server().application.test(.router) { client in
            for (uri, count) in [("/api/a", 1), ("/api/a/", 2), ("/api//a/", 3), ("/api/a?x=1&y=2", 4)] {
                try await client.execute(uri: "/path-stats" + uri, method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(String(buffer: response.body) == #"{"path":"a","count":\#(count)}"#)
                }
            }
            try await client.execute(uri: "/path-stats/api/b%20c//d/", method: .get) { response in
                #expect(String(buffer: response.body) == #"{"path":"b%20c/d","count":1}"#)
            }
            for uri in ["/path-stats/api/", "/path-stats/api"] {
                try await client.execute(uri: uri, method: .get) { response in
                    #expect(response.status == .notFound)
                }
            }
            try await client.execute(uri: "/path-stats/api/" + String(repeating: "x", count: 2049), method: .get) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("VALIDATION_ERROR"))
            }
            try await client.execute(uri: "/path-stats/api/x", method: .post) { response in
                #expect(response.status == .methodNotAllowed)
            }
            try await client.execute(uri: "/path-stats/stats/", method: .get) { response in
                #expect(response.headers[.xTotalCount] == "2")
                #expect(String(buffer: response.body) == #"[{"path":"a","count":4},{"path":"b%20c/d","count":1}]"#)
            }
        }
    }

    @Test func rankingOrdersTiesByPathAndPages() async throws {
        try await server().application.test(.router) { client in
            for path in ["b", "a", "c", "b", "c", "a", "c", "d", "B"] {
                try await client.execute(uri: "/path-stats/api/\(path)", method: .get) { _ in }
            }
            let expected = #"[{"path":"c","count":3},{"path":"a","count":2},{"path":"b","count":2},{"path":"B","count":1},{"path":"d","count":1}]"#
            // "B" sorts before "d" by bytes (uppercase first).
            try await client.execute(uri: "/path-stats/stats/", method: .get) { response in
                #expect(String(buffer: response.body) == expected)
                #expect(response.headers[.xTotalCount] == "5")
            }
            try await client.execute(uri: "/path-stats/stats/?limit=2&offset=1", method: .get) { response in
                #expect(String(buffer: response.body) == #"[{"path":"a","count":2},{"path":"b","count":2}]"#)
                #expect(response.headers[.xTotalCount] == "5")
            }
            try await client.execute(uri: "/path-stats/stats/?offset=10", method: .get) { response in
                #expect(String(buffer: response.body) == "[]")
            }
            try await client.execute(uri: "/path-stats/stats/?limit=abc", method: .get) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("BAD_REQUEST"))
            }
            try await client.execute(uri: "/path-stats/stats/?limit=100001", method: .get) { response in
                #expect(String(buffer: response.body).contains("VALIDATION_ERROR"))
            }
            try await client.execute(uri: "/path-stats/stats/c/", method: .get) { response in
                #expect(String(buffer: response.body) == #"{"path":"c","count":3}"#)
            }
            try await client.execute(uri: "/path-stats/stats/never/seen", method: .get) { response in
                #expect(String(buffer: response.body) == #"{"path":"never/seen","count":0}"#)
            }
        }
    }

    @Test func emptyStoreIsAnEmptyArray() async throws {
        try await server().application.test(.router) { client in
            try await client.execute(uri: "/path-stats/stats/", method: .get) { response in
                #expect(String(buffer: response.body) == "[]")
                #expect(response.headers[.xTotalCount] == "0")
            }
        }
    }

    @Test func streamsRankingsLongerThanOneChunk() async throws {
        let redis = RedisClient(configuration: try RedisConfiguration(url: try TestEnvironment.redisURL))
        // The first chunk (1,000), two full stream chunks (5,000 each) and a partial one.
        // One ZADD per 500 members: a light load for a Redis the whole suite shares.
        var commands: [RedisCommand] = []
        for start in stride(from: 0, to: 12_500, by: 500) {
            var arguments: [any RedisArgument] = [key]
            for index in start..<start + 500 {
                arguments.append(-Double(index % 7 + 1))
                arguments.append(String(format: "p%05d", index))
            }
            commands.append(RedisCommand("ZADD", arguments))
        }
        _ = try await redis.pipeline(commands)
        try await server().application.test(.router) { client in
            let full = try await client.execute(uri: "/path-stats/stats/", method: .get) { response in
                try JSONDecoder().decode([Row].self, from: Data(buffer: response.body))
            }
            #expect(full.count == 12_500)
            #expect(Set(full.map(\.path)).count == 12_500)
            #expect(full == full.sorted { ($0.count, $1.path) > ($1.count, $0.path) })
            // Concurrent streams share chunks (the same offsets and sizes) and pages that end
            // inside one; each still gets exactly its own rows.
            let pages = try await withThrowingTaskGroup(of: (String, [Row]).self) { group in
                for uri in Array(repeating: "/path-stats/stats/", count: 8) + Array(repeating: "/path-stats/stats/?offset=999&limit=6002", count: 4) {
                    group.addTask {
                        try await client.execute(uri: uri, method: .get) { response in
                            (uri, try JSONDecoder().decode([Row].self, from: Data(buffer: response.body)))
                        }
                    }
                }
                return try await group.reduce(into: [(String, [Row])]()) { $0.append($1) }
            }
            for (uri, rows) in pages {
                #expect(rows == (uri.contains("offset") ? Array(full[999..<7001]) : full), "\(uri)")
            }
        }
    }

    /// Concurrent hits on one path share increments; each still gets a count of its own.
    @Test func concurrentHitsOnOnePathEachGetTheirOwnCount() async throws {
        try await server().application.test(.router) { client in
            let counts = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<300 {
                    group.addTask {
                        try await client.execute(uri: "/path-stats/api/same/", method: .get) { response in
                            try JSONDecoder().decode(Row.self, from: Data(buffer: response.body)).count
                        }
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(counts.sorted() == Array(1...300))
            try await client.execute(uri: "/path-stats/stats/same/", method: .get) { response in
                let row = try JSONDecoder().decode(Row.self, from: Data(buffer: response.body))
                #expect(row.count == 300)
            }
        }
    }

    /// Pages read concurrently share Redis reads (`CoalescedReads`); each must still hold every
    /// hit that returned before its request began. About what each read sees, not about
    /// deadlines: Redis gets as long as a loaded machine needs.
    @Test func concurrentPageReadsSeeEveryHitThatReturnedBeforeThem() async throws {
        try await server(["REDIS_COMMAND_TIMEOUT": "30"]).application.test(.router) { client in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<12 {
                    group.addTask {
                        for round in 1...25 {
                            try await client.execute(uri: "/path-stats/api/writer/\(writer)", method: .get) { _ in }
                            try await client.execute(uri: "/path-stats/stats/?limit=100", method: .get) { response in
                                let rows = try JSONDecoder().decode([Row].self, from: Data(buffer: response.body))
                                let count = rows.first { $0.path == "writer/\(writer)" }?.count
                                #expect(count == round, "writer \(writer) round \(round)")
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
    }

    /// The same hits counted in one sorted set and in 8 shards: every answer byte for byte the
    /// same, pages at any offset and the streamed whole (longer than the first chunk).
    @Test func aShardedRankingAnswersAsOneSet() async throws {
        let single = try await server()
        let sharded = try await server(["FEATURES_PATH_STATS_RANKING_SHARDS": "8"])
        // 1,800 paths, most hit once or twice (long runs of ties), a few many times.
        let hits = (0..<1800).flatMap { index in
            let path = (index % 2 == 0 ? "P" : "p") + String(index * 7919 % 1800, radix: 36)
            return Array(repeating: path, count: index % 9 == 0 ? index % 40 + 3 : index % 2 + 1)
        }
        for app in [single, sharded] {
            try await app.application.test(.router) { client in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for worker in 0..<8 {
                        group.addTask {
                            for path in hits[(worker * hits.count / 8)..<((worker + 1) * hits.count / 8)] {
                                try await client.execute(uri: "/path-stats/api/\(path)", method: .get) { #expect($0.status == .ok) }
                            }
                        }
                    }
                    try await group.waitForAll()
                }
            }
        }
        let uris = [
            "/path-stats/stats/", "/path-stats/stats/?limit=100", "/path-stats/stats/?offset=1&limit=1",
            "/path-stats/stats/?offset=777&limit=50", "/path-stats/stats/?offset=1200", "/path-stats/stats/?offset=1799",
            "/path-stats/stats/?offset=1800", "/path-stats/stats/?offset=90&limit=1500",
        ]
        for uri in uris {
            var answers: [(String, String?)] = []
            for app in [single, sharded] {
                answers.append(
                    try await app.application.test(.router) { client in
                        try await client.execute(uri: uri, method: .get) { response in
                            (String(buffer: response.body), response.headers[.xTotalCount])
                        }
                    })
            }
            let same = answers[0].0 == answers[1].0  // not printed: a full ranking is long
            #expect(same, "\(uri): \(answers[0].0.prefix(200)) against \(answers[1].0.prefix(200))")
            #expect(answers[0].1 == "1800" && answers[1].1 == "1800", "\(uri)")
        }
        try await sharded.application.test(.router) { client in
            try await client.execute(uri: "/path-stats/stats/P0", method: .get) { response in
                #expect(String(buffer: response.body) == #"{"path":"P0","count":3}"#)
            }
        }
    }

    struct Row: Decodable, Equatable {
        let path: String
        let count: Int
    }

    @Test func selfLoadTestCountsAddUp() async throws {
        try await server().application.test(.live) { client in
            // 500 requests: enough to count, and quick enough for the test client's 20 s read
            // timeout on a loaded machine running a debug build.
            let report = try await client.execute(uri: "/path-stats/test/500/", method: .post) { response in
                #expect(response.status == .ok)
                return try JSONDecoder().decode(Report.self, from: Data(buffer: response.body))
            }
            #expect(report.requested == 500)
            #expect(report.succeeded == 500)
            #expect(report.failed == 0)
            #expect(report.pool.count == 3)
            #expect(report.paths.reduce(0) { $0 + $1.count } == 500)
            for row in report.paths {
                #expect(row.path.split(separator: "/").allSatisfy { report.pool.contains(String($0)) })
            }
            let stats = try await client.execute(uri: "/path-stats/stats/", method: .get) { response in
                try JSONDecoder().decode([Row].self, from: Data(buffer: response.body))
            }
            #expect(Set(stats.map(\.path)) == Set(report.paths.map(\.path)))
            #expect(stats.reduce(0) { $0 + $1.count } == 500)
        }
    }

    struct Report: Decodable {
        let requested: Int
        let succeeded: Int
        let failed: Int
        let pool: [String]
        let paths: [Row]
    }

    @Test func loadTestRejectsBadCountsAndNeedsTheAdminToken() async throws {
        try await server(["ADMIN_TOKEN": "secret", "FEATURES_PATH_STATS_TEST_MAX": "100"]).application.test(.router) { client in
            let auth: HTTPFields = [.authorization: "Bearer secret"]
            try await client.execute(uri: "/path-stats/test/5/", method: .post) { response in
                #expect(response.status == .unauthorized)
            }
            for n in ["abc", "1.5", "-1", "101"] {
                try await client.execute(uri: "/path-stats/test/\(n)/", method: .post, headers: auth) { response in
                    #expect(response.status == .badRequest, "n=\(n)")
                }
            }
            try await client.execute(uri: "/path-stats/test/0/", method: .post, headers: auth) { response in
                #expect(response.status == .serviceUnavailable || response.status == .ok)
            }
        }
    }

    @Test func rootPrefixGivesTheOriginalURLs() async throws {
        try await server(["FEATURES": "path-stats", "FEATURES_PATH_STATS_PREFIX": "/"]).application.test(.router) { client in
            try await client.execute(uri: "/api/x/y/", method: .get) { response in
                #expect(String(buffer: response.body) == #"{"path":"x/y","count":1}"#)
            }
            try await client.execute(uri: "/stats/", method: .get) { response in
                #expect(String(buffer: response.body) == #"[{"path":"x/y","count":1}]"#)
            }
        }
    }
}
