import FeatureKit
import Foundation
import NIOCore
import ServiceLifecycle
import Synchronization
import Testing

@testable import SwitchyardHost

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

@Suite struct GracefulShutdownTests {
    @Test func inFlightRequestFinishesAndTheGroupReturns() async throws {
        let (ports, portStream) = AsyncStream.makeStream(of: Int.self)
        let settings = try await ConfigSources.reader(
            flags: ["http.port": "0"], configFile: nil, environment: ["HTTP_SHUTDOWN_TIMEOUT": "60"])
        let server = try await Switchyard.build(
            settings: settings, knownFeatures: [EchoFeature.self],
            onServerRunning: { channel in portStream.yield(channel.localAddress?.port ?? 0) })
        let group = server.serviceGroup(gracefulShutdownSignals: [])

        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())

            let started = ContinuousClock.now
            async let slow = URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/echo/slow")!)
            try await Task.sleep(for: .milliseconds(150))
            await group.triggerGracefulShutdown()

            let (data, response) = try await slow
            #expect((response as? HTTPURLResponse)?.statusCode == 200)
            #expect(String(decoding: data, as: UTF8.self) == #"{"slow":true}"#)
            try await tasks.next()
            // The group returns once the request is done, not when the 60 s drain bound runs out
            // (the margin is wide: the whole suite shares two cores).
            #expect(ContinuousClock.now - started < .seconds(30))

            // The listener is closed: a new connection is refused.
            await #expect(throws: (any Error).self) {
                _ = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/health")!)
            }
        }
    }
}
