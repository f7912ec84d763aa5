import Foundation
import NIOSSL

/// Where and how to connect, from `redis://[user:password@]host:port/db`, or `rediss://` for TLS;
/// a Redis Cluster from `redis+cluster://[user:password@]host:port[,host:port...]` (or
/// `rediss+cluster://`), whose nodes are the seeds the slot map is first asked from.
public struct RedisConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// Set for a cluster URL: every `host:port` it names, the first being `host` and `port`.
    public var clusterSeeds: [RedisAddress]?
    public var username: String?
    public var password: String?
    public var database: Int
    /// Connections shared by all callers; commands are pipelined on each.
    public var connections: Int
    /// How long a command may wait for its reply before the connection is reset.
    public var commandTimeout: Duration
    /// How long opening a TCP connection may take; a server that never answers the SYN (a
    /// black-holed network) fails within it. AUTH, SELECT and TLS then run under `commandTimeout`.
    public var connectTimeout: Duration
    /// Set for `rediss://`: the context every connection's TLS session is made from.
    public var tls: RedisTLS?
    /// Replicas that must confirm a replicated write (`WAIT`) before it counts as done; 0 waits
    /// for none. Within `waitTimeout`, or the write fails as unavailable.
    public var waitReplicas: Int
    public var waitTimeout: Duration
    /// Connections per server reserved for replicated writes, each taken by one write and its
    /// WAIT at a time, so a wait never holds up the shared connections' other callers.
    public var waitConnections: Int

    public init(
        url: String, connections: Int = 2, commandTimeout: Duration = .seconds(2), connectTimeout: Duration = .seconds(2),
        tlsOptions: RedisTLSOptions = .init(), waitReplicas: Int = 0, waitTimeout: Duration = .milliseconds(500),
        waitConnections: Int = 8
    ) throws {
        let (standalone, seeds) = try Self.clusterSeeds(in: url)
        guard let components = URLComponents(string: standalone), let scheme = components.scheme?.lowercased(),
            scheme == "redis" || scheme == "rediss"
        else {
            throw RedisError.invalidURL(
                "expected redis://[user:password@]host:port/db, rediss://... for TLS, or redis+cluster://host:port[,host:port...]")
        }
        guard let host = components.host, !host.isEmpty else { throw RedisError.invalidURL("no host") }
        self.host = host
        port = components.port ?? 6379
        let first = RedisAddress(host: host, port: port)
        clusterSeeds = seeds.map { [first] + $0 }
        username = components.percentEncodedUser.flatMap { $0.isEmpty ? nil : $0.removingPercentEncoding }
        password = components.percentEncodedPassword?.removingPercentEncoding
        let path = components.path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        guard let database = path.isEmpty ? 0 : Int(path), database >= 0 else {
            throw RedisError.invalidURL("the path must be a database number")
        }
        guard seeds == nil || database == 0 else {
            throw RedisError.invalidURL("a Redis Cluster has only database 0")
        }
        self.database = database
        self.connections = max(1, connections)
        self.commandTimeout = commandTimeout
        self.connectTimeout = connectTimeout
        guard waitReplicas == 0 || waitTimeout < commandTimeout else {
            throw RedisError.invalidURL("the replicas' wait timeout must be shorter than the command timeout")
        }
        self.waitReplicas = max(0, waitReplicas)
        self.waitTimeout = waitTimeout
        self.waitConnections = max(1, waitConnections)
        if scheme == "rediss" {
            tls = try RedisTLS(options: tlsOptions, host: host)
        } else if tlsOptions.isSet {
            throw RedisError.invalidURL("TLS options are set but the URL is redis://; use rediss:// for TLS")
        }
    }

    /// For a cluster URL: the URL of its first seed with the plain scheme (what URLComponents
    /// reads), and the other seeds; for any other URL: the URL itself and nil.
    private static func clusterSeeds(in url: String) throws -> (url: String, others: [RedisAddress]?) {
        guard let separator = url.range(of: "://"), url[..<separator.lowerBound].lowercased().hasSuffix("+cluster") else {
            return (url, nil)
        }
        let scheme = url[..<separator.lowerBound].lowercased().dropLast("+cluster".count)
        var rest = url[separator.upperBound...]
        var userInfo = ""
        if let at = rest.lastIndex(of: "@") {
            userInfo = String(rest[...at])
            rest = rest[rest.index(after: at)...]
        }
        let hosts = rest.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        let path = hosts.count > 1 ? "/" + hosts[1] : ""
        var seeds: [RedisAddress] = []
        for seed in hosts[0].split(separator: ",") {
            guard let components = URLComponents(string: "redis://\(seed)"), let host = components.host, !host.isEmpty else {
                throw RedisError.invalidURL("cluster seed '\(seed)' is not host:port")
            }
            seeds.append(RedisAddress(host: host, port: components.port ?? 6379))
        }
        guard let first = hosts[0].split(separator: ",").first else { throw RedisError.invalidURL("no host") }
        return ("\(scheme)://\(userInfo)\(first)\(path)", Array(seeds.dropFirst()))
    }
}

/// TLS settings beside a `rediss://` URL. Certificates are always verified, against the system's
/// trust store unless a CA file is given; the name checked is the URL's host unless `serverName` says otherwise.
public struct RedisTLSOptions: Sendable {
    /// PEM file of the certificate authorities to trust instead of the system's.
    public var caFile: String?
    /// PEM certificate (chain) and key for servers that require client certificates.
    public var certificateFile: String?
    public var keyFile: String?
    /// The name to expect in the server's certificate and send as SNI.
    public var serverName: String?

    public init(caFile: String? = nil, certificateFile: String? = nil, keyFile: String? = nil, serverName: String? = nil) {
        self.caFile = caFile
        self.certificateFile = certificateFile
        self.keyFile = keyFile
        self.serverName = serverName
    }

    var isSet: Bool { caFile != nil || certificateFile != nil || keyFile != nil || serverName != nil }
}

/// A TLS client context made once, when the configuration is read, so a missing or unreadable
/// file stops startup instead of failing every connection later.
public struct RedisTLS: Sendable {
    let context: NIOSSLContext
    /// SNI and the name verified; nil for an IP address, which is then checked against the certificate's IP entries.
    let serverHostname: String?

    init(options: RedisTLSOptions, host: String) throws {
        guard (options.certificateFile == nil) == (options.keyFile == nil) else {
            throw RedisError.invalidURL("a TLS client certificate needs both a certificate file and a key file")
        }
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .fullVerification
        do {
            if let caFile = options.caFile {
                configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile))
            }
            if let certificateFile = options.certificateFile, let keyFile = options.keyFile {
                configuration.certificateChain = try NIOSSLCertificate.fromPEMFile(certificateFile).map { .certificate($0) }
                configuration.privateKey = .privateKey(try NIOSSLPrivateKey(file: keyFile, format: .pem))
            }
            context = try NIOSSLContext(configuration: configuration)
        } catch {
            throw RedisError.invalidURL("TLS setup failed: \(error)")
        }
        let name = options.serverName ?? host
        serverHostname = Self.isIPAddress(name) ? nil : name
    }

    private static func isIPAddress(_ name: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, name, &v4) == 1 || inet_pton(AF_INET6, name, &v6) == 1
    }
}
