import Foundation
import Redis

/// A private Redis Cluster on loopback (redis-server processes in cluster mode, joined by
/// `redis-cli --cluster create`), for tests that move slots or kill a master.
package final class RedisClusterProcess: Sendable {
    package let nodes: [RedisProcess]
    private let directory: String
    private let replicasPerMaster: Int

    package init(masters: Int = 3, replicasPerMaster: Int = 0) {
        let directory = "/tmp/switchyard-cluster-\(UUID().uuidString.prefix(8))"
        self.directory = directory
        self.replicasPerMaster = replicasPerMaster
        nodes = (0..<masters * (1 + replicasPerMaster)).map { _ in
            let busPort = TestPorts.take()
            return RedisProcess(arguments: [
                "--cluster-enabled", "yes", "--cluster-port", "\(busPort)", "--cluster-node-timeout", "2000",
                "--cluster-config-file", "\(directory)/nodes-\(busPort).conf",
            ])
        }
    }

    /// `redis+cluster://` with every node as a seed.
    package var url: String { "redis+cluster://" + nodes.map { "127.0.0.1:\($0.port)" }.joined(separator: ",") }

    /// Starts the nodes, joins them, and returns once every node reports `cluster_state:ok`
    /// and every replica's link is up (60 s guard a hang on a busy machine).
    package func start() async throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for node in nodes { try await node.start() }
        let arguments =
            ["--cluster", "create"] + nodes.map { "127.0.0.1:\($0.port)" }
            + ["--cluster-replicas", "\(replicasPerMaster)", "--cluster-yes"]
        let printed = try await ChildProcess.offThePool { try ChildProcess.output("/usr/bin/redis-cli", arguments) }
        guard printed.contains("All 16384 slots covered") else {
            throw RedisProcess.StartFailure(reason: "redis-cli --cluster create failed: \(printed.suffix(600))")
        }
        try await waitUntilHealthy()
    }

    package func waitUntilHealthy() async throws {
        let guardTime = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < guardTime {
            if await isHealthy() { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw RedisProcess.StartFailure(reason: "the cluster did not become healthy within 60 s")
    }

    private func isHealthy() async -> Bool {
        for node in nodes where node.isRunning {
            guard let info = try? await node.command("CLUSTER", "INFO").string, info.contains("cluster_state:ok"),
                let replication = try? await node.command("INFO", "replication").string
            else { return false }
            if replication.contains("role:slave"), !replication.contains("master_link_status:up") { return false }
        }
        return true
    }

    /// The running node that is master of `slot` now.
    package func master(of slot: Int) async throws -> RedisProcess {
        for node in nodes where node.isRunning {
            guard let ranges = try await node.command("CLUSTER", "SLOTS").array else { continue }
            for range in ranges {
                guard let fields = range.array, let start = fields[0].int, let end = fields[1].int,
                    (start...end).contains(Int64(slot)), let port = fields[2].array?[1].int
                else { continue }
                if let master = nodes.first(where: { $0.port == port }) { return master }
            }
        }
        throw RedisProcess.StartFailure(reason: "no node reports a master for slot \(slot)")
    }

    /// The running nodes that replicate `master`.
    package func replicas(of master: RedisProcess) async throws -> [RedisProcess] {
        var replicas: [RedisProcess] = []
        for node in nodes where node.isRunning {
            if try await node.command("INFO", "replication").string?.contains("master_port:\(master.port)\r") == true {
                replicas.append(node)
            }
        }
        return replicas
    }

    /// Returns once every replica of `master` holds `key` (read with READONLY).
    package func waitUntilReplicasHave(_ key: String, of master: RedisProcess) async throws {
        let replicas = try await replicas(of: master)
        let guardTime = ContinuousClock.now + .seconds(30)
        for replica in replicas {
            let client = RedisClient(configuration: try RedisConfiguration(url: replica.url, connections: 1))
            defer { Task { await client.close() } }
            while try await client.pipeline([RedisCommand("READONLY"), RedisCommand("EXISTS", key)]).last?.int != 1 {
                guard ContinuousClock.now < guardTime else { throw RedisProcess.StartFailure(reason: "\(key) not replicated in 30 s") }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
    }

    package func nodeID(_ node: RedisProcess) async throws -> String {
        guard let id = try await node.command("CLUSTER", "MYID").string else {
            throw RedisProcess.StartFailure(reason: "CLUSTER MYID gave no id")
        }
        return id
    }

    /// SIGKILL to every node, without waiting for their exit: callable from `defer`, so no
    /// node outlives its test even when the test process ends right after it.
    package func stop() {
        for node in nodes { node.signal(SIGKILL) }
        try? FileManager.default.removeItem(atPath: directory)
    }
}

extension RedisProcess {
    /// One command on a connection of its own to this node alone.
    @discardableResult
    package func command(_ name: String, _ arguments: any RedisArgument...) async throws -> RedisReply {
        let client = RedisClient(configuration: try RedisConfiguration(url: url, connections: 1))
        defer { Task { await client.close() } }
        return try await client.send(RedisCommand(name, arguments))
    }
}
