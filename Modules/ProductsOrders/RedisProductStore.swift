import FeatureKit
import Redis

/// The catalogue in Redis: one hash per product, a sorted set of every id (all scores 0, so
/// it orders by id) to page through without `KEYS`, and one scored by stock for the
/// dashboard's low-stock list. Every change that touches both, or
/// that must see a product exist before changing it, is one Lua script: atomic, and a stock
/// change can never re-create a deleted product. A reservation leaves a marker under its token
/// (`held`, then `released`), so that a reservation or a release whose answer was lost can be
/// sent again and still happens once, and a release that comes first keeps the reservation
/// from ever running.
struct RedisProductStore: ProductStore {
    let redis: RedisClient
    let keyPrefix: String

    static let fields = ["id", "title", "passenger_capacity", "maximum_speed", "in_stock"]

    /// Every key under one hash tag, `{<prefix>}`: the scripts change a product, the index and
    /// the stock set together, and an order's reservation is all or nothing over its products,
    /// so on a Redis Cluster the catalogue lives in one slot (one master's throughput).
    private var tag: String { "{" + keyPrefix + "}" }
    var indexKey: String { tag + ":products" }
    var stockKey: String { tag + ":stock" }
    func productKey(_ id: String) -> String { tag + ":product:" + id }
    func reservationKey(_ token: String) -> String { tag + ":reservation:" + token }

    /// ARGV[6] = "1" overwrites an existing product (`put`); otherwise it is left alone.
    static let createScript = """
        if ARGV[6] ~= '1' and redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
        redis.call('HSET', KEYS[1], 'id', ARGV[1], 'title', ARGV[2], 'passenger_capacity', ARGV[3],
            'maximum_speed', ARGV[4], 'in_stock', ARGV[5])
        redis.call('ZADD', KEYS[2], 0, ARGV[1])
        redis.call('ZADD', KEYS[3], ARGV[5], ARGV[1])
        return 1
        """

    /// ARGV: the id, then field/value pairs.
    static let updateScript = """
        if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
        redis.call('HSET', KEYS[1], unpack(ARGV, 2))
        redis.call('ZADD', KEYS[2], redis.call('HGET', KEYS[1], 'in_stock'), ARGV[1])
        return 1
        """

    static let deleteScript = """
        local removed = redis.call('DEL', KEYS[1])
        redis.call('ZREM', KEYS[2], ARGV[1])
        redis.call('ZREM', KEYS[3], ARGV[1])
        return removed
        """

    /// KEYS: the stock index, the reservation's marker, then the product hashes; ARGV: the
    /// marker's lifetime in seconds, then the quantities. Returns {0} when every product existed
    /// with enough stock and all were decremented (or this reservation already was); {1, i...}
    /// naming missing products (by line); {2, i, available, ...} naming short ones; {3} when the
    /// reservation was released before it ran. Nothing changes unless all pass.
    static let reserveScript = """
        local marker = redis.call('GET', KEYS[2])
        if marker == 'held' then return {0} end
        if marker == 'released' then return {3} end
        local missing = {}
        for i = 2, #ARGV do
            if redis.call('EXISTS', KEYS[i + 1]) == 0 then missing[#missing + 1] = i - 1 end
        end
        if #missing > 0 then return {1, unpack(missing)} end
        local short = {}
        for i = 2, #ARGV do
            local available = tonumber(redis.call('HGET', KEYS[i + 1], 'in_stock'))
            if available < tonumber(ARGV[i]) then
                short[#short + 1] = i - 1
                short[#short + 1] = available
            end
        end
        if #short > 0 then return {2, unpack(short)} end
        for i = 2, #ARGV do
            local left = redis.call('HINCRBY', KEYS[i + 1], 'in_stock', -tonumber(ARGV[i]))
            redis.call('ZADD', KEYS[1], left, redis.call('HGET', KEYS[i + 1], 'id'))
        end
        redis.call('SET', KEYS[2], 'held', 'EX', ARGV[1])
        return {0}
        """

    /// Gives a reservation's stock back to the products that still exist, once (same KEYS and
    /// ARGV as the reservation). A reservation not made yet is marked released, so that it
    /// never runs later. Returns 1 when stock went back.
    static let releaseScript = """
        local marker = redis.call('GET', KEYS[2])
        redis.call('SET', KEYS[2], 'released', 'EX', ARGV[1])
        if marker ~= 'held' then return 0 end
        for i = 2, #ARGV do
            if redis.call('EXISTS', KEYS[i + 1]) == 1 then
                local left = redis.call('HINCRBY', KEYS[i + 1], 'in_stock', ARGV[i])
                redis.call('ZADD', KEYS[1], left, redis.call('HGET', KEYS[i + 1], 'id'))
            end
        end
        return 1
        """

    /// How long a reservation's marker outlives its order's settlement.
    static let markerSeconds = 3 * 3600

    func create(_ product: Product) async throws -> Bool {
        try await write(product, overwriting: false)
    }

    func put(_ product: Product) async throws {
        _ = try await write(product, overwriting: true)
    }

    private func write(_ product: Product, overwriting: Bool) async throws -> Bool {
        let reply = try await redis.evalScript(
            Self.createScript, keys: [productKey(product.id), indexKey, stockKey],
            arguments: [
                product.id, product.title, product.passengerCapacity, product.maximumSpeed, product.inStock, overwriting ? "1" : "0",
            ], .replicated)
        return reply.int == 1
    }

    func product(_ id: String) async throws -> Product? {
        try await products([id])[id] ?? nil
    }

    func products(_ ids: [String]) async throws -> [String: Product?] {
        let replies = try await redis.pipeline(ids.map { RedisCommand("HMGET", [productKey($0)] + Self.fields) }).throwingErrors()
        var found: [String: Product?] = [:]
        for (id, reply) in zip(ids, replies) { found[id] = Self.product(from: reply) }
        return found
    }

    func update(_ id: String, changes: [(field: String, value: String)]) async throws -> Bool {
        let arguments = [id] + changes.flatMap { [$0.field, $0.value] }
        return try await redis.evalScript(Self.updateScript, keys: [productKey(id), stockKey], arguments: arguments, .replicated)
            .int == 1
    }

    func delete(_ id: String) async throws -> Bool {
        try await redis.evalScript(Self.deleteScript, keys: [productKey(id), indexKey, stockKey], arguments: [id], .replicated)
            .int == 1
    }

    /// Products deleted between the index read and the hash read are skipped.
    func page(after cursor: String?, limit: Int) async throws -> ProductPage {
        let start = cursor.map { "(" + $0 } ?? "-"
        let ids =
            try await redis.send(RedisCommand("ZRANGEBYLEX", indexKey, start, "+", "LIMIT", 0, limit + 1))
            .array?.compactMap(\.string) ?? []
        let pageIDs = Array(ids.prefix(limit))
        guard !pageIDs.isEmpty else { return ProductPage(products: [], next: nil) }
        let found = try await products(pageIDs)
        return ProductPage(products: pageIDs.compactMap { found[$0] ?? nil }, next: ids.count > limit ? pageIDs.last : nil)
    }

    func count() async throws -> Int64 {
        try await redis.send("ZCARD", indexKey).int ?? 0
    }

    func lowStock(atMost threshold: Int64, limit: Int) async throws -> [(id: String, stock: Int64)] {
        let flat =
            try await redis.send(
                RedisCommand("ZRANGEBYSCORE", stockKey, "-inf", threshold, "WITHSCORES", "LIMIT", 0, limit)
            ).array ?? []
        return stride(from: 0, to: flat.count - 1, by: 2).compactMap { index in
            guard let id = flat[index].string, let stock = flat[index + 1].int else { return nil }
            return (id, stock)
        }
    }

    func reserve(_ quantities: [(productID: String, quantity: Int64)], token: String) async throws -> Reservation {
        let reply = try await redis.evalScript(
            Self.reserveScript, keys: [stockKey, reservationKey(token)] + quantities.map { productKey($0.productID) },
            arguments: [Int64(Self.markerSeconds)] + quantities.map(\.quantity), .replicated)
        let values = reply.array?.compactMap(\.int) ?? []
        switch values.first {
        case 0: return .reserved
        case 1: return .missing(values.dropFirst().map { quantities[Int($0) - 1].productID })
        case 2:
            let pairs = Array(values.dropFirst())
            return .insufficient(
                stride(from: 0, to: pairs.count - 1, by: 2).map { index in
                    let line = quantities[Int(pairs[index]) - 1]
                    return (line.productID, line.quantity, pairs[index + 1])
                })
        case 3: throw RedisError.unavailable("the reservation was released before it ran")
        default: throw RedisError.unexpectedReply("reservation answered \(reply)")
        }
    }

    func release(_ quantities: [(productID: String, quantity: Int64)], token: String) async throws {
        try await redis.evalScript(
            Self.releaseScript, keys: [stockKey, reservationKey(token)] + quantities.map { productKey($0.productID) },
            arguments: [Int64(Self.markerSeconds)] + quantities.map(\.quantity), .replicated)
    }

    func forget(token: String) async throws {
        try await redis.send("DEL", reservationKey(token))
    }

    private static func product(from reply: RedisReply) -> Product? {
        guard let values = reply.array, values.count == fields.count, let id = values[0].string,
            let title = values[1].string, let capacity = values[2].int, let speed = values[3].int, let stock = values[4].int
        else { return nil }
        return Product(id: id, title: title, passengerCapacity: capacity, maximumSpeed: speed, inStock: stock)
    }
}
