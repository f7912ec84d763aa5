import Foundation

/// What can go wrong with an outgoing request.
public enum HTTPClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The host could not be resolved or refused the connection.
    case connectionFailed(String)
    /// No complete response within the request's timeout.
    case timeout
    /// Another transport failure (TLS, reset, malformed response), with libcurl's words.
    case transport(code: Int, message: String)
    /// The body was not the JSON the caller asked for.
    case invalidJSON(String)
    /// The client was shut down before the request finished.
    case shutdown
    /// The response body grew past the client's `maxBodySize`; the transfer was stopped there.
    case bodyTooLarge(limit: Int)

    public var description: String {
        switch self {
        case .connectionFailed(let reason): "connection failed: \(reason)"
        case .timeout: "request timed out"
        case .transport(let code, let message): "transfer failed (\(code)): \(message)"
        case .invalidJSON(let reason): "invalid JSON in response: \(reason)"
        case .shutdown: "HTTP client shut down"
        case .bodyTooLarge(let limit): "response body over the \(limit)-byte limit"
        }
    }

    /// Failures a retry may cure.
    var isTransient: Bool {
        switch self {
        case .connectionFailed, .timeout, .transport: true
        case .invalidJSON, .shutdown, .bodyTooLarge: false
        }
    }
}

/// A complete response: status, headers of the final response, body.
public struct HTTPClientResponse: Sendable {
    public let status: Int
    public let headers: [(name: String, value: String)]
    public let body: [UInt8]

    /// The first header of that name, case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }
}
