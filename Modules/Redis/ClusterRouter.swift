import Logging
import NIOCore
import SwitchyardCore
import Synchronization

/// Redis Cluster behind the same calls as one server: each request goes to the master of its
/// keys' slot over that master's pipelined connections; MOVED and ASK are followed once inside
/// the adapter; the slot map is asked for (`CLUSTER SLOTS`) at first use, after a MOVED and
/// after a lost connection, no more often than `minimumRefreshInterval`.
final class ClusterRouter: Sendable {
    private struct State {
        var map: ClusterMap?
        var nodes: [ClusterMap.Node: RedisNode] = [:]
        var lastRefresh: ContinuousClock.Instant?
        var closed = false
    }

    static let minimumRefreshInterval = Duration.milliseconds(100)

    private let configuration: RedisConfiguration
    private let eventLoopGroup: any EventLoopGroup
    private let logger: Logger
    private let seeds: [ClusterMap.Node]
    private let state = Mutex(State())
    private let refreshes = CoalescedCalls<ClusterMap>()

    init(configuration: RedisConfiguration, seeds: [RedisAddress], eventLoopGroup: any EventLoopGroup, logger: Logger) {
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        self.seeds = seeds
    }

    /// Sends a request whose keys are in one slot (or that has none) to that slot's master.
    /// A MULTI/EXEC request that is redirected is sent again whole to the slot's new master.
    /// `replicated`: on the master's connections for writes that wait for replicas.
    func write(_ commands: [RedisCommand], replicated: Bool) async throws -> [RedisReply] {
        let slot = try Self.slot(of: commands)
        if commands.first?.name == "MULTI" {
            // A transaction that meets a migrating slot ran nothing (EXEC aborts): it waits for
            // the slot's move like a TRYAGAIN, then is sent whole again.
            for pause in Self.tryAgainPauses + [nil] {
                let replies = try await send(commands, to: try await node(serving: slot), replicated: replicated)
                guard let target = replies.lazy.compactMap(Redirect.init).first else { return replies }
                if !target.asking { return try await send(commands, to: try await moved(target), replicated: replicated) }
                guard let pause else { break }
                try await Task.sleep(for: pause)
            }
            throw RedisError.unavailable("slot \(slot ?? 0) is migrating; try again")
        }
        return try await sendFollowingRedirects(commands, to: try await node(serving: slot), replicated: replicated)
    }

    /// The pauses before sending again a command answered TRYAGAIN: its keys are split between
    /// the two nodes of a slot being moved, for the milliseconds a batch of keys takes to move.
    /// After the last, TRYAGAIN stands (a transient error: 503).
    static let tryAgainPauses: [Duration] = [5, 20, 50, 100, 200].map { .milliseconds($0) }

    /// Sends each command to the master of its own slot, the commands for one master together,
    /// and returns the replies in the order of `commands`.
    func pipeline(_ commands: [RedisCommand], replicated: Bool) async throws -> [RedisReply] {
        var byNode: [ObjectIdentifier: (node: RedisNode, indices: [Int])] = [:]
        for (index, command) in commands.enumerated() {
            let node = try await node(serving: try Self.slot(of: [command]))
            byNode[ObjectIdentifier(node), default: (node, [])].indices.append(index)
        }
        if byNode.count == 1, let only = byNode.values.first {
            return try await sendFollowingRedirects(commands, to: only.node, replicated: replicated)
        }
        var replies = [RedisReply](repeating: .null, count: commands.count)
        try await withThrowingTaskGroup(of: ([Int], [RedisReply]).self) { group in
            for (node, indices) in byNode.values {
                group.addTask {
                    (indices, try await self.sendFollowingRedirects(indices.map { commands[$0] }, to: node, replicated: replicated))
                }
            }
            for try await (indices, answers) in group {
                for (index, answer) in zip(indices, answers) { replies[index] = answer }
            }
        }
        return replies
    }

    /// Every master of the current map (asking for the map first if there is none).
    func masters() async throws -> [RedisNode] {
        let map = try await currentMap()
        guard map.unservedSlots == 0 else {
            throw RedisError.unavailable("\(map.unservedSlots) hash slots have no master (cluster down)")
        }
        return map.masters.map(node(at:))
    }

    func close() async {
        let nodes = state.withLock { state in
            state.closed = true
            defer { state.nodes = [:] }
            return Array(state.nodes.values)
        }
        for node in nodes { await node.close() }
    }

    // MARK: Routing

    /// The one slot of every key in `commands`, nil when they have none; a command whose keys
    /// are not known, or keys in different slots, are refused before anything is sent.
    static func slot(of commands: [RedisCommand]) throws -> Int? {
        var first: (key: [UInt8], slot: Int)?
        for command in commands {
            guard let keys = ClusterKeys.keys(of: command) else { throw RedisError.notRoutable(command.name) }
            for key in keys {
                let slot = ClusterSlot.of(key)
                if let first, first.slot != slot {
                    throw RedisError.crossSlot(
                        "\(String(decoding: first.key, as: UTF8.self)) and \(String(decoding: key, as: UTF8.self))")
                }
                first = first ?? (key, slot)
            }
        }
        return first?.slot
    }

    private func node(serving slot: Int?) async throws -> RedisNode {
        let map = try await currentMap()
        guard let slot else {
            guard let any = map.masters.first else { throw RedisError.unavailable("the cluster has no master") }
            return node(at: any)
        }
        guard let master = map.master(of: slot) else {
            refreshSoon()
            throw RedisError.unavailable("hash slot \(slot) has no master (cluster down)")
        }
        return node(at: master)
    }

    private func node(at address: ClusterMap.Node) -> RedisNode {
        state.withLock { state in
            if let node = state.nodes[address] { return node }
            var configuration = configuration
            configuration.host = address.host
            configuration.port = address.port
            let node = RedisNode(configuration: configuration, eventLoopGroup: eventLoopGroup, logger: logger)
            if !state.closed { state.nodes[address] = node }
            return node
        }
    }

    /// Sends to `node`; a lost connection asks for a new map, since the node may be gone.
    private func send(_ commands: [RedisCommand], to node: RedisNode, replicated: Bool = false) async throws -> [RedisReply] {
        do {
            return try await replicated ? node.writeReplicated(commands) : node.write(commands)
        } catch let error as RedisError where error.isUnavailable {
            refreshSoon()
            throw error
        }
    }

    /// Sends, then sends each command answered MOVED or ASK once more to the node named, ASK
    /// ones behind `ASKING`. A second redirect stays the command's reply (a transient error).
    private func sendFollowingRedirects(
        _ commands: [RedisCommand], to node: RedisNode, replicated: Bool
    ) async throws -> [RedisReply] {
        var replies = try await send(commands, to: node, replicated: replicated)
        for (index, redirect) in replies.indices.compactMap({ index in Redirect(replies[index]).map { (index, $0) } }) {
            replies[index] = try await follow(redirect, commands[index], replicated: replicated)
        }
        // Commands answered TRYAGAIN did not run: each is routed and sent again after a pause.
        for pause in Self.tryAgainPauses {
            let waiting = replies.indices.filter { replies[$0].isTryAgain }
            guard !waiting.isEmpty else { break }
            try await Task.sleep(for: pause)
            for index in waiting {
                let command = commands[index]
                let reply = try await send([command], to: try await self.node(serving: Self.slot(of: [command])), replicated: replicated)[0]
                if let redirect = Redirect(reply) {
                    replies[index] = try await follow(redirect, command, replicated: replicated)
                } else {
                    replies[index] = reply
                }
            }
        }
        return replies
    }

    private func follow(_ redirect: Redirect, _ command: RedisCommand, replicated: Bool) async throws -> RedisReply {
        let target = redirect.asking ? node(at: redirect.node) : try await moved(redirect)
        let resent = redirect.asking ? [RedisCommand("ASKING"), command] : [command]
        return try await send(resent, to: target, replicated: replicated).last ?? .null
    }

    /// Records a MOVED slot at its new master until the next map, and asks for that map.
    private func moved(_ redirect: Redirect) async throws -> RedisNode {
        state.withLock { $0.map?.assign(redirect.slot, to: redirect.node) }
        refreshSoon()
        return node(at: redirect.node)
    }

    // MARK: The slot map

    private func currentMap() async throws -> ClusterMap {
        if let map = state.withLock({ $0.map }) { return map }
        return try await refresh()
    }

    /// A refresh in the background, unless one began within `minimumRefreshInterval`.
    private func refreshSoon() {
        let due = state.withLock { state in
            guard !state.closed, state.lastRefresh.map({ .now - $0 >= Self.minimumRefreshInterval }) ?? true else { return false }
            state.lastRefresh = .now
            return true
        }
        if due { Task { _ = try? await refresh() } }
    }

    /// Asks the known masters, then the seeds, for the slot map; callers that arrive while a
    /// refresh runs share the next one. Connections to nodes that left the map are closed.
    private func refresh() async throws -> ClusterMap {
        try await refreshes.answer(for: "map") { callers in
            let map = try await self.fetchMap()
            let gone = self.state.withLock { state -> [RedisNode] in
                state.map = map
                state.lastRefresh = .now
                let left = state.nodes.filter { !map.masters.contains($0.key) }
                for address in left.keys { state.nodes[address] = nil }
                return Array(left.values)
            }
            for node in gone { await node.close() }
            return Array(repeating: map, count: callers)
        }
    }

    /// Asks the known masters, then the seeds, for the slot map, until more than half of them
    /// agree on one (else takes the most common): a master restarted after its replica took over
    /// still reports its old slots for a moment, and writes routed there would be lost when it
    /// learns it is now a replica.
    private func fetchMap() async throws -> ClusterMap {
        let known = state.withLock { $0.map?.masters ?? [] }
        let candidates = known + seeds.filter { !known.contains($0) }
        var views: [(map: ClusterMap, votes: Int)] = []
        var problems: [String] = []
        for address in candidates {
            do {
                let map = try await slotMap(from: address)
                if let index = views.firstIndex(where: { $0.map == map }) { views[index].votes += 1 } else { views.append((map, 1)) }
                if let agreed = views.first(where: { $0.votes * 2 > candidates.count }) { return agreed.map }
            } catch {
                problems.append("\(address): \(error)")
            }
        }
        if let chosen = views.max(by: { $0.votes < $1.votes }) { return chosen.map }
        logger.warning("redis cluster map unavailable", metadata: ["tried": "\(problems)"])
        throw RedisError.unavailable("no cluster node gave the slot map (\(problems.joined(separator: "; ")))")
    }

    private func slotMap(from address: RedisAddress) async throws -> ClusterMap {
        let reply = try await node(at: address).write([RedisCommand("CLUSTER", "SLOTS")])[0]
        if case .error(let message) = reply { throw RedisError.server(message) }
        let map = try ClusterMap(slotsReply: reply, queried: address)
        guard !map.masters.isEmpty else { throw RedisError.unavailable("no slots assigned") }
        return map
    }
}

/// A `-MOVED slot host:port` or `-ASK slot host:port` reply.
struct Redirect {
    let slot: Int
    let node: ClusterMap.Node
    let asking: Bool

    init?(_ reply: RedisReply) {
        guard case .error(let message) = reply else { return nil }
        let parts = message.split(separator: " ")
        guard parts.count == 3, parts[0] == "MOVED" || parts[0] == "ASK", let slot = Int(parts[1]),
            let colon = parts[2].lastIndex(of: ":"), let port = Int(parts[2][parts[2].index(after: colon)...])
        else { return nil }
        self.slot = slot
        node = ClusterMap.Node(host: String(parts[2][..<colon]), port: port)
        asking = parts[0] == "ASK"
    }
}

extension RedisReply {
    /// `-TRYAGAIN`: a multi-key command on a slot being moved, run by neither node.
    var isTryAgain: Bool {
        if case .error(let message) = self { return message.hasPrefix("TRYAGAIN") }
        return false
    }
}
