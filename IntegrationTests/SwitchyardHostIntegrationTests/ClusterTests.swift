import Foundation
import HTTPClient
import IntegrationSupport
import Postgres
import Testing

/// Three replicas behind nginx (`scripts/cluster up 3`, started by scripts/test with a
/// database and a Redis db of their own): every feature stays correct with its requests spread
/// over replicas.
@Suite(.serialized) struct ClusterTests {

    static func json(_ response: HTTPClientResponse) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(response.body), options: [.fragmentsAllowed])
    }

    static func post(_ client: HTTPClient, _ url: String, _ body: String) async throws -> HTTPClientResponse {
        try await client.request("POST", url, headers: [("Content-Type", "application/json")], body: Array(body.utf8))
    }

    func withCluster(_ body: (HTTPClient, String) async throws -> Void) async throws {
        let base = try TestEnvironment.require("CLUSTER_URL")
        // A request's timeout covers its wait for one of the 64 transfers: with hundreds queued
        // on a machine busy with the rest of the suite, 10 s was reached while every answer took
        // milliseconds. The timeout only guards against a hang here.
        let client = HTTPClient(configuration: .init(maxConcurrentTransfers: 64, defaultTimeout: .seconds(120)))
        do {
            try await body(client, base)
        } catch {
            await client.shutdown()
            throw error
        }
        await client.shutdown()
    }

    @Test func timestampChainIsOneGlobalChain() async throws {
        try await withCluster { client, base in
            _ = try await client.get(base + "/user-points/")
            let previous = try await withThrowingTaskGroup(of: String?.self) { group in
                for _ in 0..<200 {
                    group.addTask {
                        let answer = try Self.json(try await client.get(base + "/user-points/")) as? [String: Any]
                        return answer?["timestamp"] as? String
                    }
                }
                return try await group.reduce(into: [String?]()) { $0.append($1) }
            }
            // Each query got a predecessor of its own: 200 distinct times, none missing.
            #expect(previous.compactMap { $0 }.count == 200)
            #expect(Set(previous.compactMap { $0 }).count == 200)
        }
    }

    @Test func oneRefreshPerIntervalAcrossReplicas() async throws {
        let interval = Int(try TestEnvironment.require("CLUSTER_REFRESH_INTERVAL")) ?? 2
        try await withCluster { client, base in
            func generation() async throws -> Int {
                ((try Self.json(try await client.get(base + "/user-points/state")) as? [String: Any])?["generation"] as? Int) ?? -1
            }
            let first = try await generation()
            let slots = 5
            try await Task.sleep(for: .seconds(interval * slots))
            let refreshes = try await generation() - first
            // One per elapsed slot (the window may catch one more or one less at its edges);
            // without the election three replicas would make about three times as many.
            #expect((slots - 1)...(slots + 1) ~= refreshes, "\(refreshes) refreshes in \(slots) intervals")
        }
    }

    @Test func pathCountsAddUp() async throws {
        try await withCluster { client, base in
            let path = "cluster/\(UUID().uuidString)"
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<600 { group.addTask { _ = try await client.get(base + "/path-stats/api/\(path)/") } }
                try await group.waitForAll()
            }
            let count = (try Self.json(try await client.get(base + "/path-stats/stats/\(path)/")) as? [String: Any])?["count"] as? Int
            #expect(count == 600)
        }
    }

    @Test func areaCountsStayExactWithWritersOnEveryReplica() async throws {
        try await withCluster { client, base in
            // The cluster's database is new for each test run, so this area starts empty.
            let area = Int.random(in: 100...999)
            let run = UUID().uuidString.prefix(8)
            // 12 writers, each logging its own 20 users in and some of them out again.
            let active = try await withThrowingTaskGroup(of: Int.self) { group in
                for writer in 0..<12 {
                    group.addTask {
                        var stillIn = 0
                        for user in 0..<20 {
                            let id = "c\(run)-\(writer)-\(user)"
                            let login = #"{"items":[{"area_code":\#(area),"multiplayer_mode":"Duo","user_id":"\#(id)","events_name":"LOGIN"}]}"#
                            let loggedIn = try await Self.post(client, base + "/area-mode/events", login).status
                            #expect(loggedIn == 200)
                            if user % 3 == 0 {
                                let logout = login.replacingOccurrences(of: "LOGIN", with: "LOGOUT")
                                let loggedOut = try await Self.post(client, base + "/area-mode/events", logout).status
                                #expect(loggedOut == 200)
                            } else {
                                stillIn += 1
                            }
                        }
                        return stillIn
                    }
                }
                return try await group.reduce(0, +)
            }
            let stats = try Self.json(try await client.get(base + "/area-mode/stats/?area_code=\(area)")) as? [String: Any]
            let modes = stats?["modes"] as? [[String: Any]] ?? []
            let duo = modes.first { ($0["multiplayer_mode"] as? String)?.lowercased() == "duo" }?["count"] as? Int
            #expect(duo == active, "\(String(describing: stats))")
            #expect(stats?["active_users"] as? Int == active)
        }
    }

    @Test func stockIsConservedWithWritersOnEveryReplica() async throws {
        try await withCluster { client, base in
            let run = UUID().uuidString.prefix(8).lowercased()
            for index in 0..<5 {
                let product = #"{"id":"c\#(run)-\#(index)","title":"t","passenger_capacity":1,"maximum_speed":1,"in_stock":300}"#
                #expect(try await Self.post(client, base + "/products-orders/products", product).status == 201)
            }
            let taken = try await withThrowingTaskGroup(of: [Int].self) { group in
                for writer in 0..<24 {
                    group.addTask {
                        var taken = [Int](repeating: 0, count: 5)
                        for round in 0..<20 {
                            let index = (writer + round) % 5, quantity = 1 + round % 4
                            let order = #"{"order_details":[{"product_id":"c\#(run)-\#(index)","price":"1","quantity":\#(quantity)}]}"#
                            let status = try await Self.post(client, base + "/products-orders/orders", order).status
                            if status == 201 { taken[index] += quantity } else { #expect(status == 409) }
                        }
                        return taken
                    }
                }
                return try await group.reduce(into: [Int](repeating: 0, count: 5)) { total, one in
                    for index in 0..<5 { total[index] += one[index] }
                }
            }
            for index in 0..<5 {
                let product = try Self.json(try await client.get(base + "/products-orders/products/c\(run)-\(index)")) as? [String: Any]
                let left = product?["in_stock"] as? Int ?? -1
                #expect(left >= 0)
                #expect(left + taken[index] == 300)
            }
        }
    }

    /// The replicas started at the same moment against an empty database: each migration is
    /// recorded once and every replica came up.
    @Test func migrationsRanOnceAndEveryReplicaIsUp() async throws {
        let ports = try TestEnvironment.require("CLUSTER_REPLICA_PORTS").split(separator: ",")
        try await withCluster { client, _ in
            for port in ports {
                let ready = try await client.get("http://127.0.0.1:\(port)/ready").status
                #expect(ready == 200)
                // nginx spread the other tests' queries: every replica answered some.
                let metrics = String(decoding: try await client.get("http://127.0.0.1:\(port)/metrics").body, as: UTF8.self)
                #expect(metrics.contains(#"route="/user-points"#), "replica on \(port) served no user-points query")
            }
        }
        let postgres = PostgresClient(
            configuration: try PostgresConfiguration(url: try TestEnvironment.require("CLUSTER_DATABASE_URL"), minConnections: 0))
        let rows = try await postgres.query(
            "SELECT count(*) AS n, count(DISTINCT (feature, version)) AS distinct_n FROM switchyard_migrations")
        let total = try rows.first?.decode(Int64.self, "n")
        #expect(total == (try rows.first?.decode(Int64.self, "distinct_n")))
        #expect((total ?? 0) >= 3)  // area-mode, user-points and products-orders at least.
        await postgres.close()
    }
}
