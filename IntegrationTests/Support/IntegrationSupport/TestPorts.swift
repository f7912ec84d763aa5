import Foundation
import Synchronization

/// Ports for the servers the tests start (Redis, PostgreSQL, chaos-proxy): each one distinct
/// within this run, so two concurrent tests never race for one port and then talk to each
/// other's server, and free when taken, so a server left by another run is never mistaken for
/// the test's own. Below the ephemeral range (32768+), so no outgoing connection holds one, and
/// below the binary under SignalShutdownTests (30,000+); a random start keeps two runs apart.
package enum TestPorts {
    private static let next = Atomic<Int>(Int.random(in: 0..<10_000))
    private static let nextForBinary = Atomic<Int>(Int.random(in: 0..<2_768))

    package static func take() -> Int {
        while true {
            let port = 20_000 + next.wrappingAdd(1, ordering: .relaxed).oldValue % 10_000
            if isFree(port) { return port }
        }
    }

    /// A port for the `switchyard` binary (30,000–32,767), taken the same way.
    package static func takeForBinary() -> Int {
        while true {
            let port = 30_000 + nextForBinary.wrappingAdd(1, ordering: .relaxed).oldValue % 2_768
            if isFree(port) { return port }
        }
    }

    /// Whether something accepts connections on 127.0.0.1:`port` now.
    package static func isAccepting(_ port: Int) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = SilentListener.loopback(port: port)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    /// Whether a listening socket can be bound to 127.0.0.1:`port` now.
    private static func isFree(_ port: Int) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return true }
        defer { close(descriptor) }
        var address = SilentListener.loopback(port: port)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}
