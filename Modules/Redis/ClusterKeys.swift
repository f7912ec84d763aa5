/// Where a command's keys are, so a cluster client can route it to the slot's master and refuse
/// it before sending when its keys span slots. A table, not `COMMAND`'s key specs: it is read
/// at every command, and a command missing from it is refused in cluster mode with its name
/// rather than routed by a guess.
enum ClusterKeys {
    enum Positions {
        /// No key: any master can answer (PING, INFO, SCRIPT LOAD...).
        case none
        /// Arguments `first...` (to the end, or to `last` when given) every `step`.
        case range(first: Int, last: Int?, step: Int)
        /// EVAL-like: the number of keys at argument 2, the keys after it.
        case counted
    }

    /// The keys of `command`; nil when the command is not in the table.
    static func keys(of command: RedisCommand) -> [[UInt8]]? {
        guard let positions = table[command.name] else { return nil }
        let arguments = command.arguments
        switch positions {
        case .none:
            return []
        case .range(let first, let last, let step):
            let end = min(last.map { $0 + 1 } ?? arguments.count, arguments.count)
            guard first < end else { return [] }
            return stride(from: first, to: end, by: step).map { arguments[$0] }
        case .counted:
            guard arguments.count > 2, let count = Int(String(decoding: arguments[2], as: UTF8.self)), count >= 0,
                arguments.count >= 3 + count
            else { return [] }
            return Array(arguments[3..<(3 + count)])
        }
    }

    private static let oneKey: [String] = [
        "GET", "SET", "SETNX", "SETEX", "PSETEX", "GETSET", "GETDEL", "GETEX", "INCR", "INCRBY", "INCRBYFLOAT", "DECR",
        "DECRBY", "APPEND", "STRLEN", "GETRANGE", "SETRANGE", "GETBIT", "SETBIT", "BITCOUNT", "EXPIRE", "PEXPIRE",
        "EXPIREAT", "PEXPIREAT", "TTL", "PTTL", "PERSIST", "TYPE", "DUMP", "RESTORE", "HSET", "HSETNX", "HGET", "HMGET",
        "HMSET", "HGETALL", "HDEL", "HINCRBY", "HINCRBYFLOAT", "HEXISTS", "HLEN", "HKEYS", "HVALS", "HSCAN", "ZADD",
        "ZINCRBY", "ZSCORE", "ZMSCORE", "ZCARD", "ZCOUNT", "ZLEXCOUNT", "ZRANGE", "ZRANGEBYLEX", "ZRANGEBYSCORE",
        "ZREVRANGE", "ZREVRANGEBYSCORE", "ZREVRANGEBYLEX", "ZRANK", "ZREVRANK", "ZREM", "ZREMRANGEBYRANK",
        "ZREMRANGEBYSCORE", "ZREMRANGEBYLEX", "ZPOPMIN", "ZPOPMAX", "ZRANDMEMBER", "ZSCAN", "SADD", "SREM", "SMEMBERS",
        "SISMEMBER", "SMISMEMBER", "SCARD", "SPOP", "SRANDMEMBER", "SSCAN", "LPUSH", "RPUSH", "LPUSHX", "RPUSHX", "LPOP",
        "RPOP", "LRANGE", "LLEN", "LINDEX", "LSET", "LREM", "LTRIM", "LPOS", "XADD", "XLEN", "XRANGE", "XREVRANGE", "XDEL",
        "XTRIM", "PFADD",
    ]
    private static let everyArgument = ["MGET", "DEL", "UNLINK", "EXISTS", "TOUCH", "PFCOUNT", "PFMERGE", "SINTER", "SUNION", "SDIFF"]
    private static let twoKeys = ["RENAME", "RENAMENX", "SMOVE", "RPOPLPUSH", "LMOVE", "COPY", "ZRANGESTORE"]
    private static let keyless = [
        "PING", "ECHO", "INFO", "TIME", "DBSIZE", "FLUSHDB", "FLUSHALL", "SCRIPT", "FUNCTION", "CLUSTER", "COMMAND",
        "CONFIG", "ROLE", "LASTSAVE", "SCAN", "KEYS", "RANDOMKEY", "READONLY", "READWRITE", "ASKING", "MULTI", "EXEC", "CLIENT",
    ]

    private static let table: [String: Positions] = {
        var table: [String: Positions] = [:]
        for name in oneKey { table[name] = .range(first: 1, last: 1, step: 1) }
        for name in everyArgument { table[name] = .range(first: 1, last: nil, step: 1) }
        for name in twoKeys { table[name] = .range(first: 1, last: 2, step: 1) }
        for name in ["MSET", "MSETNX"] { table[name] = .range(first: 1, last: nil, step: 2) }
        for name in ["EVAL", "EVALSHA", "EVAL_RO", "EVALSHA_RO", "FCALL", "FCALL_RO"] { table[name] = .counted }
        for name in keyless { table[name] = Positions.none }
        return table
    }()
}
