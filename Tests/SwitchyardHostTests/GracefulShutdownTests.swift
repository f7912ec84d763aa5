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
    final class Port: Sendable {
        let value = Mutex<Int?>(nil)
    }

    @Test func inFlightRequestFinishesAndTheGroupReturns() async throws {
        let started = ContinuousClock.now
        let served = Port()
        try await withRunningServer(environment: ["HTTP_SHUTDOWN_TIMEOUT": "60"]) { port, group in
            served.value.withLock { $0 = port }
            async let slow = URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/echo/slow")!)
            try await Task.sleep(for: .milliseconds(150))
            await group.triggerGracefulShutdown()
            let (data, response) = try await slow
            #expect((response as? HTTPURLResponse)?.statusCode == 200)
            #expect(String(decoding: data, as: UTF8.self) == #"{"slow":true}"#)
        }
        // The group has returned once the request was done, not when the 60 s drain bound ran
        // out (the margin is wide: the whole suite shares two cores).
        #expect(ContinuousClock.now - started < .seconds(30))
        // The listener is closed: a new connection is refused.
        let port = try #require(served.value.withLock { $0 })
        await #expect(throws: (any Error).self) {
            _ = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/health")!)
        }
    }
}
