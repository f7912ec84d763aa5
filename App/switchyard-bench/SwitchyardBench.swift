import ArgumentParser
import Foundation
import HTTPClient
import Postgres
import Redis

/// Client-side load generators for `scripts/bench`: they measure the adapters themselves,
/// from many concurrent tasks, the way features use them; and the bare servers the HTTP path
/// is measured against.
@main
struct SwitchyardBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchyard-bench",
        abstract: "Adapter throughput probes and bare servers used by scripts/bench.",
        subcommands: [RedisZincrby.self, PostgresSelect.self, PostgresCopy.self, HTTPGet.self, BareNIO.self, BareHummingbird.self])
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

struct PostgresSelect: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "postgres-select", abstract: "SELECT $1::int through the shared PostgreSQL client.")

    @Option(help: "PostgreSQL URL.")
    var url: String

    @Option(help: "Pool size of the client.")
    var connections = 10

    @OptionGroup var load: LoadOptions

    func run() async throws {
        let client = PostgresClient(configuration: try PostgresConfiguration(url: url, maxConnections: connections))
        try await measure(load) { _ = try await client.query("SELECT $1::int", Int.random(in: 1...1000)) }
        await client.close()
    }
}

struct PostgresCopy: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "postgres-copy", abstract: "Bulk load rows with COPY and print rows per second.")

    @Option(help: "PostgreSQL URL.")
    var url: String

    @Option(help: "Rows to load.")
    var rows = 1_000_000

    func run() async throws {
        let client = PostgresClient(configuration: try PostgresConfiguration(url: url))
        try await client.execute("DROP TABLE IF EXISTS bench_copy")
        try await client.execute("CREATE UNLOGGED TABLE bench_copy (id int, points int, label text)")
        let data: [[any PostgresEncodable]] = (0..<rows).map { [$0, $0 % 101, "user-\($0)"] }
        let start = ContinuousClock.now
        let copied = try await client.copyIn("COPY bench_copy (id, points, label) FROM STDIN", rows: data)
        let seconds = Double((ContinuousClock.now - start) / .milliseconds(1)) / 1000
        try await client.execute("DROP TABLE bench_copy")
        await client.close()
        guard copied == rows else { throw ValidationError("copied \(copied) of \(rows) rows") }
        FileHandle.standardError.write(Data("copied \(rows) rows in \(String(format: "%.2f", seconds)) s\n".utf8))
        print(String(format: "%.2f", Double(rows) / seconds))
    }
}

struct HTTPGet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "http-get", abstract: "GET one URL through the shared libcurl client.")

    @Option(help: "URL to fetch.")
    var url: String

    @OptionGroup var load: LoadOptions

    func run() async throws {
        let client = HTTPClient(configuration: .init(maxConcurrentTransfers: load.tasks))
        let target = url
        try await measure(load) {
            let response = try await client.get(target)
            guard response.status == 200 else { throw ValidationError("HTTP \(response.status)") }
        }
        await client.shutdown()
    }
}
