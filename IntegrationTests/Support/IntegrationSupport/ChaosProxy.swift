import Foundation

/// scripts/chaos-proxy in a process of its own between a client and a server: the tests put it
/// in `blackhole` (nothing forwarded, nothing closed), `cut` or back to `pass`.
package final class ChaosProxy: @unchecked Sendable {
    package enum Mode: String {
        case pass, blackhole, cut
    }

    package let port = TestPorts.take()
    private let controlPort = TestPorts.take()
    private let pid: pid_t

    package init(target: String) async throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("scripts/chaos-proxy")
        let argv = ["/usr/bin/python3", script.path, "--listen", "\(port)", "--target", target, "--control", "\(controlPort)"]
        guard let pid = ChildProcess.launch(argv) else { throw ProxyFailure(reason: "chaos-proxy could not be started") }
        self.pid = pid
        for _ in 0..<200 where ChildProcess.isRunning(pid) {
            if (try? await set(.pass)) != nil { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        stop()
        throw ProxyFailure(reason: "chaos-proxy did not start")
    }

    /// `host:port` of the proxied server, as a client should dial it.
    package var address: String { "127.0.0.1:\(port)" }

    /// A proxy in front of the server `url` names, and `url` through it.
    package static func inFront(of url: String) async throws -> (proxy: ChaosProxy, url: String) {
        var components = URLComponents(string: url)!
        let proxy = try await ChaosProxy(target: "\(components.host!):\(components.port!)")
        components.host = "127.0.0.1"
        components.port = proxy.port
        return (proxy, components.string!)
    }

    package func set(_ mode: Mode) async throws {
        let port = controlPort
        let reply = try await ChildProcess.offThePool { Self.send(mode.rawValue, port: port) }
        guard reply == "ok" else { throw ProxyFailure(reason: "chaos-proxy answered \(reply ?? "nothing") to \(mode)") }
    }

    /// SIGKILL: the test process ignores SIGTERM (a server's signal handling), and children inherit that.
    package func stop() {
        kill(pid, SIGKILL)
        ChildProcess.reap(pid)
    }

    package struct ProxyFailure: Error {
        let reason: String
    }

    /// One line to the control port, its one-line answer.
    private static func send(_ line: String, port: Int) -> String? {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var address = SilentListener.loopback(port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return nil }
        let message = Array((line + "\n").utf8)
        guard write(descriptor, message, message.count) == message.count else { return nil }
        var reply = [UInt8](repeating: 0, count: 64)
        let count = read(descriptor, &reply, reply.count)
        guard count > 0 else { return nil }
        return String(decoding: reply[..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// A listening socket that never accepts, its one-slot backlog filled: the kernel then drops
/// further SYNs, so a connect to it hangs as on a black-holed network.
package final class SilentListener: @unchecked Sendable {
    package let port: Int
    private var descriptors: [Int32] = []

    package init() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = Self.loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(listener, pointer, length) == 0 && listen(listener, 0) == 0 && getsockname(listener, pointer, &length) == 0
            }
        }
        guard bound else { throw ChaosProxy.ProxyFailure(reason: "cannot listen: errno \(errno)") }
        port = Int(UInt16(bigEndian: address.sin_port))
        descriptors.append(listener)
        // Fill the accept queue (backlog 0 holds one, and one more completes on Linux).
        for _ in 0..<2 {
            let filler = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            var target = Self.loopback(port: port)
            _ = withUnsafePointer(to: &target) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(filler, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            descriptors.append(filler)
        }
        usleep(100_000)  // the fillers' handshakes complete
    }

    package func close() {
        descriptors.forEach { Glibc.close($0) }
    }

    package static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }
}
