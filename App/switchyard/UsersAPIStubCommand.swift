import ArgumentParser
import Hummingbird
import Logging
import UsersAPIStub

struct UsersAPIStubCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users-api-stub",
        abstract: "Serve the upstream users API that achievement-level calls, from generated data.")

    @Option(help: "Listen address.") var host = "127.0.0.1"
    @Option(help: "Listen port.") var port = 8080
    @Option(help: "Number of users.") var users = 1_000
    @Option(help: "Seed of the generated data.") var seed: UInt64 = 1
    @Option(name: .customLong("latency-ms"), help: "Milliseconds added to every response.") var latencyMilliseconds = 0
    @Option(name: .customLong("error-rate"), help: "Share of responses that are HTTP 500, 0...1.") var errorRate = 0.0

    func validate() throws {
        guard (0...1).contains(errorRate) else { throw ValidationError("--error-rate must be within 0...1") }
        guard users >= 0, latencyMilliseconds >= 0 else { throw ValidationError("--users and --latency-ms must not be negative") }
    }

    func run() async throws {
        let stub = UsersAPIStub(
            .init(users: users, seed: seed, latency: .milliseconds(latencyMilliseconds), errorRate: errorRate))
        var logger = Logger(label: "users-api-stub")
        logger.logLevel = .warning
        let app = Application(
            router: stub.router(), configuration: .init(address: .hostname(host, port: port)), logger: logger)
        try await app.runService()
    }
}
