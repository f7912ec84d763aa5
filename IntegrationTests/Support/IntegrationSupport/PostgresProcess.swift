import Foundation

/// A private PostgreSQL cluster for tests that crash and restart the server, or a streaming
/// standby of one (for failover tests). initdb and postgres refuse to run as root, so as root
/// they run as the `postgres` user.
package final class PostgresProcess: @unchecked Sendable {
    package let port = TestPorts.take()
    package let directory: String
    private let bin: String
    /// `trust`, or `scram-sha-256` for password tests (the local socket stays trusted for setup).
    private let hostAuthentication: String
    /// Serves TLS with this server certificate when set.
    private let tls: TestCertificates?
    /// Server settings given at start (`name=value`, as `postgres -c` takes them).
    private let settings: [String]
    /// The primary this standby is copied from (`pg_basebackup -R`) and streams from.
    private let primary: PostgresProcess?

    package init(
        hostAuthentication: String = "trust", tls: TestCertificates? = nil, settings: [String] = [], standbyOf primary: PostgresProcess? = nil
    ) throws {
        self.hostAuthentication = hostAuthentication
        self.tls = tls
        self.settings = settings
        self.primary = primary
        directory = "/tmp/switchyard-pg-test-\(UUID().uuidString.prefix(8))"
        let versions = try FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")
            .sorted { $0.compare($1, options: .numeric) == .orderedAscending }
        guard let newest = versions.last else { throw CancellationError() }
        bin = "/usr/lib/postgresql/\(newest)/bin"
    }

    package var url: String { "postgres://postgres@127.0.0.1:\(port)/postgres" }
    /// The same server over its Unix socket, as libpq spells it.
    package var socketURL: String { "postgres://postgres@/postgres?host=\(directory)&port=\(port)" }

    package func start() async throws {
        try await ChildProcess.offThePool { try self.startNow() }
    }

    private func startNow() throws {
        if !FileManager.default.fileExists(atPath: "\(directory)/data/PG_VERSION") {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            if getuid() == 0 { try run("/bin/chown", ["postgres:postgres", directory], asPostgres: false) }
        }
        if let primary, !FileManager.default.fileExists(atPath: "\(directory)/data/PG_VERSION") {
            // A copy of the primary that starts as its standby (-R).
            try run(
                "\(bin)/pg_basebackup",
                [
                    "-h", "127.0.0.1", "-p", "\(primary.port)", "-U", "postgres", "-D", "\(directory)/data", "-R", "-X", "stream",
                    "-c", "fast",
                ])
        } else if !FileManager.default.fileExists(atPath: "\(directory)/data/PG_VERSION") {
            try run(
                "\(bin)/initdb",
                [
                    "-D", "\(directory)/data", "-U", "postgres", "--auth-local=trust", "--auth-host=\(hostAuthentication)", "-E", "UTF8",
                ])
        }
        var options = "-p \(port) -k \(directory) -c listen_addresses=127.0.0.1"
        for setting in settings { options += " -c \(setting)" }
        if let tls {
            // The key must belong to the server's user and be readable by it alone.
            for file in ["server.pem", "server.key"] {
                try? FileManager.default.removeItem(atPath: "\(directory)/\(file)")
                try FileManager.default.copyItem(atPath: "\(tls.directory)/\(file)", toPath: "\(directory)/\(file)")
                try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: "\(directory)/\(file)")
                if getuid() == 0 { try run("/bin/chown", ["postgres:postgres", "\(directory)/\(file)"], asPostgres: false) }
            }
            options += " -c ssl=on -c ssl_cert_file=\(directory)/server.pem -c ssl_key_file=\(directory)/server.key"
        }
        do {
            try run("\(bin)/pg_ctl", ["-D", "\(directory)/data", "-l", "\(directory)/log", "-w", "-t", "30", "-o", options, "start"])
        } catch var failure as ProcessFailure {
            // Say why: the server's own last words.
            let log = (try? String(contentsOfFile: "\(directory)/log", encoding: .utf8)) ?? ""
            failure.log = String(log.suffix(600))
            throw failure
        }
    }

    /// `-m immediate`: every backend is killed without a clean shutdown, as in a crash.
    package func crash() async throws {
        try await ChildProcess.offThePool { try self.crashNow() }
    }

    private func crashNow() throws {
        try run("\(bin)/pg_ctl", ["-D", "\(directory)/data", "-m", "immediate", "-w", "stop"])
    }

    /// SIGKILL to the postmaster and every backend, as when its machine dies: nothing is
    /// flushed or said goodbye to.
    package func kill() async throws {
        try await ChildProcess.offThePool {
            let pidFile = try String(contentsOfFile: "\(self.directory)/data/postmaster.pid", encoding: .utf8)
            guard let postmaster = pidFile.split(separator: "\n").first.flatMap({ pid_t($0) }) else { throw CancellationError() }
            // Stopped first, so it neither restarts its children nor lets them go to init.
            Glibc.kill(postmaster, SIGSTOP)
            _ = ChildProcess.run(["/usr/bin/pkill", "-KILL", "-P", "\(postmaster)"])
            Glibc.kill(postmaster, SIGKILL)
        }
    }

    /// Promotes this standby to a primary and waits until it accepts writes.
    package func promote() async throws {
        try await ChildProcess.offThePool { try self.run("\(self.bin)/pg_ctl", ["-D", "\(self.directory)/data", "-w", "-t", "30", "promote"]) }
    }

    package func destroy() {
        try? run("\(bin)/pg_ctl", ["-D", "\(directory)/data", "-m", "immediate", "-w", "stop"])
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func run(_ executable: String, _ arguments: [String], asPostgres: Bool = true) throws {
        let argv =
            asPostgres && getuid() == 0
            ? ["/usr/sbin/runuser", "-u", "postgres", "--", executable] + arguments
            : [executable] + arguments
        guard ChildProcess.run(argv) else { throw ProcessFailure(command: argv.joined(separator: " ")) }
    }

    package struct ProcessFailure: Error {
        let command: String
        var log = ""
    }
}
