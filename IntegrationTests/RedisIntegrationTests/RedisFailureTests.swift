import Foundation
import IntegrationSupport
import Synchronization
import Testing

@testable import Redis

/// Failure handling against private redis-server processes that the tests kill and restart.
@Suite(.serialized) struct RedisFailureTests {
    final class Tally: Sendable {
        let value = Atomic<Int>(0)
    }

    @Test func killedServerGivesTypedErrorsFastThenRecoversAfterRestart() async throws {
        let server = RedisProcess()
        try await server.start()
        let client = RedisClient(configuration: try RedisConfiguration(url: server.url, commandTimeout: .seconds(2)))
        try await client.send("SET", "k", "v")

        // Mixed load while the server dies: the kill comes once commands are succeeding, and
        // each loader keeps going until it has met the outage (events; 15 s only guards a hang).
        let progress = LoadProgress()
        let guardTime = ContinuousClock.now + .seconds(15)
        let outcomes = try await withThrowingTaskGroup(of: (ok: Int, unavailable: Int).self) { group in
            for _ in 0..<16 {
                group.addTask {
                    var ok = 0
                    var unavailable = 0
                    while unavailable == 0 || !progress.killed.load(ordering: .relaxed), ContinuousClock.now < guardTime {
                        do {
                            _ = try await client.send("GET", "k")
                            ok += 1
                            progress.successes.add(1, ordering: .relaxed)
                        } catch let error as RedisError {
                            #expect(error.isUnavailable, "unexpected \(error)")
                            unavailable += 1
                        }
                    }
                    return (ok, unavailable)
                }
            }
            while progress.successes.load(ordering: .relaxed) < 32, ContinuousClock.now < guardTime {
                try await Task.sleep(for: .milliseconds(10))
            }
            await server.kill()
            progress.killed.store(true, ordering: .relaxed)
            return try await group.reduce(into: (ok: 0, unavailable: 0)) {
                $0.ok += $1.ok
                $0.unavailable += $1.unavailable
            }
        }
        #expect(outcomes.ok > 0)
        #expect(outcomes.unavailable > 0)

        // While it is down, each command fails at once instead of waiting out the command
        // timeout: the error says unavailable, where a wait would have ended in `.timeout`.
        let error = await #expect(throws: RedisError.self) { try await client.send("GET", "k") }
        #expect(error?.isUnavailable == true && error != .timeout, "\(String(describing: error))")

        try await server.start()
        let restarted = ContinuousClock.now
        var recovered = false
        while ContinuousClock.now - restarted < .seconds(10) {  // a hang guard; it takes one backoff
            if (try? await client.send("PING")) == .status("PONG") {
                recovered = true
                break
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(recovered, "client did not recover within 10 s of the restart")
        await client.close()
    }

    @Test func wrongPasswordIsAClearError() async throws {
        let server = RedisProcess(arguments: ["--requirepass", "right-password"])
        try await server.start()
        let wrong = RedisClient(configuration: try RedisConfiguration(url: "redis://:wrong@127.0.0.1:\(server.port)/0"))
        let error = await #expect(throws: RedisError.self) { try await wrong.send("PING") }
        #expect(error?.description.contains("authentication failed") == true, "\(String(describing: error))")

        let right = RedisClient(
            configuration: try RedisConfiguration(url: "redis://:right-password@127.0.0.1:\(server.port)/3"))
        #expect(try await right.send("PING") == .status("PONG"))
        try await right.send("SET", "in-db-3", "yes")
        #expect(try await right.send("CLIENT", "INFO").string?.contains("db=3") == true)
        await right.close()
        await wrong.close()
        await server.kill()
    }

    @Test func commandTimeoutFailsTheCommandAndTheClientCarriesOn() async throws {
        let server = RedisProcess()
        try await server.start()
        let client = RedisClient(
            configuration: try RedisConfiguration(url: server.url, connections: 1, commandTimeout: .milliseconds(300)))
        // A script that keeps the server busy for 2 s would answer 1: the timeout error is the
        // 300 ms deadline's.
        let busy = """
            local stop = tonumber(redis.call('TIME')[1]) + 2
            while tonumber(redis.call('TIME')[1]) < stop do end
            return 1
            """
        await #expect(throws: RedisError.timeout) { try await client.send("EVAL", busy, 0) }
        var answered = false
        for _ in 0..<50 where !answered {
            answered = (try? await client.send("PING")) == .status("PONG")
            if !answered { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(answered)
        await client.close()
        await server.kill()
    }

    /// A server that never answers the SYN: the connect timeout ends the wait, not the (here
    /// much longer) command timeout.
    @Test func unansweredConnectFailsWithinTheConnectTimeout() async throws {
        let listener = try SilentListener()
        defer { listener.close() }
        let client = RedisClient(
            configuration: try RedisConfiguration(
                url: "redis://127.0.0.1:\(listener.port)", connections: 1, commandTimeout: .seconds(60),
                connectTimeout: .milliseconds(300)))
        let started = ContinuousClock.now
        let error = await #expect(throws: RedisError.self) { try await client.send("PING") }
        #expect(error?.description.contains("redis.connect-timeout") == true, "\(String(describing: error))")
        #expect(ContinuousClock.now - started < .seconds(30))  // a hang guard; the command timeout is 60 s
        await client.close()
    }

    /// A connection whose server stopped answering holds at most `maximumPending` commands
    /// waiting for replies; callers past that fail at once instead of queueing behind it.
    @Test(.timeLimit(.minutes(2))) func pendingCommandsAreCapped() async throws {
        let server = RedisProcess()
        try await server.start()
        let proxy = try await ChaosProxy(target: "127.0.0.1:\(server.port)")
        defer { proxy.stop() }
        let client = RedisClient(
            configuration: try RedisConfiguration(url: "redis://\(proxy.address)/0", connections: 1, commandTimeout: .seconds(60)))
        #expect(try await client.send("PING") == .status("PONG"))
        try await proxy.set(.blackhole)
        let extra = 50
        let refusedAtOnce = Tally()
        let callers = (0..<(RedisChannelHandler.maximumPending + extra)).map { _ in
            Task {
                do {
                    _ = try await client.send("GET", "k")
                } catch let error as RedisError where error.description.contains("already wait for replies") {
                    refusedAtOnce.value.add(1, ordering: .relaxed)
                } catch {
                    // The rest fail once the proxy cuts the connection.
                }
            }
        }
        // The overflow is refused while the rest still wait (their timeout is a minute away).
        while refusedAtOnce.value.load(ordering: .relaxed) < extra { try await Task.sleep(for: .milliseconds(10)) }
        #expect(refusedAtOnce.value.load(ordering: .relaxed) == extra)
        try await proxy.set(.cut)
        for caller in callers { await caller.value }
        await client.close()
        await server.kill()
    }

    /// Commands that would change or block the shared connection for every caller are refused
    /// before anything is sent, and the connection carries on.
    @Test func stateChangingCommandsAreRefused() async throws {
        let client = RedisClient(configuration: try RedisConfiguration(url: try TestEnvironment.redisURL, connections: 1))
        for command in [
            RedisCommand("SELECT", 2), RedisCommand("BLPOP", "k", 1), RedisCommand("SUBSCRIBE", "c"), RedisCommand("client", "reply", "off"),
            RedisCommand("WATCH", "k"), RedisCommand("MULTI"), RedisCommand("XREAD", "BLOCK", 10, "STREAMS", "s", "$"),
            RedisCommand("SYNC"), RedisCommand("PSYNC", "?", -1), RedisCommand("REPLCONF", "listening-port", 1),
        ] {
            await #expect(throws: RedisError.refused(command.name)) { try await client.send(command) }
        }
        await #expect(throws: RedisError.refused("WATCH")) { try await client.pipeline([RedisCommand("GET", "a"), RedisCommand("WATCH", "a")]) }
        #expect(try await client.send("PING") == .status("PONG"))
        #expect(try await client.send("CLIENT", "ID").int != nil)
        #expect(try await client.transaction([RedisCommand("PING")]) == [.status("PONG")])
        await client.close()
    }

    @Test func refusedConnectionIsUnavailableNotACrash() async throws {
        let client = RedisClient(configuration: try RedisConfiguration(url: "redis://127.0.0.1:1/0"))
        let error = await #expect(throws: RedisError.self) { try await client.send("PING") }
        #expect(error?.isUnavailable == true)
        #expect(await client.problem() != nil)
    }

    @Test func urlsAreParsed() throws {
        let full = try RedisConfiguration(url: "redis://user:p%40ss@cache.internal:6380/2")
        #expect(full.host == "cache.internal")
        #expect(full.port == 6380)
        #expect(full.username == "user")
        #expect(full.password == "p@ss")
        #expect(full.database == 2)
        #expect(try RedisConfiguration(url: "redis://localhost").port == 6379)
        #expect(try RedisConfiguration(url: "rediss://localhost").tls != nil)
        #expect(try RedisConfiguration(url: "redis://localhost").tls == nil)
        #expect(throws: RedisError.self) { try RedisConfiguration(url: "http://localhost") }
        #expect(throws: RedisError.self) {
            try RedisConfiguration(url: "rediss://localhost", tlsOptions: .init(caFile: "/nonexistent/ca.pem"))
        }
        #expect(throws: RedisError.self) { try RedisConfiguration(url: "redis://localhost/x") }
    }
}
