import FeatureKit
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import SwitchyardCore
import SwitchyardJSON
import Synchronization

/// Route tests without a database: a feature's routes under `prefix` on a router with the
/// host's error envelope, for `app.test(.router)` over in-memory stores.
public func routeTestApplication(
    prefix: String, _ addRoutes: (RouterGroup<AppRequestContext>) -> Void
) -> some ApplicationProtocol {
    let router = Router(context: AppRequestContext.self)
    router.add(middleware: ErrorEnvelopeMiddleware())
    addRoutes(router.group(RouterPath(prefix)))
    return Application(router: router)
}

extension TestResponse {
    public var json: JSONValue? { try? JSONValue(parsing: Array(body.readableBytesView)) }
    public var text: String { String(buffer: body) }
}

public let jsonHeaders: HTTPFields = [.contentType: "application/json"]

extension TestClientProtocol {
    /// Sends `body` as JSON (nothing when nil) and returns the status and the answer's JSON
    /// (null when it is not JSON).
    public func json(
        _ method: HTTPRequest.Method, _ uri: String, _ body: String? = nil, headers: HTTPFields = [:]
    ) async throws -> (HTTPResponse.Status, JSONValue) {
        var fields = headers
        if body != nil, fields[.contentType] == nil { fields[.contentType] = "application/json" }
        return try await execute(uri: uri, method: method, headers: fields, body: body.map { ByteBuffer(string: $0) }) {
            ($0.status, $0.json ?? .null)
        }
    }
}

/// A clock the test moves by hand.
public final class ManualClock: Sendable {
    private let current: Mutex<Date>

    public init(_ start: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        current = Mutex(start)
    }

    public func advance(by seconds: TimeInterval) {
        current.withLock { $0 += seconds }
    }

    public var wallClock: WallClock { WallClock { self.current.withLock { $0 } } }
}
