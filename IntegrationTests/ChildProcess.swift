import Foundation

/// Short-lived helper programs (initdb, pg_ctl, openssl) run to completion.
enum ChildProcess {
    /// Runs `argv` with its output discarded; true when it exits 0. posix_spawn and waitpid:
    /// Foundation's Process can miss the exit of a child whose own child (a postmaster) lives on,
    /// and then waits forever.
    static func run(_ argv: [String]) -> Bool {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
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
        guard posix_spawn(&pid, argv[0], &actions, nil, cArguments, environ) == 0 else { return false }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        return status == 0
    }

    /// Runs `path` with `arguments` and returns what it printed (its errors discarded). Blocks:
    /// call it through `offThePool`.
    static func output(_ path: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    /// Spawning and waiting block; a thread of its own keeps them off the cooperative pool,
    /// whose two threads here the other tests' timers need.
    static func offThePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            Thread {
                continuation.resume(with: Result { try body() })
            }.start()
        }
    }
}

/// Hands a value that is used by one thread at a time to another thread.
struct UnsafeSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
