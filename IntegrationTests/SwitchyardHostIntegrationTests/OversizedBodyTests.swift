import Foundation
import IntegrationSupport
import Testing

/// A 413 that every kind of client can read: one that sends its whole body before reading
/// (Python's urllib), one that reads an early answer (curl), and one that never stops sending,
/// which is cut off at the drain's bounds.
@Suite struct OversizedBodyTests {
    static let urllib = """
        import sys, urllib.request, urllib.error
        request = urllib.request.Request(sys.argv[1], data=b"x" * int(sys.argv[2]), headers={"Content-Type": "application/json"})
        try:
            urllib.request.urlopen(request)
            print("no error")
        except urllib.error.HTTPError as error:
            print(error.code, error.read().decode())
        except Exception as error:
            print("failed", repr(error))
        """

    /// Sends a body that never ends as fast as the server reads it; prints what was sent
    /// before the server closed the connection, and how long that took.
    static let endless = """
        import socket, sys, time
        host, port = sys.argv[1], int(sys.argv[2])
        connection = socket.create_connection((host, port))
        connection.sendall(b"POST /products-orders/products HTTP/1.1\\r\\nHost: x\\r\\nContent-Type: application/json\\r\\nContent-Length: 100000000000\\r\\n\\r\\n")
        chunk, sent, started = b"x" * 65536, 0, time.monotonic()
        connection.settimeout(120)
        try:
            while sent < 4 << 30:
                sent += connection.send(chunk)
        except OSError:
            pass
        print(sent, time.monotonic() - started)
        """

    /// The drain's time bound is the test's hang guard here: beside stress-ng a debug build reads
    /// 100 MiB slower than the default 30 s allow.
    @Test(arguments: [11 << 20, 100 << 20]) func clientsThatSendFirstReadThe413(size: Int) async throws {
        let environment = ["FEATURES": "products-orders", "HTTP_REFUSED_BODY_DRAIN_TIME": "600"]
        try await TestEnvironment.withEveryFeature(environment, mode: .live) { client in
            let url = "http://127.0.0.1:\(client.port!)/products-orders/products"
            let python = try await ChildProcess.offThePool { try ChildProcess.output("/usr/bin/python3", ["-c", Self.urllib, url, String(size)]) }
            #expect(python.hasPrefix("413 "), "\(python)")
            #expect(python.contains(#""error":"PAYLOAD_TOO_LARGE""#))
            let body = FileManager.default.temporaryDirectory.appendingPathComponent("body-\(UUID().uuidString)")
            _ = FileManager.default.createFile(atPath: body.path, contents: Data(count: size))
            defer { try? FileManager.default.removeItem(at: body) }
            let curl = try await ChildProcess.offThePool {
                try ChildProcess.output(
                    "/usr/bin/curl", ["-s", "-w", "\n%{http_code}", "-H", "Content-Type: application/json", "--data-binary", "@\(body.path)", url])
            }
            #expect(curl.hasSuffix("\n413"), "\(curl.suffix(200))")
            #expect(curl.contains(#""error":"PAYLOAD_TOO_LARGE""#))
        }
    }

    @Test func aClientThatNeverStopsSendingIsCutOff() async throws {
        try await TestEnvironment.withEveryFeature(["FEATURES": "products-orders"], mode: .live) { client in
            let output = try await ChildProcess.offThePool {
                try ChildProcess.output("/usr/bin/python3", ["-c", Self.endless, "127.0.0.1", String(client.port!)])
            }
            let fields = output.split(separator: " ").compactMap { Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            #expect(fields.count == 2, "\(output)")
            // Cut at 256 MiB read (plus what the socket buffers hold) or 30 s, whichever first;
            // 300 s only guards against a hang.
            #expect((fields.first ?? .infinity) < Double(320 << 20), "\(output)")
            #expect((fields.last ?? .infinity) < 300, "\(output)")
        }
    }
}
