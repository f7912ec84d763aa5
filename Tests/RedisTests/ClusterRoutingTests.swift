import Testing

@testable import Redis

/// What cluster mode decides before anything is sent: a key's slot, a command's keys, the slot
/// map from `CLUSTER SLOTS`, redirect replies and cluster URLs.
@Suite struct ClusterRoutingTests {
    @Test func slotsAreCRC16OfTheKeyOrOfItsHashTag() {
        #expect(ClusterSlot.crc16(Array("123456789".utf8)) == 0x31C3)  // the XMODEM check value
        // Slots as redis-cli's CLUSTER KEYSLOT reports them.
        #expect(ClusterSlot.of("foo") == 12182)
        #expect(ClusterSlot.of("bar") == 5061)
        #expect(ClusterSlot.of("") == 0)
        #expect(ClusterSlot.of("{user1000}.following") == ClusterSlot.of("{user1000}.followers"))
        #expect(ClusterSlot.of("{user1000}.following") == ClusterSlot.of("user1000"))
        // The first {...} with something inside counts; an empty one hashes the whole key.
        #expect(ClusterSlot.of("foo{}{bar}") == ClusterSlot.of(Array("foo{}{bar}".utf8)))
        #expect(ClusterSlot.of("foo{}{bar}") != ClusterSlot.of("bar"))
        #expect(ClusterSlot.of("foo{{bar}}zap") == ClusterSlot.of("{bar"))
        #expect(ClusterSlot.of("foo{bar}{zap}") == ClusterSlot.of("bar"))
        #expect(ClusterSlot.of([0xFF, 0x00, 0x7B]) == Int(ClusterSlot.crc16([0xFF, 0x00, 0x7B]) % 16384))
    }

    @Test func keysAreFoundWhereEachCommandKeepsThem() {
        func keys(_ name: String, _ arguments: String...) -> [String]? {
            ClusterKeys.keys(of: RedisCommand(name, arguments))?.map { String(decoding: $0, as: UTF8.self) }
        }
        #expect(keys("GET", "a") == ["a"])
        #expect(keys("set", "a", "1", "EX", "5") == ["a"])
        #expect(keys("MGET", "a", "b", "c") == ["a", "b", "c"])
        #expect(keys("MSET", "a", "1", "b", "2") == ["a", "b"])
        #expect(keys("EVALSHA", "sha", "2", "k1", "k2", "arg") == ["k1", "k2"])
        #expect(keys("EVAL", "src", "0", "arg") == [])
        #expect(keys("RENAME", "a", "b") == ["a", "b"])
        #expect(keys("PING") == [])
        #expect(keys("OBJECT", "ENCODING", "a") == nil)
    }

    @Test func theSlotMapNamesOneMasterPerSlot() throws {
        func node(_ host: String, _ port: Int64, _ id: String) -> RedisReply {
            .array([.bulk(Array(host.utf8)), .integer(port), .bulk(Array(id.utf8))])
        }
        let reply = RedisReply.array([
            .array([.integer(0), .integer(5460), node("10.0.0.1", 7000, "a"), node("10.0.0.4", 7003, "d")]),
            .array([.integer(5461), .integer(10922), node("", 7001, "b")]),
            .array([.integer(10923), .integer(16383), node("10.0.0.3", 7002, "c")]),
        ])
        var map = try ClusterMap(slotsReply: reply, queried: .init(host: "10.0.0.9", port: 7001))
        #expect(map.masters.map(\.description) == ["10.0.0.1:7000", "10.0.0.9:7001", "10.0.0.3:7002"])
        #expect(map.master(of: 0)?.port == 7000)
        #expect(map.master(of: 5461)?.host == "10.0.0.9")
        #expect(map.master(of: 16383)?.port == 7002)
        #expect(map.unservedSlots == 0)
        map.assign(42, to: .init(host: "10.0.0.3", port: 7002))
        #expect(map.master(of: 42)?.port == 7002)
        #expect(map.masters.count == 3)

        let partial = try ClusterMap(
            slotsReply: .array([.array([.integer(0), .integer(99), node("h", 1, "x")])]), queried: .init(host: "q", port: 2))
        #expect(partial.unservedSlots == 16384 - 100)
        #expect(partial.master(of: 100) == nil)
        #expect(throws: RedisError.self) { try ClusterMap(slotsReply: .array([.integer(1)]), queried: .init(host: "q", port: 2)) }
    }

    @Test func redirectsAreReadFromMovedAndAskReplies() {
        let moved = Redirect(.error("MOVED 3999 127.0.0.1:6381"))
        #expect(moved?.slot == 3999)
        #expect(moved?.node == .init(host: "127.0.0.1", port: 6381))
        #expect(moved?.asking == false)
        #expect(Redirect(.error("ASK 12 ::1:7000"))?.node == .init(host: "::1", port: 7000))
        #expect(Redirect(.error("ASK 12 ::1:7000"))?.asking == true)
        #expect(Redirect(.error("ERR MOVED")) == nil)
        #expect(Redirect(.status("MOVED 1 a:1")) == nil)
        #expect(RedisError.server("MOVED 1 a:1").isUnavailable)
    }

    @Test func aClusterURLNamesItsSeeds() throws {
        let configuration = try RedisConfiguration(url: "redis+cluster://user:p%40ss@10.0.0.1:7000,10.0.0.2:7001,node3")
        #expect(configuration.clusterSeeds?.map(\.description) == ["10.0.0.1:7000", "10.0.0.2:7001", "node3:6379"])
        #expect(configuration.username == "user")
        #expect(configuration.password == "p@ss")
        #expect(configuration.database == 0)
        #expect(try RedisConfiguration(url: "redis://h:1/2").clusterSeeds == nil)
        #expect(throws: RedisError.self) { try RedisConfiguration(url: "redis+cluster://h:1/3") }
        #expect(throws: RedisError.self) { try RedisConfiguration(url: "redis+cluster://h:1,:2") }
    }
}
