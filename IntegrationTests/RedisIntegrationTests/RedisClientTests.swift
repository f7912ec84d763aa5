import Foundation
import IntegrationSupport
import Redis
import Testing

/// Against the Redis that scripts/test starts; every test uses keys of its own.
@Suite struct RedisClientTests {
    let client: RedisClient
    /// One hash tag for every key, so the multi-key commands also run on a Redis Cluster.
    let prefix = "{test:\(UUID().uuidString)}:"

    init() throws {
        client = RedisClient(configuration: try RedisConfiguration(url: try TestEnvironment.redisURL))
    }

    @Test func stringsAndKeys() async throws {
        let key = prefix + "string"
        #expect(try await client.get(key) == nil)
        #expect(try await client.set(key, "one"))
        #expect(try await client.set(key, "two", onlyIfAbsent: true) == false)
        #expect(try await client.get(key) == Array("one".utf8))
        #expect(try await client.getSet(key, "three") == Array("one".utf8))
        #expect(try await client.exists(key))
        #expect(try await client.expire(key, seconds: 100))
        #expect(try await client.send("TTL", key).int ?? 0 > 90)
        #expect(try await client.incrementBy(prefix + "n", 5) == 5)
        #expect(try await client.incrementBy(prefix + "n", -2) == 3)
        #expect(try await client.delete(key, prefix + "n") == 2)
        #expect(try await client.exists(key) == false)
        #expect(try await client.set(prefix + "ex", "v", expireSeconds: 50))
        #expect(try await client.send("TTL", prefix + "ex").int ?? 0 > 40)
    }

    @Test func hashes() async throws {
        let key = prefix + "hash"
        #expect(try await client.hset(key, [("name", "Widget"), ("stock", 5)]) == 2)
        #expect(try await client.hget(key, "name") == Array("Widget".utf8))
        #expect(try await client.hgetall(key) == ["name": Array("Widget".utf8), "stock": Array("5".utf8)])
        #expect(try await client.hdel(key, "name") == 1)
        #expect(try await client.hget(key, "name") == nil)
        #expect(try await client.hgetall(prefix + "absent").isEmpty)
    }

    @Test func sortedSets() async throws {
        let key = prefix + "zset"
        #expect(try await client.zincrby(key, 1, "a") == 1)
        #expect(try await client.zincrby(key, 2.5, "b") == 2.5)
        #expect(try await client.zincrby(key, 1, "a") == 2)
        #expect(try await client.zscore(key, "b") == 2.5)
        #expect(try await client.zscore(key, "none") == nil)
        #expect(try await client.zcard(key) == 2)
        let descending = try await client.zrangeWithScores(key, start: 0, stop: -1, reverse: true)
        #expect(descending.map { String(decoding: $0.member, as: UTF8.self) } == ["b", "a"])
        #expect(descending.map(\.score) == [2.5, 2])
        let first = try await client.zrangeWithScores(key, start: 0, stop: 0)
        #expect(first.map { String(decoding: $0.member, as: UTF8.self) } == ["a"])
    }

    @Test func sets() async throws {
        let key = prefix + "set"
        #expect(try await client.sadd(key, ["x", "y", "x"]) == 2)
        #expect(try await client.srem(key, ["y"]) == 1)
        #expect(try await client.smembers(key) == [Array("x".utf8)])
    }

    @Test func pipelineKeepsOrderAndReturnsErrorsInPlace() async throws {
        let key = prefix + "pipe"
        let replies = try await client.pipeline([
            RedisCommand("SET", key, "1"),
            RedisCommand("INCR", key),
            RedisCommand("HGET", key, "field"),  // WRONGTYPE: stays in its slot
            RedisCommand("GET", key),
        ])
        #expect(replies[0] == .status("OK"))
        #expect(replies[1] == .integer(2))
        guard case .error(let message) = replies[2] else {
            Issue.record("expected an error reply, got \(replies[2])")
            return
        }
        #expect(message.hasPrefix("WRONGTYPE"))
        #expect(replies[3] == .bulk(Array("2".utf8)))
    }

    @Test func transactionIsAtomicAndErrorRepliesThrow() async throws {
        let key = prefix + "tx"
        let results = try await client.transaction([
            RedisCommand("INCRBY", key, 10), RedisCommand("INCRBY", key, 5), RedisCommand("GET", key),
        ])
        #expect(results == [.integer(10), .integer(15), .bulk(Array("15".utf8))])
        await #expect(throws: RedisError.self) {
            try await client.transaction([RedisCommand("NOSUCHCOMMAND")])
        }
        await #expect(throws: RedisError.server("ERR value is not an integer or out of range")) {
            try await client.send("INCR", prefix + "hash-as-int")  // absent: 1
            try await client.send("SET", prefix + "hash-as-int", "x")
            try await client.send("INCR", prefix + "hash-as-int")
        }
    }

    @Test func scriptsRunBySHAAndReloadAfterFlush() async throws {
        let script = "return redis.call('INCRBY', KEYS[1], ARGV[1])"
        let key = prefix + "script"
        #expect(try await client.evalScript(script, keys: [key], arguments: [3]) == .integer(3))
        try await client.send("SCRIPT", "FLUSH")
        #expect(try await client.evalScript(script, keys: [key], arguments: [4]) == .integer(7))
    }

    @Test func keysAndValuesAreBinarySafe() async throws {
        let awkward = ["with space", "new\r\nline", "nul\u{0}byte", "ünïcødé ✓ 🚂", "$3\r\nSET", "*1\r\n"]
        for text in awkward {
            let key = prefix + text
            try await client.set(key, text)
            #expect(try await client.get(key) == Array(text.utf8))
        }
        let allBytes = (0..<256).map { UInt8($0) }
        try await client.set(prefix + "bytes", allBytes)
        #expect(try await client.get(prefix + "bytes") == allBytes)
        let large = (0..<(4 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try await client.set(prefix + "large", large)
        #expect(try await client.get(prefix + "large") == large)
    }

    @Test func tenThousandConcurrentCommandsGetTheirOwnReplies() async throws {
        let key = prefix + "concurrent"
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<100 {
                group.addTask {
                    for step in 0..<100 {
                        let value = "\(task)-\(step)"
                        let echoed = try await client.send("ECHO", value)
                        #expect(echoed.string == value)
                        try await client.send("HINCRBY", key, "task-\(task)", 1)
                    }
                }
            }
            try await group.waitForAll()
        }
        let counts = try await client.hgetall(key)
        #expect(counts.count == 100)
        #expect(counts.values.allSatisfy { $0 == Array("100".utf8) })
    }
}
