import Foundation
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing

@testable import FeatureKit

/// Large bodies waiting for a parse turn are bounded in number and bytes before they are read:
/// with the only turn held, 100 concurrent 8 MiB uploads cost the server about the queue's
/// bytes, not 800 MiB, and every one of them is answered 429, readable by a client that sends
/// its whole body first.
@Suite struct LargeBodyQueueTests {
    static let clients = """
        import http.client, sys, threading
        port, count, size = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
        body = b'"' + b"x" * (size - 2) + b'"'
        statuses = []
        def post():
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                connection.request("POST", "/big/other", body=body, headers={"Content-Type": "application/json", "Connection": "close"})
                statuses.append(str(connection.getresponse().status))
            except Exception as error:
                statuses.append(type(error).__name__)
        threads = [threading.Thread(target=post) for _ in range(count)]
        for thread in threads: thread.start()
        for thread in threads: thread.join()
        print(" ".join(statuses))
        """

    static func residentBytes() -> Int {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
    }

    @Test func waitersAreBoundedBeforeTheirBodiesAreRead() async throws {
        let router = Router(context: AppRequestContext.self)
        // In the server's order: the drain sees the envelope's answer.
        router.add(middleware: RefusedBodyDrain())
        router.add(middleware: ErrorEnvelopeMiddleware())
        let turns = LargeBodyTurns(concurrency: 1, wait: .seconds(3), maxQueued: 100, maxQueuedBytes: 64 << 20)
        router.add(middleware: EventLoopAffinityMiddleware(largeBodyTurns: turns))
        router.post("/big/{name}") { request, context -> String in
            let name = try context.parameters.require("name")
            try await request.jsonBody(context: context, limit: 16 << 20) { _ in }
            return name
        }
        try await Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0))).test(.live) { client in
            let port = client.port!
            // The only turn is held, as by a long parse.
            try await turns.permits.acquire()
            let baseline = Self.residentBytes()
            let peak = Mutex(baseline)
            let sampler = Task {
                while !Task.isCancelled {
                    let now = Self.residentBytes()
                    peak.withLock { $0 = max($0, now) }
                    try await Task.sleep(for: .milliseconds(20))
                }
            }
            let output = try await ChildProcess.offThePool {
                try ChildProcess.output("/usr/bin/python3", ["-c", Self.clients, String(port), "100", String(8 << 20)])
            }
            sampler.cancel()
            turns.permits.release()
            let statuses = output.split(whereSeparator: \.isWhitespace)
            #expect(statuses.count == 100)
            #expect(statuses.allSatisfy { $0 == "429" }, "\(output)")
            let growth = peak.withLock { $0 } - baseline
            // The queue's 64 MiB, plus room for buffers and the runtime; 100 bodies are 800 MiB.
            #expect(growth < 200 << 20, "RSS grew by \(growth >> 20) MiB")
        }
    }
}
