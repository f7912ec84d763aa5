import Foundation

/// Child processes through posix_spawn: helper programs (initdb, pg_ctl, openssl) run to
/// completion, and servers (redis-server, chaos-proxy) launched and killed by pid.
package enum ChildProcess {
    /// Runs `argv` with its output discarded; true when it exits 0. posix_spawn and waitpid:
    /// Foundation's Process can miss the exit of a child whose own child (a postmaster) lives on,
    /// and then waits forever; and with a thousand descriptors open (the suite's many servers) its
    /// run() overran a buffer and crashed the test process.
    package static func run(_ argv: [String]) -> Bool {
        spawn(argv, output: nil).map { $0.status == 0 } ?? false
    }

    /// Runs `path` with `arguments` and returns what it printed (its errors discarded). Blocks:
    /// call it through `offThePool`.
    package static func output(_ path: String, _ arguments: [String]) throws -> String {
        var pipe: [Int32] = [0, 0]
        guard Glibc.pipe(&pipe) == 0 else { throw POSIXError(.EMFILE) }
        guard let result = spawn([path] + arguments, output: pipe) else { throw POSIXError(.ENOEXEC) }
        return String(decoding: result.printed, as: UTF8.self)
    }

    /// Starts `argv` as a long-running child (a server) with its output discarded and returns
    /// its pid, or nil when it could not be started. Its caller kills and reaps it (`reap`).
    package static func launch(_ argv: [String]) -> pid_t? {
        start(argv, output: nil)
    }

    /// Waits for `pid` to exit. Blocks: call it through `offThePool`.
    package static func reap(_ pid: pid_t) {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
    }

    /// True while `pid` has not exited (or has not been reaped).
    package static func isRunning(_ pid: pid_t) -> Bool {
        var status: Int32 = 0
        return waitpid(pid, &status, WNOHANG) == 0
    }

    /// Runs `argv` to its end: its status, and what it printed when `output` is a pipe.
    private static func spawn(_ argv: [String], output: [Int32]?) -> (status: Int32, printed: [UInt8])? {
        let pid = start(argv, output: output)
        var printed: [UInt8] = []
        if let output {
            close(output[1])
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while pid != nil {
                let count = read(output[0], &buffer, buffer.count)
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { break }
                printed += buffer[0..<count]
            }
            close(output[0])
        }
        guard let pid else { return nil }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        return (status, printed)
    }

    /// posix_spawn with stdin and stderr on /dev/null, stdout on `output`'s write end or
    /// /dev/null, and none of the test process's other descriptors.
    private static func start(_ argv: [String], output: [Int32]?) -> pid_t? {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        if let output {
            posix_spawn_file_actions_adddup2(&actions, output[1], 1)
        } else {
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        }
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        // None of the test process's sockets: a postmaster that kept them would hold ports and
        // connections open, and count them against its own descriptor limit. (glibc ignores a
        // close of a descriptor that another thread closed meanwhile.)
        let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        for descriptor in open.compactMap({ Int32($0) }) where descriptor > 2 {
            posix_spawn_file_actions_addclose(&actions, descriptor)
        }
        let cArguments = argv.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        var pid = pid_t()
        return posix_spawn(&pid, argv[0], &actions, nil, cArguments, environ) == 0 ? pid : nil
    }

    /// Spawning and waiting block; a thread of its own keeps them off the cooperative pool,
    /// whose two threads here the other tests' timers need.
    package static func offThePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            Thread {
                continuation.resume(with: Result { try body() })
            }.start()
        }
    }
}
