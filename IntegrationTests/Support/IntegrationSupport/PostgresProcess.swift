import Foundation

/// A private PostgreSQL cluster for tests that crash and restart the server. initdb and
/// postgres refuse to run as root, so as root they run as the `postgres` user.
package final class PostgresProcess: @unchecked Sendable {
    package let port = TestPorts.take()
    package let directory: String
    private let bin: String
    /// `trust`, or `scram-sha-256` for password tests (the local socket stays trusted for setup).
    private let hostAuthentication: String
    /// Serves TLS with this server certificate when set.
    private let tls: TestCertificates?

    package init(hostAuthentication: String = "trust", tls: TestCertificates? = nil) throws {
        self.hostAuthentication = hostAuthentication
        self.tls = tls
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
            try run(
                "\(bin)/initdb",
                [
                    "-D", "\(directory)/data", "-U", "postgres", "--auth-local=trust", "--auth-host=\(hostAuthentication)", "-E", "UTF8",
                ])
        }
        var options = "-p \(port) -k \(directory) -c listen_addresses=127.0.0.1"
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
