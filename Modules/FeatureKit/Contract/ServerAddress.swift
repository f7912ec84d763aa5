import Synchronization

/// Where this server listens, known once the listener is bound (the port may have been 0).
/// Features that call themselves (path-stats' self load test) read it at request time.
public final class ServerAddress: Sendable {
    private let value = Mutex<(host: String, port: Int)?>(nil)

    public init() {}

    public func set(host: String, port: Int) {
        value.withLock { $0 = (host, port) }
    }

    /// `http://host:port`, with a wildcard listen address replaced by loopback.
    public var baseURL: String? {
        value.withLock { address in
            address.map { address in
                let host = ["0.0.0.0", "::", ""].contains(address.host) ? "127.0.0.1" : address.host
                return "http://\(host.contains(":") ? "[\(host)]" : host):\(address.port)"
            }
        }
    }
}
