import Foundation
import HTTPClient

/// The real `switchyard` binary (built beside this test bundle by `swift build --build-tests`)
/// in a process of its own, with its output in a log file. It runs as the user the tests run as:
/// scripts/test runs them unprivileged.
package final class ServerBinary: @unchecked Sendable {
    package static var path: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".build/debug/switchyard")
    }

    package let port = TestPorts.takeForBinary()
    package let logFile = "/tmp/switchyard-binary-\(UUID().uuidString.prefix(8)).log"
    private let process = Process()
    private let exited = AsyncStream<Int32>.makeStream()

    package var base: String { "http://127.0.0.1:\(port)" }

    /// Starts `switchyard serve` with `environment` over this process's own and waits until
    /// `/health` answers (up to 30 s: the suite shares two cores).
    package init(environment: [String: String], client: HTTPClient) async throws {
        FileManager.default.createFile(atPath: logFile, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logFile))
        process.executableURL = Self.path
        process.arguments = ["serve", "--port", String(port)]
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        process.standardOutput = log
        process.standardError = log
        let continuation = exited.continuation
        process.terminationHandler = { continuation.yield($0.terminationStatus) }
        try process.run()
        for _ in 0..<300 {
            if (try? await client.get(base + "/health").status) == 200 { return }
            guard process.isRunning else { throw StartFailure(status: process.terminationStatus, log: self.log) }
            try await Task.sleep(for: .milliseconds(100))
        }
        terminateNow()
        throw StartFailure(status: nil, log: self.log)
    }

    package struct StartFailure: Error, CustomStringConvertible {
        /// The exit status when it stopped by itself; nil when it did not answer within 30 s.
        package let status: Int32?
        package let log: String
        package var description: String {
            (status.map { "switchyard exited with status \($0)" } ?? "switchyard did not answer /health within 30 s") + "; its log:\n\(log)"
        }
    }

    package var processIdentifier: Int32 { process.processIdentifier }

    /// What the server wrote so far.
    package var log: String { (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "" }

    /// SIGTERM, then the exit status once it has exited.
    package func terminate() async -> Int32? {
        terminateNow()
        for await status in exited.stream { return status }
        return nil
    }

    private func terminateNow() {
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(atPath: logFile)
    }
}
