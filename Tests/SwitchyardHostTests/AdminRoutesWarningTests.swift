import FeatureKit
import Logging
import Testing

@testable import SwitchyardHost

/// Startup warns, naming them, when admin routes are reachable beyond loopback with no token.
@Suite struct AdminRoutesWarningTests {
    func warnings(_ environment: [String: String]) async throws -> [String] {
        let captured = Captured()
        let settings = try await ConfigSources.reader(flags: [:], configFile: nil, environment: environment)
        _ = try await Switchyard.build(
            settings: settings, knownFeatures: [EchoFeature.self],
            logger: Logger(label: "test") { _ in CapturingHandler(captured: captured) })
        return captured.lines.withLock { $0 }.filter { $0.hasPrefix("warning") }
    }

    @Test func openAdminRoutesOnAPublicAddressAreNamed() async throws {
        let lines = try await warnings(["HTTP_HOST": "0.0.0.0"])
        #expect(lines.count == 1)
        #expect(lines.first?.contains("routes=POST /echo/admin/reset") == true, "\(lines)")
        #expect(try await warnings(["HTTP_HOST": "0.0.0.0", "ADMIN_TOKEN": "t"]).isEmpty)
        #expect(try await warnings(["HTTP_HOST": "127.0.0.1"]).isEmpty)
    }
}
