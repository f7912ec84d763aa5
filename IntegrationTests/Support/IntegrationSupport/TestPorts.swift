import Synchronization

/// Ports for the servers the tests start (Redis, PostgreSQL, chaos-proxy): each one distinct
/// within this run, so two concurrent tests never race for one port and then talk to each
/// other's server. Below the ephemeral range (32768+), so no outgoing connection holds one, and
/// below the binary under SignalShutdownTests (30,000+); a random start keeps two runs apart.
package enum TestPorts {
    private static let next = Atomic<Int>(Int.random(in: 0..<10_000))

    package static func take() -> Int {
        20_000 + next.wrappingAdd(1, ordering: .relaxed).oldValue % 10_000
    }
}
