import Hummingbird
import Logging
import Testing

@testable import SwitchyardHost

/// A request's logger writes its id on every line, beside the server logger's own metadata
/// and the line's, and keeps the server logger's level.
@Suite struct RequestLogHandlerTests {
    @Test func everyLineCarriesTheRequestID() {
        let captured = Captured()
        var server = Logger(label: "test") { _ in CapturingHandler(captured: captured) }
        server[metadataKey: "feature"] = "echo"
        server.logLevel = .info
        let requestID = RequestID()
        var logger = RequestLogHandler.logger(server, requestID: requestID)
        logger.info("first", metadata: ["count": "1"])
        logger.debug("below the level")
        logger[metadataKey: "step"] = "two"
        logger.warning("second")

        #expect(
            captured.lines.withLock { $0 } == [
                "info first count=1 feature=echo hb.request.id=\(requestID)",
                "warning second feature=echo hb.request.id=\(requestID) step=two",
            ])
        #expect(logger[metadataKey: "hb.request.id"] == .stringConvertible(requestID))
        #expect(logger.logLevel == .info)
    }
}
