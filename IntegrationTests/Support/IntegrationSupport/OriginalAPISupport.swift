import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import SwitchyardJSON
import Testing

/// One feature alone at `/` under `api=original`, as a deployment replacing that original runs it.
package enum OriginalAPI {
    package static let curl: HTTPFields = [.userAgent: "curl/7.88.1", .accept: "*/*"]
    package static let curlForm: HTTPFields = [.userAgent: "curl/7.88.1", .accept: "*/*", .contentType: "application/x-www-form-urlencoded"]
    package static let browser: HTTPFields = [.accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"]

    package static func withFeature(
        _ id: String, _ environment: [String: String] = [:], mode: HummingbirdTesting.TestingSetup = .router,
        _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void
    ) async throws {
        let key = "FEATURES_" + id.uppercased().replacingOccurrences(of: "-", with: "_")
        try await TestEnvironment.withEveryFeature(
            ["FEATURES": id, key + "_API": "original", key + "_PREFIX": "/"].merging(environment) { _, new in new }, mode: mode, body)
    }

    /// Status, headers' Content-Type, and the body as text.
    package static func send(
        _ client: any TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, _ body: String? = nil,
        headers: HTTPFields = curl
    ) async throws -> (status: HTTPResponse.Status, contentType: String?, text: String) {
        try await client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }) {
            ($0.status, $0.headers[.contentType], String(buffer: $0.body))
        }
    }

    package static func json(
        _ client: any TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, _ body: String? = nil,
        headers: HTTPFields = curl
    ) async throws -> (status: HTTPResponse.Status, body: JSONValue) {
        let answer = try await send(client, method, uri, body, headers: headers)
        return (answer.status, (try? JSONValue(parsing: Array(answer.text.utf8))) ?? .null)
    }

    /// The operational routes stay where they are, and `/openapi.json` describes the original.
    package static func checkOperationalRoutes(_ client: any TestClientProtocol, documents paths: [String]) async throws {
        for uri in ["/health", "/ready", "/metrics", "/features"] {
            #expect(try await send(client, .get, uri).status == .ok, "\(uri)")
        }
        let (status, document) = try await json(client, .get, "/openapi.json")
        #expect(status == .ok)
        for path in paths { #expect(document["paths"]?[path] != nil, "\(path) not in /openapi.json") }
    }
}
