import Foundation

/// A certificate authority and certificates signed by it, made with `openssl` in a folder of
/// their own: `ca.pem`; `server.pem`/`server.key` for the names localhost and `cache.test` (no IP address, so a
/// client dialling 127.0.0.1 must be told which name to check);
/// `client.pem`/`client.key` for client authentication.
package struct TestCertificates: Sendable {
    package let directory: String

    package var caFile: String { "\(directory)/ca.pem" }
    package var clientCertificateFile: String { "\(directory)/client.pem" }
    package var clientKeyFile: String { "\(directory)/client.key" }
    package var serverCertificateFile: String { "\(directory)/server.pem" }
    package var serverKeyFile: String { "\(directory)/server.key" }

    package static func make() async throws -> TestCertificates {
        try await ChildProcess.offThePool { try makeNow() }
    }

    private static func makeNow() throws -> TestCertificates {
        let directory = "/tmp/switchyard-certs-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        // Readable by the unprivileged users that run the servers in these tests.
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory)
        let key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try openssl(
            ["req", "-x509"] + key + [
                "-keyout", "\(directory)/ca.key", "-out", "\(directory)/ca.pem", "-days", "2", "-subj", "/CN=switchyard test CA",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            ])
        for (name, names) in [("server", "DNS:localhost,DNS:cache.test"), ("client", "DNS:switchyard")] {
            let extensions = "\(directory)/\(name).ext"
            try "subjectAltName=\(names)\n".write(toFile: extensions, atomically: true, encoding: .utf8)
            try openssl(["req"] + key + ["-keyout", "\(directory)/\(name).key", "-out", "\(directory)/\(name).csr", "-subj", "/CN=\(name)"])
            try openssl([
                "x509", "-req", "-in", "\(directory)/\(name).csr", "-CA", "\(directory)/ca.pem", "-CAkey", "\(directory)/ca.key",
                "-CAcreateserial", "-days", "2", "-extfile", extensions, "-out", "\(directory)/\(name).pem",
            ])
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: "\(directory)/\(name).key")
        }
        return TestCertificates(directory: directory)
    }

    private static func openssl(_ arguments: [String]) throws {
        guard ChildProcess.run(["/usr/bin/openssl"] + arguments) else {
            throw Failure(description: "openssl \(arguments.joined(separator: " ")) failed")
        }
    }

    package struct Failure: Error, CustomStringConvertible {
        package let description: String
    }

    package func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }
}
