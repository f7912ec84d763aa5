import Foundation
import IntegrationSupport
import Redis
import Testing

/// The adapter in cluster mode against private clusters: routing by slot, refusal of
/// cross-slot commands, MOVED and ASK followed, scripts on every master, a master's failover.
@Suite struct RedisClusterTests {
    /// Keys whose slots are spread over every master.
    static let keys = (0..<60).map { "key:\($0)" }

    /// A private cluster of 3 masters (each with `replicasPerMaster`) and a client of it, for `body`.
    static func withCluster(
        replicasPerMaster: Int = 0, commandTimeout: Duration = .seconds(2), waitReplicas: Int = 0,
        _ body: @Sendable (RedisClusterProcess, RedisClient) async throws -> Void
    ) async throws {
        let cluster = RedisClusterProcess(masters: 3, replicasPerMaster: replicasPerMaster)
        defer { cluster.stop() }
        try await cluster.start()
        let client = RedisClient(
            configuration: try RedisConfiguration(
                url: cluster.url, commandTimeout: commandTimeout, waitReplicas: waitReplicas, waitTimeout: .milliseconds(500)))
        try await body(cluster, client)
        await client.close()
    }

    @Test func everyCommandReachesTheMasterOfItsSlot() async throws {
        try await Self.withCluster { cluster, client in
            for key in Self.keys { try await client.set(key, "value of \(key)") }
            for key in Self.keys { #expect(try await client.get(key) == Array("value of \(key)".utf8)) }
            // One pipeline over all masters answers in the order asked.
            let replies = try await client.pipeline(Self.keys.reversed().map { RedisCommand("GET", $0) })
            #expect(replies.map(\.string) == Self.keys.reversed().map { "value of \($0)" })
            // Each master holds only the keys of its own slots, and every master holds some.
            var stored = 0
            for node in cluster.nodes {
                let count = try await node.command("DBSIZE").int ?? 0
                #expect(count > 0)
                stored += Int(count)
            }
            #expect(stored == Self.keys.count)
            #expect(try await client.sendToEveryMaster(RedisCommand("PING")).count == 3)
            #expect(await client.problem() == nil)
        }
    }

    @Test func keysInDifferentSlotsAreRefusedBeforeSendingAndOneHashTagJoinsThem() async throws {
        try await Self.withCluster { cluster, client in
            await #expect(throws: RedisError.crossSlot("a and b")) { try await client.send("MGET", "a", "b") }
            await #expect(throws: RedisError.crossSlot("a and b")) {
                try await client.evalScript("return 1", keys: ["a", "b"])
            }
            await #expect(throws: RedisError.notRoutable("OBJECT")) { try await client.send("OBJECT", "ENCODING", "a") }
            try await client.set("{user:7}:name", "x")
            try await client.set("{user:7}:mail", "y")
            let both = try await client.send("MGET", "{user:7}:name", "{user:7}:mail")
            #expect(both.array?.map(\.string) == ["x", "y"])
            var errors = 0
            for node in cluster.nodes {
                let stats = try await node.command("INFO", "errorstats").string ?? ""
                errors += stats.contains("CROSSSLOT") ? 1 : 0
            }
            #expect(errors == 0, "a cross-slot command reached a node")
        }
    }

    @Test func aMovedSlotIsFollowedAndAMigratingSlotIsAskedFor() async throws {
        try await Self.withCluster { cluster, client in
            // MOVED: the (empty) slot of "moved" is given to another master after the client has its map.
            let movedSlot = ClusterSlot.of("moved")
            #expect(try await client.get("moved") == nil)
            let owner = try await cluster.master(of: movedSlot)
            let target = try await cluster.master(of: (movedSlot + ClusterSlot.count / 2) % ClusterSlot.count)
            #expect(owner.port != target.port)
            let targetID = try await cluster.nodeID(target)
            for node in cluster.nodes { try await node.command("CLUSTER", "SETSLOT", movedSlot, "NODE", targetID) }
            try await client.set("moved", "here")
            #expect(try await target.command("DBSIZE").int == 1)
            #expect(try await client.get("moved") == Array("here".utf8))

            // ASK: the slot of "asked" is migrating; a key not on the source yet is written on the target.
            let askedSlot = ClusterSlot.of("asked")
            let source = try await cluster.master(of: askedSlot)
            let destination = cluster.nodes.first { $0.port != source.port && $0.port != target.port } ?? target
            try await destination.command("CLUSTER", "SETSLOT", askedSlot, "IMPORTING", try await cluster.nodeID(source))
            try await source.command("CLUSTER", "SETSLOT", askedSlot, "MIGRATING", try await cluster.nodeID(destination))
            try await client.set("asked", "there")
            let onDestination = RedisClient(configuration: try RedisConfiguration(url: destination.url, connections: 1))
            defer { Task { await onDestination.close() } }
            #expect(try await onDestination.pipeline([RedisCommand("ASKING"), RedisCommand("EXISTS", "asked")]).last == .integer(1))
            #expect(try await client.get("asked") == Array("there".utf8))
        }
    }

    /// Keys of one slot split between the two nodes of its move answer TRYAGAIN; the client
    /// sends the command again after a pause and gets the answer once the move has ended.
    @Test func aCommandOnKeysMidMoveIsSentAgainOnceTheyHaveMoved() async throws {
        try await Self.withCluster { cluster, client in
            let slot = ClusterSlot.of("{moving}")
            try await client.set("{moving}:a", "1")
            try await client.set("{moving}:b", "2")
            let source = try await cluster.master(of: slot)
            let destination = cluster.nodes.first { $0.port != source.port }!
            let (sourceID, destinationID) = (try await cluster.nodeID(source), try await cluster.nodeID(destination))
            try await destination.command("CLUSTER", "SETSLOT", slot, "IMPORTING", sourceID)
            try await source.command("CLUSTER", "SETSLOT", slot, "MIGRATING", destinationID)
            try await source.command("MIGRATE", "127.0.0.1", destination.port, "{moving}:b", 0, 5000)
            await #expect(throws: RedisError.server("TRYAGAIN Multiple keys request during rehashing of slot")) {
                try await source.command("MGET", "{moving}:a", "{moving}:b")
            }
            async let both = client.send("MGET", "{moving}:a", "{moving}:b")
            // Once the client has met TRYAGAIN too, the move ends: the rest of the key, then the slot.
            let hangGuard = ContinuousClock.now + .seconds(60)
            while try await Self.errors("TRYAGAIN", on: source) < 2 {
                try #require(ContinuousClock.now < hangGuard, "the client never sent the command")
                try await Task.sleep(for: .milliseconds(1))
            }
            try await source.command("MIGRATE", "127.0.0.1", destination.port, "{moving}:a", 0, 5000)
            for node in cluster.nodes { try await node.command("CLUSTER", "SETSLOT", slot, "NODE", destinationID) }
            #expect(try await both.array?.map(\.string) == ["1", "2"])
        }
    }

    /// How many error replies of `kind` the node has sent (INFO errorstats).
    static func errors(_ kind: String, on node: RedisProcess) async throws -> Int {
        let stats = try await node.command("INFO", "errorstats").string ?? ""
        guard let line = stats.split(whereSeparator: \.isNewline).first(where: { $0.hasPrefix("errorstat_\(kind):count=") }) else { return 0 }
        return Int(line.dropFirst("errorstat_\(kind):count=".count)) ?? 0
    }

    @Test func aScriptRunsOnEveryMasterLoadedOrNot() async throws {
        try await Self.withCluster { cluster, client in
            let script = "redis.call('SET', KEYS[1], ARGV[1]) return redis.call('GET', KEYS[1])"
            for key in Self.keys {
                #expect(try await client.evalScript(script, keys: [key], arguments: [key]).string == key)
            }
            // After SCRIPT FLUSH everywhere (as on a promoted replica), the script is loaded again.
            try await client.sendToEveryMaster(RedisCommand("SCRIPT", "FLUSH"))
            #expect(try await client.evalScript(script, keys: ["again"], arguments: ["yes"]).string == "yes")
        }
    }

    /// SIGKILL to a master: its slots answer `unavailable` (never a wrong answer) until its
    /// replica is promoted, then the client finds the new master by itself.
    @Test func aKilledMasterIsReplacedByItsReplicaWithoutARestart() async throws {
        try await Self.withCluster(replicasPerMaster: 1, commandTimeout: .seconds(1)) { cluster, client in
            let key = "failover"
            try await client.set(key, "before")
            let master = try await cluster.master(of: ClusterSlot.of(key))
            try await cluster.waitUntilReplicasHave(key, of: master)
            await master.kill()
            var unavailable = 0
            let guardTime = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < guardTime {
                do {
                    #expect(try await client.get(key) == Array("before".utf8))
                    break
                } catch let error as RedisError {
                    #expect(error.isUnavailable, "unexpected \(error)")
                    unavailable += 1
                    try await Task.sleep(for: .milliseconds(50))
                }
            }
            #expect(unavailable > 0)
            #expect(try await client.get(key) == Array("before".utf8))
            try await client.set(key, "after")
            #expect(try await client.get(key) == Array("after".utf8))
        }
    }

    /// A planned failover (CLUSTER FAILOVER) turns the master into a replica: a replicated write
    /// sent there with the old map gets MOVED (and its WAIT an error from a replica), and is
    /// sent on to the new master, where it waits for its replica as before: no failure.
    @Test func aReplicatedWriteFollowsAPlannedFailover() async throws {
        try await Self.withCluster(replicasPerMaster: 1, waitReplicas: 1) { cluster, client in
            let key = "planned"
            try await client.set(key, "1")  // the client has the map now
            let master = try await cluster.master(of: ClusterSlot.of(key))
            let replica = try #require(try await cluster.replicas(of: master).first)
            try await replica.command("CLUSTER", "FAILOVER")
            // Until the old master replicates the new one, so the write's WAIT can be satisfied.
            let hangGuard = ContinuousClock.now + .seconds(60)
            while try await master.command("INFO", "replication").string.map({
                !$0.contains("master_port:\(replica.port)\r") || !$0.contains("master_link_status:up")
            }) ?? true {
                try #require(ContinuousClock.now < hangGuard, "the planned failover did not end")
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(try await client.send(RedisCommand("SET", key, "2"), .replicated) == .status("OK"))
            #expect(try await client.get(key) == Array("2".utf8))
        }
    }

    /// Replicated increments from 8 writers while the key's replica lags and its master is
    /// SIGKILLed, then comes back as a replica: every increment that was acknowledged is in the
    /// count the promoted replica serves.
    @Test func noAcknowledgedReplicatedWriteIsLostInAFailover() async throws {
        try await Self.withCluster(replicasPerMaster: 1, commandTimeout: .seconds(1), waitReplicas: 1) { cluster, client in
            let key = "acknowledged"
            let progress = LoadProgress()
            let afterKill = LoadProgress()  // its successes: those after the kill
            let guardTime = ContinuousClock.now + .seconds(60)
            let writers = Task {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<8 {
                        group.addTask {
                            while afterKill.successes.load(ordering: .relaxed) < 100, ContinuousClock.now < guardTime {
                                do {
                                    try await client.send(RedisCommand("INCR", key), .replicated)
                                    progress.successes.add(1, ordering: .relaxed)
                                    if progress.killed.load(ordering: .relaxed) { afterKill.successes.add(1, ordering: .relaxed) }
                                } catch let error as RedisError {
                                    #expect(error.isUnavailable, "unexpected \(error)")
                                    try await Task.sleep(for: .milliseconds(20))
                                }
                            }
                        }
                    }
                    try await group.waitForAll()
                }
            }
            while progress.successes.load(ordering: .relaxed) < 200, ContinuousClock.now < guardTime {
                try await Task.sleep(for: .milliseconds(10))
            }
            // The replica falls 1 s behind first: writes acknowledged by the master alone in that
            // second would be lost with it.
            let master = try await cluster.master(of: ClusterSlot.of(key))
            let replicas = try await cluster.replicas(of: master)
            replicas.forEach { $0.pause(true) }
            try await Task.sleep(for: .seconds(1))
            await master.kill()
            replicas.forEach { $0.pause(false) }
            progress.killed.store(true, ordering: .relaxed)
            // The promoted replica has no replica of its own to confirm a write until the old
            // master is back, as its replica: replicated writes fail (503) until then. It comes
            // back only after the promotion: restarted empty before it, it would take its slots
            // back and the replica would copy its emptiness.
            for replica in replicas {
                while try await replica.command("ROLE").array?.first?.string != "master" {
                    #expect(ContinuousClock.now < guardTime, "no replica was promoted")
                    try await Task.sleep(for: .milliseconds(50))
                }
            }
            try await master.start()
            try await writers.value
            #expect(afterKill.successes.load(ordering: .relaxed) >= 100, "the writers did not recover within 60 s")
            let stored = try await client.get(key).flatMap { Int(String(decoding: $0, as: UTF8.self)) } ?? 0
            #expect(stored >= progress.successes.load(ordering: .relaxed))
        }
    }
}
