/// Which master serves each hash slot, as `CLUSTER SLOTS` reports it.
struct ClusterMap: Sendable, Equatable {
    typealias Node = RedisAddress

    /// The masters, each once.
    private(set) var masters: [Node] = []
    /// Per slot, an index into `masters`; nil while no master serves it.
    private var owners = [Int?](repeating: nil, count: ClusterSlot.count)

    func master(of slot: Int) -> Node? {
        owners[slot].map { masters[$0] }
    }

    /// Moves one slot to `node`, as a MOVED reply says, until the next full refresh.
    mutating func assign(_ slot: Int, to node: Node) {
        owners[slot] = index(of: node)
    }

    /// Slot ranges with their master (`[[start, end, [host, port, id...], replicas...]...]`).
    /// A master that reports no host ("" or "?") is the node that answered, `queried`.
    init(slotsReply reply: RedisReply, queried: Node) throws {
        guard let ranges = reply.array else { throw RedisError.unexpectedReply("CLUSTER SLOTS did not return an array") }
        for range in ranges {
            guard let fields = range.array, fields.count >= 3, let start = fields[0].int, let end = fields[1].int,
                let master = fields[2].array, master.count >= 2, let host = master[0].string, let port = master[1].int,
                0 <= start, start <= end, end < ClusterSlot.count
            else { throw RedisError.unexpectedReply("CLUSTER SLOTS returned a malformed range") }
            let node = Node(host: host.isEmpty || host == "?" ? queried.host : host, port: Int(port))
            let index = index(of: node)
            for slot in Int(start)...Int(end) { owners[slot] = index }
        }
    }

    private mutating func index(of node: Node) -> Int {
        if let index = masters.firstIndex(of: node) { return index }
        masters.append(node)
        return masters.count - 1
    }

    /// Slots no master serves (the cluster reports `cluster_state:fail` for them).
    var unservedSlots: Int { owners.count { $0 == nil } }
}

/// Where one Redis server listens.
public struct RedisAddress: Hashable, Sendable, CustomStringConvertible {
    public let host: String
    public let port: Int
    public var description: String { "\(host):\(port)" }

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }
}
