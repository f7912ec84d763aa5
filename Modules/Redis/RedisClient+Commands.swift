/// Typed helpers for the commands features use. Each is one argument vector; anything not here
/// goes through `send(_:_:)`.
extension RedisClient {
    // MARK: Strings and keys

    public func get(_ key: String) async throws -> [UInt8]? {
        try await send("GET", key).bytes
    }

    /// SET with the options features need; returns false when NX/XX prevented the write.
    @discardableResult
    public func set(
        _ key: String, _ value: any RedisArgument, expireSeconds: Int? = nil, onlyIfAbsent: Bool = false
    ) async throws -> Bool {
        var arguments: [any RedisArgument] = [key, value]
        if let expireSeconds { arguments += ["EX", expireSeconds] }
        if onlyIfAbsent { arguments.append("NX") }
        return try await send(RedisCommand("SET", arguments)) != .null
    }

    /// Sets a new value and returns the previous one, atomically (SET ... GET).
    public func getSet(_ key: String, _ value: any RedisArgument) async throws -> [UInt8]? {
        try await send("SET", key, value, "GET").bytes
    }

    @discardableResult
    public func delete(_ keys: String...) async throws -> Int64 {
        try await integer(RedisCommand("DEL", keys))
    }

    public func exists(_ key: String) async throws -> Bool {
        try await integer(RedisCommand("EXISTS", key)) == 1
    }

    @discardableResult
    public func incrementBy(_ key: String, _ amount: Int64) async throws -> Int64 {
        try await integer(RedisCommand("INCRBY", key, amount))
    }

    @discardableResult
    public func expire(_ key: String, seconds: Int) async throws -> Bool {
        try await integer(RedisCommand("EXPIRE", key, seconds)) == 1
    }

    // MARK: Hashes

    @discardableResult
    public func hset(_ key: String, _ fields: [(String, any RedisArgument)]) async throws -> Int64 {
        try await integer(RedisCommand("HSET", [key] + fields.flatMap { [$0.0, $0.1] as [any RedisArgument] }))
    }

    public func hget(_ key: String, _ field: String) async throws -> [UInt8]? {
        try await send("HGET", key, field).bytes
    }

    /// All fields of a hash; empty when the key does not exist.
    public func hgetall(_ key: String) async throws -> [String: [UInt8]] {
        let elements = try await array(RedisCommand("HGETALL", key))
        var fields: [String: [UInt8]] = [:]
        for index in stride(from: 0, to: elements.count - 1, by: 2) {
            fields[elements[index].string ?? ""] = elements[index + 1].bytes ?? []
        }
        return fields
    }

    @discardableResult
    public func hdel(_ key: String, _ fields: String...) async throws -> Int64 {
        try await integer(RedisCommand("HDEL", [key] + fields))
    }

    // MARK: Sorted sets

    @discardableResult
    public func zincrby(_ key: String, _ increment: Double, _ member: any RedisArgument) async throws -> Double {
        guard let score = try await send("ZINCRBY", key, increment, member).double else {
            throw RedisError.unexpectedReply("ZINCRBY returned no score")
        }
        return score
    }

    public func zscore(_ key: String, _ member: any RedisArgument) async throws -> Double? {
        try await send("ZSCORE", key, member).double
    }

    public func zcard(_ key: String) async throws -> Int64 {
        try await integer(RedisCommand("ZCARD", key))
    }

    /// Members with scores by rank, `start...stop` inclusive (negative counts from the end).
    public func zrangeWithScores(
        _ key: String, start: Int, stop: Int, reverse: Bool = false
    ) async throws -> [(member: ArraySlice<UInt8>, score: Double)] {
        var arguments: [any RedisArgument] = [key, start, stop]
        if reverse { arguments.append("REV") }
        arguments.append("WITHSCORES")
        guard let pairs = try await send(RedisCommand("ZRANGE", arguments)).membersWithScores else {
            throw RedisError.unexpectedReply("ZRANGE did not return members and scores")
        }
        return pairs
    }

    // MARK: Sets

    @discardableResult
    public func sadd(_ key: String, _ members: [any RedisArgument]) async throws -> Int64 {
        try await integer(RedisCommand("SADD", [key] + members))
    }

    @discardableResult
    public func srem(_ key: String, _ members: [any RedisArgument]) async throws -> Int64 {
        try await integer(RedisCommand("SREM", [key] + members))
    }

    public func smembers(_ key: String) async throws -> [[UInt8]] {
        try await array(RedisCommand("SMEMBERS", key)).compactMap(\.bytes)
    }

    // MARK: Reply shapes

    private func integer(_ command: RedisCommand) async throws -> Int64 {
        guard case .integer(let value) = try await send(command) else {
            throw RedisError.unexpectedReply("\(command.name) did not return an integer")
        }
        return value
    }

    private func array(_ command: RedisCommand) async throws -> [RedisReply] {
        guard let elements = try await send(command).array else {
            throw RedisError.unexpectedReply("\(command.name) did not return an array")
        }
        return elements
    }
}
