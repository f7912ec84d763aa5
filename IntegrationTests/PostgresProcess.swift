import Foundation

/// A private PostgreSQL cluster for tests that crash and restart the server. initdb and
/// postgres refuse to run as root, so as root they run as the `postgres` user.
final class PostgresProcess: @unchecked Sendable {
    // Below the ephemeral range (32768+): a port an outgoing connection holds cannot be bound.
    let port = Int.random(in: 25_000...29_999)
    let directory: String
    private let bin: String

    init() throws {
        directory = "/tmp/switchyard-pg-test-\(UUID().uuidString.prefix(8))"
        let versions = try FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")
            .sorted { $0.compare($1, options: .numeric) == .orderedAscending }
        guard let newest = versions.last else { throw CancellationError() }
        bin = "/usr/lib/postgresql/\(newest)/bin"
    }

    var url: String { "postgres://postgres@127.0.0.1:\(port)/postgres" }

    func start() async throws {
        try await offThePool { try self.startNow() }
    }

    private func startNow() throws {
        if !FileManager.default.fileExists(atPath: "\(directory)/data/PG_VERSION") {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            if getuid() == 0 { try run("/bin/chown", ["postgres:postgres", directory], asPostgres: false) }
            try run("\(bin)/initdb", ["-D", "\(directory)/data", "-U", "postgres", "--auth=trust", "-E", "UTF8"])
        }
        do {
            try run("\(bin)/pg_ctl", [
                "-D", "\(directory)/data", "-l", "\(directory)/log", "-w", "-t", "30",
                "-o", "-p \(port) -k \(directory) -c listen_addresses=127.0.0.1", "start",
            ])
        } catch var failure as ProcessFailure {
            // Say why: the server's own last words.
            let log = (try? String(contentsOfFile: "\(directory)/log", encoding: .utf8)) ?? ""
            failure.log = String(log.suffix(600))
            throw failure
        }
    }

    /// `-m immediate`: every backend is killed without a clean shutdown, as in a crash.
    func crash() async throws {
        try await offThePool { try self.crashNow() }
    }

    private func crashNow() throws {
        try run("\(bin)/pg_ctl", ["-D", "\(directory)/data", "-m", "immediate", "-w", "stop"])
    }

    func destroy() {
        try? run("\(bin)/pg_ctl", ["-D", "\(directory)/data", "-m", "immediate", "-w", "stop"])
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func run(_ executable: String, _ arguments: [String], asPostgres: Bool = true) throws {
        let argv = asPostgres && getuid() == 0 ? ["/usr/sbin/runuser", "-u", "postgres", "--", executable] + arguments
            : [executable] + arguments
        // posix_spawn and waitpid: Foundation's Process can miss the exit of a child whose own
        // child (the postmaster) lives on, and then waits forever.
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let cArguments = argv.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        var pid = pid_t()
        guard posix_spawn(&pid, argv[0], &actions, nil, cArguments, environ) == 0 else {
            throw ProcessFailure(command: argv.joined(separator: " "))
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        guard status == 0 else { throw ProcessFailure(command: argv.joined(separator: " ")) }
    }

    struct ProcessFailure: Error {
        let command: String
        var log = ""
    }

    /// Spawning and waiting block; a thread of its own keeps them off the cooperative pool,
    /// whose two threads here the other tests' timers need.
    private func offThePool(_ body: @escaping @Sendable () throws -> Void) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            Thread {
                continuation.resume(with: Result { try body() })
            }.start()
        }
    }
}
