import ArgumentParser
import Foundation
import Redis

/// Client-side load generators for `scripts/bench`: they measure the adapters themselves,
/// from many concurrent tasks, the way features use them.
@main
struct SwitchyardBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchyard-bench",
        abstract: "Adapter throughput probes used by scripts/bench.",
        subcommands: [RedisZincrby.self])
}

/// Options shared by every probe.
struct LoadOptions: ParsableArguments {
    @Option(help: "Concurrent tasks.")
    var tasks = 64

    @Option(help: "Seconds to run.")
    var seconds = 10.0
}

/// Runs `operation` from `tasks` concurrent tasks for `seconds` and prints operations per second.
func measure(_ options: LoadOptions, _ operation: @escaping @Sendable () async throws -> Void) async throws {
    let deadline = ContinuousClock.now + .milliseconds(Int64(options.seconds * 1000))
    let start = ContinuousClock.now
    let total = try await withThrowingTaskGroup(of: Int.self) { group in
        for _ in 0..<options.tasks {
            group.addTask {
                var count = 0
                while ContinuousClock.now < deadline {
                    try await operation()
                    count += 1
                }
                return count
            }
        }
        return try await group.reduce(0, +)
    }
    let elapsed = Double((ContinuousClock.now - start) / .milliseconds(1)) / 1000
    print(String(format: "%.2f", Double(total) / elapsed))
}

struct RedisZincrby: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redis-zincrby", abstract: "ZINCRBY on one key through the shared Redis client.")

    @Option(help: "Redis URL.")
    var url: String

    @Option(help: "Connections of the client.")
    var connections = 2

    @OptionGroup var load: LoadOptions

    func run() async throws {
        let client = RedisClient(configuration: try RedisConfiguration(url: url, connections: connections))
        try await client.send("DEL", "bench:zincrby")
        try await measure(load) { try await client.zincrby("bench:zincrby", 1, "member") }
        await client.close()
    }
}
