import Foundation

/// A private redis-server on its own port, for tests that kill, restart or reconfigure it.
package final class RedisProcess: @unchecked Sendable {
    package let port: Int
    private let arguments: [String]
    /// Its own working folder, writable by the unprivileged test user: a replica's first sync
    /// lands there as dump.rdb, which a server sharing the folder would load at its start.
    private let directory = "/tmp/switchyard-redis-\(UUID().uuidString.prefix(8))"
    private var pid: pid_t?

    package init(arguments: [String] = []) {
        port = TestPorts.take()
        self.arguments = arguments
    }

    /// TLS only, on `port`, with the test CA's server certificate.
    package convenience init(tls certificates: TestCertificates, requireClientCertificate: Bool) {
        self.init(arguments: [
            "--tls-cert-file", certificates.serverCertificateFile, "--tls-key-file", certificates.serverKeyFile,
            "--tls-ca-cert-file", certificates.caFile, "--tls-auth-clients", requireClientCertificate ? "yes" : "no",
        ])
        tlsOnly = true
    }

    private var tlsOnly = false

    package var url: String { "redis://127.0.0.1:\(port)/0" }

    package var isRunning: Bool { pid.map(ChildProcess.isRunning) ?? false }

    /// SIGSTOP or SIGCONT: a paused server keeps its connections but answers nothing.
    package func pause(_ paused: Bool) {
        signal(paused ? SIGSTOP : SIGCONT)
    }

    package func signal(_ signal: Int32) {
        if let pid { Foundation.kill(pid, signal) }
    }

    package func start() async throws {
        let ports = tlsOnly ? ["--port", "0", "--tls-port", "\(port)"] : ["--port", "\(port)"]
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let argv =
            ["/usr/bin/redis-server"] + ports + ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", directory]
            + arguments
        // posix_spawn: Foundation's Process.run() overran a buffer and crashed the test process
        // with many descriptors open, as a suite on a Redis Cluster has.
        guard let pid = ChildProcess.launch(argv) else { throw StartFailure(reason: "redis-server could not be started") }
        self.pid = pid
        try await waitUntilAccepting()
    }

    /// SIGKILL: the connection drops with no goodbye, as in a crash. The wait for the exit (the
    /// port is free after it) blocks, so it runs off the cooperative pool.
    package func kill() async {
        guard let pid else { return }
        self.pid = nil
        Foundation.kill(pid, SIGKILL)
        _ = try? await ChildProcess.offThePool { ChildProcess.reap(pid) }
    }

    deinit {
        if let pid { Foundation.kill(pid, SIGKILL) }
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Up to 20 s: the whole suite shares two cores, and a busy machine starts processes slowly.
    private func waitUntilAccepting() async throws {
        for _ in 0..<400 {
            if TestPorts.isAccepting(port) { return }
            if !isRunning {
                throw StartFailure(reason: "redis-server exited (port \(port) taken?)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw StartFailure(reason: "redis-server did not accept connections on port \(port) within 20 s")
    }

    package struct StartFailure: Error, CustomStringConvertible {
        let reason: String
        package var description: String { reason }
    }
}
