/// A reply from Redis.
public enum RedisReply: Sendable, Equatable {
    case status(String)
    case error(String)
    case integer(Int64)
    case bulk([UInt8])
    case array([RedisReply])
    /// An array whose elements are all bulk strings, kept in one buffer (`array` gives them as
    /// `.bulk` values too). Equal to the `.array` of the same strings.
    case bulkStrings(BulkStrings)
    case null

    public static func == (left: RedisReply, right: RedisReply) -> Bool {
        switch (left, right) {
        case (.status(let a), .status(let b)), (.error(let a), .error(let b)): a == b
        case (.integer(let a), .integer(let b)): a == b
        case (.bulk(let a), .bulk(let b)): a == b
        case (.null, .null): true
        case (.array, .array), (.array, .bulkStrings), (.bulkStrings, .array), (.bulkStrings, .bulkStrings): left.array == right.array
        default: false
        }
    }

    /// The reply as text: bulk strings and status replies.
    public var string: String? {
        switch self {
        case .bulk(let bytes): String(decoding: bytes, as: UTF8.self)
        case .status(let text): text
        default: nil
        }
    }

    public var bytes: [UInt8]? {
        if case .bulk(let bytes) = self { return bytes }
        return nil
    }

    /// Integers, and bulk strings that hold one (Redis returns scores and INCRBY results both ways).
    public var int: Int64? {
        switch self {
        case .integer(let value): value
        case .bulk(let bytes): Int64(String(decoding: bytes, as: UTF8.self))
        default: nil
        }
    }

    public var double: Double? {
        switch self {
        case .integer(let value): Double(value)
        case .bulk(let bytes): Self.number(bytes)
        default: nil
        }
    }

    /// A score or other number sent as text. Scores are mostly whole numbers ("-42"): those are
    /// read digit by digit, with no String.
    public static func number(_ bytes: some Collection<UInt8>) -> Double? {
        wholeNumber(bytes).map(Double.init) ?? Double(String(decoding: bytes, as: UTF8.self))
    }

    /// `-?[0-9]{1,15}` as a number (exactly representable as a Double); nil for anything else.
    static func wholeNumber(_ bytes: some Collection<UInt8>) -> Int64? {
        let negative = bytes.first == UInt8(ascii: "-")
        let digits = bytes.dropFirst(negative ? 1 : 0)
        guard (1...15).contains(digits.count) else { return nil }
        var value: Int64 = 0
        for byte in digits {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            value = value * 10 + Int64(byte - UInt8(ascii: "0"))
        }
        return negative ? -value : value
    }

    public var array: [RedisReply]? {
        switch self {
        case .array(let elements): elements
        case .bulkStrings(let strings): strings.replies
        default: nil
        }
    }

    public var isNull: Bool { self == .null }

    /// A `ZRANGE ... WITHSCORES` reply as pairs. Members are slices of the reply's one buffer:
    /// no allocation per member.
    public var membersWithScores: [(member: ArraySlice<UInt8>, score: Double)]? {
        switch self {
        case .bulkStrings(let strings):
            stride(from: 0, to: strings.count - 1, by: 2).map { (strings[$0], Self.number(strings[$0 + 1]) ?? 0) }
        case .array(let elements) where elements.isEmpty: []
        default: nil
        }
    }
}

/// Bulk strings back to back in one buffer, with where each ends.
public struct BulkStrings: Sendable, Equatable {
    public private(set) var bytes: [UInt8] = []
    private var ends: [Int] = []

    public init() {}

    public var count: Int { ends.count }

    public subscript(index: Int) -> ArraySlice<UInt8> {
        bytes[(index == 0 ? 0 : ends[index - 1])..<ends[index]]
    }

    mutating func append(_ string: UnsafeRawBufferPointer) {
        bytes.append(contentsOf: string)
        ends.append(bytes.count)
    }

    var replies: [RedisReply] { (0..<count).map { .bulk(Array(self[$0])) } }
}

extension Array where Element == RedisReply {
    /// The replies of a pipeline, unless one is an error reply: the first is thrown
    /// (`RedisError.server`), so a failed command is never read as a missing value.
    public func throwingErrors() throws -> [RedisReply] {
        for reply in self {
            if case .error(let message) = reply { throw RedisError.server(message) }
        }
        return self
    }
}
