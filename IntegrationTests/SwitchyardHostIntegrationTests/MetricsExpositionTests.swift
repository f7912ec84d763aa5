import FeatureKit
import Foundation
import HummingbirdTesting
import IntegrationSupport
import NIOCore
import Testing

/// `/metrics` after every feature has served: every series has HELP text and `promtool check
/// metrics` (Debian's prometheus package, installed by scripts/test) finds nothing to say.
@Suite struct MetricsExpositionTests {
    @Test func promtoolAcceptsTheExposition() async throws {
        try await TestEnvironment.withEveryFeature { client in
            for uri in [
                "/path-stats/api/metrics/x/", "/path-stats/stats/?limit=1", "/area-mode/stats?area_code=101", "/user-points/",
                "/achievement-level/users", "/achievement-level/users/1", "/achievement-level/users?level=gold",
                "/products-orders/products", "/products-orders/orders",
            ] {
                try await client.execute(uri: uri, method: .get) { #expect($0.status == .ok, "\(uri)") }
            }
            try await TestEnvironment.createProduct(client, id: "metrics", stock: 5)
            try await client.execute(
                uri: "/area-mode/events", method: .post, headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"items":[{"area_code":101,"multiplayer_mode":"Duo","user_id":"m","events_name":"LOGIN"}]}"#)
            ) { #expect($0.status == .ok) }
            let exposition = try await client.execute(uri: "/metrics", method: .get) { String(buffer: $0.body) }
            for family in exposition.split(separator: "\n").filter({ $0.hasPrefix("# TYPE ") }) {
                let name = family.split(separator: " ")[2]
                #expect(exposition.contains("# HELP \(name) "), "no HELP for \(name)")
            }
            let problems = try await Self.promtool(exposition)
            #expect(problems.isEmpty, "promtool: \(problems)")
        }
    }

    /// promtool's lint findings, one a line (empty when it is content).
    static func promtool(_ exposition: String) async throws -> [String] {
        try await ChildProcess.offThePool {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/promtool")
            process.arguments = ["check", "metrics"]
            let input = Pipe()
            let output = Pipe()
            process.standardInput = input
            process.standardOutput = output
            process.standardError = output
            try process.run()
            input.fileHandleForWriting.write(Data(exposition.utf8))
            try input.fileHandleForWriting.close()
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return text.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
        }
    }
}
