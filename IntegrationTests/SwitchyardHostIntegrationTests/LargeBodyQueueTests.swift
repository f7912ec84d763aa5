import Foundation
import HTTPClient
import IntegrationSupport
import Testing

/// Large bodies waiting for a parse turn are bounded in number and bytes before they are read:
/// 100 concurrent 8 MiB uploads to the real server (a process of its own, so its memory is its
/// own) cost it about the queue's bytes, not 800 MiB, and every one refused is answered 429,
/// readable by a client that sends its whole body first.
@Suite struct LargeBodyQueueTests {
    static let clients = """
        import http.client, sys, threading
        port, count, size = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
        body = b'"' + b"x" * (size - 2) + b'"'
        statuses = []
        def post():
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                connection.request("POST", "/area-mode/events", body=body, headers={"Content-Type": "application/json", "Connection": "close"})
                statuses.append(str(connection.getresponse().status))
            except Exception as error:
                statuses.append(type(error).__name__)
        threads = [threading.Thread(target=post) for _ in range(count)]
        for thread in threads: thread.start()
        for thread in threads: thread.join()
        print(" ".join(statuses))
        """

    static func residentBytes(of pid: Int32) -> Int {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
    }

    final class Peak: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0
        func record(_ sample: Int) { lock.withLock { value = Swift.max(value, sample) } }
        var max: Int { lock.withLock { value } }
    }

    @Test func waitersAreBoundedBeforeTheirBodiesAreRead() async throws {
        let client = HTTPClient()
        let server = try await ServerBinary(
            environment: [
                "FEATURES": "area-mode", "FEATURES_AREA_MODE_REDIS_PREFIX": "test:large-body:\(UUID().uuidString)",
                "HTTP_LARGE_BODY_QUEUE": "2", "HTTP_LARGE_BODY_QUEUE_BYTES": String(16 << 20), "LOG_LEVEL": "warning",
            ], client: client)
        let pid = server.processIdentifier
        let baseline = Self.residentBytes(of: pid)
        let peak = Peak()
        let sampler = Task {
            while !Task.isCancelled {
                peak.record(Self.residentBytes(of: pid))
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        let port = server.port
        let output = try await ChildProcess.offThePool {
            try ChildProcess.output("/usr/bin/python3", ["-c", Self.clients, String(port), "100", String(8 << 20)])
        }
        sampler.cancel()
        let statuses = output.split(whereSeparator: \.isWhitespace).map(String.init)
        #expect(statuses.count == 100)
        // Admitted ones are read and refused as no batch (400); the rest are refused at once.
        #expect(statuses.allSatisfy { $0 == "429" || $0 == "400" }, "\(output)")
        #expect(statuses.filter { $0 == "429" }.count >= 50, "\(output)")
        let growth = peak.max - baseline
        // Two 8 MiB bodies in the queue and their parses, plus the runtime's room; 100 bodies
        // read before waiting would be 800 MiB.
        #expect(growth < 250 << 20, "RSS grew by \(growth >> 20) MiB")
        #expect(await server.terminate() == 0)
        await client.shutdown()
    }
}
