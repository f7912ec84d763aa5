import FeatureKit
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import SwitchyardHost

@Suite struct ErrorEnvelopeTests {
    @Test func unknownRouteIsJSON404() async throws {
        try await makeServer().application.test(.router) { client in
            try await client.execute(uri: "/no/such/route", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
                #expect(response.json?["error"] == "NOT_FOUND")
            }
        }
    }

    @Test func wrongMethodIs405WithAllow() async throws {
        try await makeServer().application.test(.router) { client in
            try await client.execute(uri: "/echo/items", method: .get) { response in
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.allow] == "POST")
                #expect(response.json?["error"] == "METHOD_NOT_ALLOWED")
            }
            try await client.execute(uri: "/health", method: .delete) { response in
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.allow] == "GET")
            }
        }
    }

    @Test func validationReportsEveryBadField() async throws {
        try await makeServer().application.test(.router) { client in
            try await client.execute(
                uri: "/echo/items", method: .post, headers: jsonHeaders,
                body: jsonBody(#"{"name": "", "quantity": 11}"#)
            ) { response in
                #expect(response.status == .badRequest)
                #expect(
                    response.json == [
                        "error": "VALIDATION_ERROR", "message": "2 fields are invalid.",
                        "details": [
                            ["field": "name", "message": "must have 1 to 20 characters, got 0"],
                            ["field": "quantity", "message": "must be from 1 to 10, got 11"],
                        ],
                    ])
            }
        }
    }

    @Test func missingAndMistypedFieldsAreNamed() async throws {
        try await makeServer().application.test(.router) { client in
            try await client.execute(
                uri: "/echo/items", method: .post, headers: jsonHeaders, body: jsonBody(#"{"quantity": "3"}"#)
            ) { response in
                #expect(
                    response.json?["details"] == [
                        ["field": "name", "message": "is required"],
                        ["field": "quantity", "message": "must be an integer, got string"],
                    ])
            }
            try await client.execute(
                uri: "/echo/items", method: .post, headers: jsonHeaders, body: jsonBody("[1, 2]")
            ) { response in
                #expect(response.json?["details"] == [["field": "body", "message": "must be an object, got array"]])
            }
        }
    }

    @Test func malformedJSONIsBadRequestAndANonJSONTypeIs415() async throws {
        try await makeServer().application.test(.router) { client in
            try await client.execute(
                uri: "/echo/items", method: .post, headers: jsonHeaders, body: jsonBody(#"{"name": "#)
            ) { response in
                #expect(response.status == .badRequest)
                #expect(response.json?["error"] == "BAD_REQUEST")
            }
            for type in ["text/plain", "application/x-www-form-urlencoded"] {
                try await client.execute(
                    uri: "/echo/items", method: .post, headers: [.contentType: type], body: jsonBody(#"{"name": "a", "quantity": 1}"#)
                ) { response in
                    #expect(response.status == .unsupportedMediaType)
                    #expect(response.json?["error"] == "UNSUPPORTED_MEDIA_TYPE")
                    #expect(response.json?["message"] == .string("Content-Type must be application/json, not \(type)."))
                }
            }
        }
    }

    /// A body with no Content-Type is read as JSON (as FastAPI does); so is a `+json` type.
    @Test func noContentTypeOrAPlusJSONTypeIsReadAsJSON() async throws {
        try await makeServer().application.test(.router) { client in
            for headers: HTTPFields in [[:], [.contentType: "application/merge-patch+json"], [.contentType: "Application/JSON; charset=utf-8"]] {
                try await client.execute(
                    uri: "/echo/items", method: .post, headers: headers, body: jsonBody(#"{"name": "a", "quantity": 1}"#)
                ) { response in
                    #expect(response.status.code / 100 == 2, "\(headers)")
                }
            }
        }
    }

    @Test func bodyOverTheCapIs413() async throws {
        let server = try await makeServer(environment: ["HTTP_MAX_BODY_SIZE": "2048"])
        let big = #"{"name": "a", "quantity": 1, "pad": ""# + String(repeating: "x", count: 4096) + #""}"#
        try await server.application.test(.router) { client in
            try await client.execute(uri: "/echo/items", method: .post, headers: jsonHeaders, body: jsonBody(big)) {
                response in
                #expect(response.status == .contentTooLarge)
                #expect(response.json?["error"] == "PAYLOAD_TOO_LARGE")
            }
            try await client.execute(
                uri: "/echo/items", method: .post, headers: jsonHeaders, body: jsonBody(#"{"name": "a", "quantity": 1}"#)
            ) { response in
                #expect(response.status == .created)
            }
        }
    }

    @Test func adminRoutesNeedTheBearerTokenWhenOneIsSet() async throws {
        let server = try await makeServer(environment: ["ADMIN_TOKEN": "t0ken"])
        try await server.application.test(.router) { client in
            try await client.execute(uri: "/echo/admin/reset", method: .post) { response in
                #expect(response.status == .unauthorized)
                #expect(response.json?["error"] == "UNAUTHORIZED")
            }
            try await client.execute(
                uri: "/echo/admin/reset", method: .post, headers: [.authorization: "Bearer wrong"]
            ) { response in
                #expect(response.status == .unauthorized)
            }
            try await client.execute(
                uri: "/echo/admin/reset", method: .post, headers: [.authorization: "Bearer t0ken"]
            ) { response in
                #expect(response.status == .ok)
            }
        }
        try await makeServer().application.test(.router) { client in
            try await client.execute(uri: "/echo/admin/reset", method: .post) { response in
                #expect(response.status == .ok)
            }
        }
    }
}
