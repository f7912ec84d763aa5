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

/// An incremental reply parser (`redisReader`) that builds `RedisReply` values itself, through
/// hiredis's reply-object callbacks: no hiredis reply objects are allocated and then copied, and
/// an array of bulk strings (a ranking page, MGET) lands in one byte buffer (`BulkStrings`)
/// instead of an allocation per element. Owned by one channel handler, used on its event loop
/// only; the reader is freed exactly once in `deinit`.
final class RESPParser {
    private let reader: UnsafeMutablePointer<redisReader>
    private let builder = ReplyBuilder()

    init() {
        guard let reader = redisReaderCreateWithFunctions(ReplyBuilder.functions) else {
            preconditionFailure("redisReaderCreate: out of memory")
        }
        reader.pointee.privdata = Unmanaged.passUnretained(builder).toOpaque()
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
            builder.reset()
            throw RedisError.unavailable("protocol error: \(readerError)")
        }
        guard raw != nil else { return nil }
        return builder.takeFinished()
    }

    private var readerError: String {
        withUnsafeBytes(of: reader.pointee.errstr) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }
}

/// Receives hiredis's callbacks, element by element in reply order, and assembles the reply.
/// The pointers handed back to hiredis only say "made" (hiredis treats NULL as out of memory);
/// the values live here.
final class ReplyBuilder {
    /// An array being filled: its elements so far, kept flat while they are all bulk strings.
    private struct Frame {
        let count: Int
        var filled = 0
        var strings = BulkStrings()
        var elements: [RedisReply]?
    }

    // One reader's, used on its connection's event loop only: no dynamic exclusivity checks
    // (they were an eighth of the full ranking's time).
    @exclusivity(unchecked) private var frames: [Frame] = []
    @exclusivity(unchecked) private var finished: RedisReply?

    func takeFinished() -> RedisReply? {
        defer { finished = nil }
        return finished
    }

    func reset() {
        frames.removeAll()
        finished = nil
    }

    /// Any value but a bulk string inside a still-flat array (`addBulk` keeps those flat).
    private func add(_ reply: RedisReply) {
        guard !frames.isEmpty else { return finished = reply }
        addToTop(reply)
        completeFrames()
    }

    private func addBulk(_ bytes: UnsafeRawBufferPointer) {
        guard !frames.isEmpty, frames[frames.count - 1].elements == nil else { return add(.bulk(Array(bytes))) }
        frames[frames.count - 1].strings.append(bytes)
        completeFrames()
    }

    private func addToTop(_ reply: RedisReply) {
        let top = frames.count - 1
        if frames[top].elements == nil {
            // The first element that is not a bulk string: the array becomes one of values.
            frames[top].elements = frames[top].strings.replies
            frames[top].strings = BulkStrings()
        }
        frames[top].elements!.append(reply)
    }

    private func startArray(_ count: Int) {
        if count <= 0 { return add(.array([])) }
        frames.append(Frame(count: count))
    }

    /// Closes every array whose last element just arrived, innermost first.
    private func completeFrames() {
        while let top = frames.last {
            let filled = top.filled + 1
            guard filled == top.count else { return frames[frames.count - 1].filled = filled }
            frames.removeLast()
            let reply: RedisReply = top.elements.map(RedisReply.array) ?? .bulkStrings(top.strings)
            guard !frames.isEmpty else { return finished = reply }
            addToTop(reply)
        }
    }

    /// The builder of the reader that `task` belongs to: the root task is the reader's first
    /// stack entry, and the reader carries the builder as its privdata.
    private static func of(_ task: UnsafePointer<redisReadTask>?) -> ReplyBuilder {
        var root = task!
        while let parent = root.pointee.parent { root = UnsafePointer(parent) }
        let offset = MemoryLayout<redisReader>.offset(of: \redisReader.rstack)!
        let reader = UnsafeRawPointer(root).advanced(by: -offset).assumingMemoryBound(to: redisReader.self)
        return Unmanaged<ReplyBuilder>.fromOpaque(reader.pointee.privdata!).takeUnretainedValue()
    }

    private static var made: UnsafeMutableRawPointer { UnsafeMutableRawPointer(bitPattern: 1)! }

    /// Made once and never freed: every reader keeps a pointer to it.
    nonisolated(unsafe) static let functions: UnsafeMutablePointer<redisReplyObjectFunctions> = {
        let functions = UnsafeMutablePointer<redisReplyObjectFunctions>.allocate(capacity: 1)
        functions.initialize(to: callbacks)
        return functions
    }()

    private static let callbacks = redisReplyObjectFunctions(
        createString: { task, text, length in
            let builder = ReplyBuilder.of(task)
            let bytes = UnsafeRawBufferPointer(start: text, count: length)
            switch task!.pointee.type {
            case REDIS_REPLY_STATUS: builder.add(.status(String(decoding: bytes, as: UTF8.self)))
            case REDIS_REPLY_ERROR: builder.add(.error(String(decoding: bytes, as: UTF8.self)))
            default: builder.addBulk(bytes)
            }
            return made
        },
        createArray: { task, count in
            ReplyBuilder.of(task).startArray(Int(count))
            return made
        },
        createInteger: { task, value in
            ReplyBuilder.of(task).add(.integer(Int64(value)))
            return made
        },
        createNil: { task in
            ReplyBuilder.of(task).add(.null)
            return made
        },
        freeObject: { _ in })
}
