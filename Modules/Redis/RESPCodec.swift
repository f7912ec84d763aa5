internal import CHiredis
import NIOCore

/// Encodes commands and decodes replies with hiredis's protocol codec; the sockets are NIO's.
enum RESPEncoder {
    /// Appends the RESP encoding of `command` to `buffer` (via `redisFormatCommandArgv`).
    static func encode(_ command: RedisCommand, into buffer: inout ByteBuffer) {
        // One contiguous copy of all arguments so every argv pointer stays valid during the call.
        let arguments = command.arguments
        let joined = arguments.flatMap { $0 }
        let lengths = arguments.map(\.count)
        var target: UnsafeMutablePointer<CChar>?
        let length = joined.withUnsafeBufferPointer { bytes -> Int32 in
            let base = UnsafeRawPointer(bytes.baseAddress ?? UnsafePointer(bitPattern: 1)!)
            var offset = 0
            var argv: [UnsafePointer<CChar>?] = []
            argv.reserveCapacity(arguments.count)
            for count in lengths {
                argv.append((base + offset).assumingMemoryBound(to: CChar.self))
                offset += count
            }
            return redisFormatCommandArgv(&target, Int32(arguments.count), &argv, lengths)
        }
        guard let target, length > 0 else {
            preconditionFailure("redisFormatCommandArgv failed: out of memory")
        }
        defer { redisFreeCommand(target) }
        buffer.writeBytes(UnsafeRawBufferPointer(start: target, count: Int(length)))
    }
}

/// An incremental reply parser (`redisReader`). Owned by one channel handler, used on its event
/// loop only; the reader is freed exactly once in `deinit`.
final class RESPParser {
    private let reader: UnsafeMutablePointer<redisReader>

    init() {
        guard let reader = redisReaderCreate() else { preconditionFailure("redisReaderCreate: out of memory") }
        self.reader = reader
    }

    deinit {
        redisReaderFree(reader)
    }

    func feed(_ buffer: ByteBuffer) throws {
        let status = buffer.withUnsafeReadableBytes { bytes in
            redisReaderFeed(reader, bytes.baseAddress?.assumingMemoryBound(to: CChar.self), bytes.count)
        }
        if status != REDIS_OK { throw RedisError.unavailable("protocol error: \(readerError)") }
    }

    /// The next complete reply, or nil when more bytes are needed.
    func next() throws -> RedisReply? {
        var raw: UnsafeMutableRawPointer?
        guard redisReaderGetReply(reader, &raw) == REDIS_OK else {
            throw RedisError.unavailable("protocol error: \(readerError)")
        }
        guard let raw else { return nil }
        let reply = raw.assumingMemoryBound(to: redisReply.self)
        // Child replies are freed with their parent: copy everything out, then free once.
        defer { freeReplyObject(raw) }
        return Self.copy(reply.pointee)
    }

    private var readerError: String {
        withUnsafeBytes(of: reader.pointee.errstr) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    private static func copy(_ reply: redisReply) -> RedisReply {
        switch reply.type {
        case REDIS_REPLY_STRING:
            return .bulk(bytes(reply))
        case REDIS_REPLY_STATUS:
            return .status(String(decoding: bytes(reply), as: UTF8.self))
        case REDIS_REPLY_ERROR:
            return .error(String(decoding: bytes(reply), as: UTF8.self))
        case REDIS_REPLY_INTEGER:
            return .integer(Int64(reply.integer))
        case REDIS_REPLY_ARRAY:
            guard let elements = reply.element else { return .array([]) }
            return .array((0..<reply.elements).map { copy(elements[$0]!.pointee) })
        default:
            return .null
        }
    }

    private static func bytes(_ reply: redisReply) -> [UInt8] {
        guard let text = reply.str, reply.len > 0 else { return [] }
        return Array(UnsafeRawBufferPointer(start: text, count: reply.len))
    }
}
