import Foundation
import NIOSSL

/// Where and how to connect, from `redis://[user:password@]host:port/db`, or `rediss://` for TLS.
public struct RedisConfiguration: Sendable {
    public var host: String
    public var port: Int
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

    public init(
        url: String, connections: Int = 2, commandTimeout: Duration = .seconds(2), connectTimeout: Duration = .seconds(2),
        tlsOptions: RedisTLSOptions = .init()
    ) throws {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            scheme == "redis" || scheme == "rediss"
        else {
            throw RedisError.invalidURL("expected redis://[user:password@]host:port/db or rediss://... for TLS")
        }
        guard let host = components.host, !host.isEmpty else { throw RedisError.invalidURL("no host") }
        self.host = host
        port = components.port ?? 6379
        username = components.percentEncodedUser.flatMap { $0.isEmpty ? nil : $0.removingPercentEncoding }
        password = components.percentEncodedPassword?.removingPercentEncoding
        let path = components.path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        guard let database = path.isEmpty ? 0 : Int(path), database >= 0 else {
            throw RedisError.invalidURL("the path must be a database number")
        }
        self.database = database
        self.connections = max(1, connections)
        self.commandTimeout = commandTimeout
        self.connectTimeout = connectTimeout
        if scheme == "rediss" {
            tls = try RedisTLS(options: tlsOptions, host: host)
        } else if tlsOptions.isSet {
            throw RedisError.invalidURL("TLS options are set but the URL is redis://; use rediss:// for TLS")
        }
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
