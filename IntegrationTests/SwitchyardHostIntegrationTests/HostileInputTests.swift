import FeatureKit
import Foundation
import Hummingbird
import HummingbirdTesting
import IntegrationSupport
import KnownFeatures
import SwitchyardHost
import SwitchyardJSON
import Testing
import UsersAPIStub

/// Every route of every feature fed hostile input through HTTP: each answer is a 4xx JSON
/// error envelope, and no store changes.
@Suite struct HostileInputTests {
    static let nasty: [String] = [
        "'; DROP TABLE orders; --", "\") redis.call('FLUSHALL') --", "../../etc/passwd", "..%2F..%2Fetc",
        "a\u{0}b", "\u{1}\u{1f}\u{7f}", "𝕏🚂é", String(repeating: "x", count: 5_000), "", " ",
    ]

    /// Bodies no route accepts: not JSON, not an object, too deep, too big.
    static let malformedBodies: [[UInt8]] = [
        Array("{".utf8), Array("[".utf8), Array("nul".utf8), Array("{\"a\":".utf8), Array("\"text\"".utf8),
        Array("12".utf8), Array("[]".utf8), Array("null".utf8), [0xFF, 0xFE, 0x00], Array("{\"a\":1}\u{0}".utf8),
        Array(String(repeating: "[", count: 10_000).utf8), Array("{\"a\":1e400}".utf8),
        Array("{\"a\":\"\\ud800\"}".utf8), Array(repeating: UInt8(ascii: "a"), count: 10 << 20),
    ]

    /// Typed fields of each body route, and values that are wrong for them.
    static let badValues: [JSONValue] = [
        .null, true, .int(-1), .int(Int64.max), .number("1e300"), .number("-0.5"), .number("123456789012345678901234567890"),
        [1, 2], ["nested": ["deeper": []]],
    ]

    func withServer(_ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let settings = ["ADMIN_TOKEN": "secret", "FEATURES_USER_POINTS_REFRESH_INTERVAL": "86400"]
        try await TestEnvironment.withEveryFeature(settings) { client in
            // The product the PATCH and order routes aim at.
            try await TestEnvironment.createProduct(client, id: "seeded", stock: 5)
            try await body(client)
        }
    }

    /// What every store holds, read through the public routes.
    static func snapshot(_ client: any TestClientProtocol) async throws -> [String] {
        var parts: [String] = []
        for uri in [
            "/path-stats/stats/", "/area-mode/areas", "/area-mode/stats/?area_code=101", "/products-orders/products?limit=500",
            "/products-orders/orders?limit=100", "/user-points/state",
        ] {
            parts.append(
                try await client.execute(uri: uri, method: .get) { response in
                    // next_refresh_at moves with the clock; everything else must not.
                    String(buffer: response.body).replacing(/"next_refresh_at":"[^"]*"/, with: "")
                })
        }
        return parts
    }

    static func expectClientError(
        _ client: any TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, body: [UInt8]? = nil,
        contentType: String? = "application/json", sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        var headers: HTTPFields = [:]
        if let contentType, body != nil { headers[.contentType] = contentType }
        try await client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(bytes: $0) }) { response in
            let label = "\(method) \(uri.prefix(80)) body \(body.map { String(decoding: $0.prefix(40), as: UTF8.self) } ?? "none")"
            #expect((400..<500).contains(response.status.code), "\(label): \(response.status)", sourceLocation: sourceLocation)
            let envelope = try? JSONValue(parsing: Array(response.body.readableBytesView))
            #expect(envelope?["error"]?.stringValue != nil, "\(label): not an error envelope", sourceLocation: sourceLocation)
        }
    }

    static let bodyRoutes: [(HTTPRequest.Method, String, JSONValue)] = [
        (.post, "/area-mode/events", ["items": [["area_code": 101, "multiplayer_mode": "Duo", "user_id": "u", "events_name": "LOGIN"]]]),
        (.post, "/products-orders/products", ["id": "p", "title": "t", "passenger_capacity": 1, "maximum_speed": 1, "in_stock": 1]),
        (.patch, "/products-orders/products/seeded", ["in_stock": 1]),
        (.post, "/products-orders/orders", ["order_details": [["product_id": "seeded", "price": "1.00", "quantity": 1]]]),
    ]

    @Test func malformedBodiesChangeNothing() async throws {
        try await withServer { client in
            let before = try await Self.snapshot(client)
            for (method, uri, template) in Self.bodyRoutes {
                // area-mode takes `[]` as an empty batch (README): 200, nothing changed.
                for body in Self.malformedBodies where !(uri == "/area-mode/events" && body == Array("[]".utf8)) {
                    try await Self.expectClientError(client, method, uri, body: body)
                }
                // Valid JSON under an explicit non-JSON type (415; with none at all it is read as JSON).
                let valid = template.encoded()
                try await Self.expectClientError(client, method, uri, body: valid, contentType: "text/plain")
                try await Self.expectClientError(client, method, uri, body: valid, contentType: "application/x-www-form-urlencoded")
            }
            #expect(try await Self.snapshot(client) == before)
        }
    }

    @Test func wrongValuesInEveryFieldChangeNothing() async throws {
        try await withServer { client in
            let before = try await Self.snapshot(client)
            for (method, uri, template) in Self.bodyRoutes {
                // An absent or null `items` is area-mode's empty batch (README): 200, nothing changed.
                for variant in Self.variants(of: template) where variant != ["items": nil] && variant != [:] {
                    try await Self.expectClientError(client, method, uri, body: variant.encoded())
                }
            }
            #expect(try await Self.snapshot(client) == before)
        }
    }

    @Test func hostilePathAndQueryParametersChangeNothing() async throws {
        try await withServer { client in
            let before = try await Self.snapshot(client)
            for text in Self.nasty + ["-1", "99999999999999999999", "1.5", "0x10", "%00", "%2e%2e%2f"] {
                let escaped = text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
                var uris = [
                    "/path-stats/stats/?limit=\(escaped)", "/path-stats/stats/?offset=\(escaped)",
                    "/area-mode/stats/?area_code=\(escaped)", "/achievement-level/users?level=\(escaped)",
                    "/products-orders/orders?cursor=\(escaped)", "/products-orders/orders?limit=\(escaped)",
                    "/products-orders/products?limit=\(escaped)",
                ]
                // An empty segment is another route (the list), not a hostile id.
                if !text.isEmpty {
                    uris += ["/achievement-level/users/\(escaped)", "/products-orders/orders/\(escaped)"]
                }
                if !text.isEmpty && !ProductsOrdersIDs.isValid(text) {
                    uris += ["/products-orders/products/\(escaped)", "/products-orders/products?cursor=\(escaped)"]
                }
                for uri in uris { try await Self.expectClientError(client, .get, uri) }
                if !text.isEmpty && !ProductsOrdersIDs.isValid(text) {
                    try await Self.expectClientError(client, .delete, "/products-orders/products/\(escaped)")
                }
            }
            // Admin routes without the token.
            for (method, uri) in [
                (HTTPRequest.Method.post, "/user-points/refresh"), (.post, "/path-stats/test/10/"), (.post, "/area-mode/generate_data/"),
            ] {
                try await Self.expectClientError(client, method, uri)
            }
            #expect(try await Self.snapshot(client) == before)
        }
    }

    /// The template with one field at a time (at any depth) replaced by a wrong value, plus
    /// unknown and missing fields.
    static func variants(of template: JSONValue) -> [JSONValue] {
        switch template {
        case .object(let fields):
            var out: [JSONValue] = []
            for (key, value) in fields {
                for replacement in badValues + nasty.prefix(3).map({ JSONValue.string($0) }) + variants(of: value)
                where replacement != value && !(key == "title" && replacement.stringValue != nil)
                    && !(key == "user_id" && replacement.stringValue.map { !$0.isEmpty && $0.count <= 128 } == true)
                {
                    var changed = fields
                    changed[key] = replacement
                    out.append(.object(changed))
                }
                var missing = fields
                missing[key] = nil
                if !missing.isEmpty { out.append(.object(missing)) }
            }
            return out
        case .array(let items) where !items.isEmpty:
            return variants(of: items[0]).map { .array([$0]) }
        default:
            return []
        }
    }
}

/// Mirrors the products-orders id rule so the test knows which path segments are well-formed.
enum ProductsOrdersIDs {
    static func isValid(_ text: String) -> Bool { text.wholeMatch(of: /[A-Za-z0-9_.-]{1,128}/) != nil }
}
