import Foundation
import IntegrationSupport
import Redis
import Testing

/// Writes that must survive a failover wait for a replica (`redis.wait-replicas`) on
/// connections of their own: confirmed, they are on the replica when the call returns; a
/// replica that does not confirm fails the write as unavailable, and the wait never holds up
/// the shared connections' other callers.
@Suite(.serialized) struct RedisReplicatedWriteTests {
    @Test func aReplicatedWriteIsOnTheReplicaWhenItReturnsAndASilentReplicaFailsIt() async throws {
        let primary = RedisProcess()
        try await primary.start()
        let replica = RedisProcess(arguments: ["--replicaof", "127.0.0.1", "\(primary.port)"])
        try await replica.start()
        defer {
            replica.signal(SIGKILL)
            primary.signal(SIGKILL)
        }
        let onReplica = RedisClient(configuration: try RedisConfiguration(url: replica.url, connections: 1))
        // The replica is linked once it has a first write.
        let guardTime = ContinuousClock.now + .seconds(30)
        while try await onReplica.send("INFO", "replication").string?.contains("master_link_status:up") != true {
            #expect(ContinuousClock.now < guardTime, "the replica never linked")
            try await Task.sleep(for: .milliseconds(50))
        }
        let client = RedisClient(
            configuration: try RedisConfiguration(
                url: primary.url, connections: 1, commandTimeout: .seconds(4), waitReplicas: 1, waitTimeout: .milliseconds(1500)))
        defer { Task { await client.close() } }

        for n in 0..<50 {
            try await client.send(RedisCommand("SET", "k\(n)", "v\(n)"), .replicated)
            #expect(try await onReplica.get("k\(n)") == Array("v\(n)".utf8))
        }
        let script = "return redis.call('INCRBY', KEYS[1], ARGV[1])"
        #expect(try await client.evalScript(script, keys: ["n"], arguments: [5], .replicated).int == 5)
        #expect(try await onReplica.get("n") == Array("5".utf8))

        // A paused replica confirms nothing: the replicated write fails as unavailable (it ran
        // on the primary), while plain commands from other callers keep their pace.
        replica.pause(true)
        async let replicated: (Result<RedisReply, any Error>, ContinuousClock.Instant) = {
            let result: Result<RedisReply, any Error>
            do { result = .success(try await client.send(RedisCommand("SET", "late", "1"), .replicated)) } catch { result = .failure(error) }
            return (result, .now)
        }()
        for _ in 0..<5 { #expect(try await client.send("PING") == .status("PONG")) }
        let pingsAnswered = ContinuousClock.now
        let (result, waitEnded) = await replicated
        switch result {
        case .success(let reply): Issue.record("a write no replica confirmed succeeded: \(reply)")
        case .failure(let error):
            #expect((error as? RedisError)?.isUnavailable == true, "unexpected \(error)")
            #expect("\(error)".contains("0 of 1 replicas"))
        }
        // Behind the WAIT, the PINGs would have been answered with it, when it ended after 1.5 s.
        #expect(pingsAnswered + .milliseconds(500) < waitEnded, "plain commands waited behind the replicas' wait")
        replica.pause(false)
        await onReplica.close()
    }
}
