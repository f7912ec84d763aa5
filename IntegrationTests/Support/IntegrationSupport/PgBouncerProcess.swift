import Foundation

/// Debian's pgbouncer in a process of its own in front of the test PostgreSQL (DATABASE_URL, or
/// SWITCHYARD_PGBOUNCER_SERVER where the suite itself runs through a pgbouncer):
/// every database of that server, the same user and password, the pool mode asked for, a pool
/// of `serverConnections` per database so clients share server sessions. As shipped, it refuses
/// the `options` startup parameter; `ignoringOptions` accepts it and drops it, as operators
/// configure it (`ignore_startup_parameters = options`).
package final class PgBouncerProcess: @unchecked Sendable {
    package enum PoolMode: String {
        case session, transaction
    }

    package let port = TestPorts.take()
    private let directory = "/tmp/switchyard-pgbouncer-\(UUID().uuidString.prefix(8))"
    private let server: URLComponents
    private var pid: pid_t?

    package init(_ mode: PoolMode, serverConnections: Int = 2, ignoringOptions: Bool = false) throws {
        let direct = ProcessInfo.processInfo.environment["SWITCHYARD_PGBOUNCER_SERVER"]
        server = URLComponents(string: try direct ?? TestEnvironment.databaseURL)!
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let user = server.user ?? "postgres", password = server.password ?? ""
        try "\"\(user)\" \"\(password)\"\n".write(toFile: "\(directory)/userlist.txt", atomically: true, encoding: .utf8)
        try """
        [databases]
        * = host=\(server.host ?? "127.0.0.1") port=\(server.port ?? 5432)
        [pgbouncer]
        listen_addr = 127.0.0.1
        listen_port = \(port)
        unix_socket_dir =
        auth_type = scram-sha-256
        auth_file = \(directory)/userlist.txt
        pool_mode = \(mode.rawValue)
        default_pool_size = \(serverConnections)
        max_client_conn = 500
        \(ignoringOptions ? "ignore_startup_parameters = options" : "")
        """.write(toFile: "\(directory)/pgbouncer.ini", atomically: true, encoding: .utf8)
    }

    /// DATABASE_URL with pgbouncer's address.
    package var url: String {
        var components = server
        components.host = "127.0.0.1"
        components.port = port
        return components.string!
    }

    package func start() async throws {
        guard let pid = ChildProcess.launch(["/usr/sbin/pgbouncer", "-q", "\(directory)/pgbouncer.ini"]) else {
            throw RedisProcess.StartFailure(reason: "pgbouncer could not be started (scripts/test installs it)")
        }
        self.pid = pid
        for _ in 0..<400 {
            if TestPorts.isAccepting(port) { return }
            guard ChildProcess.isRunning(pid) else { throw RedisProcess.StartFailure(reason: "pgbouncer exited at start") }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw RedisProcess.StartFailure(reason: "pgbouncer did not accept connections on port \(port) within 20 s")
    }

    /// SIGKILL and the folder removed; tests call it on the way out (a child left running
    /// outlives the test process).
    package func stop() {
        if let pid {
            kill(pid, SIGKILL)
            ChildProcess.reap(pid)
        }
        pid = nil
        try? FileManager.default.removeItem(atPath: directory)
    }

    deinit { stop() }
}
