import Foundation

/// The counted key of a hit: the raw path after `/api/`, leading and trailing `/` removed and
/// runs of `/` collapsed. Percent-escapes stay as received.
enum PathKey {
    static let maximumBytes = 2048

    enum Problem: Error, Equatable {
        case empty
        case tooLong(bytes: Int)
    }

    /// `rawPath` is everything after `/api` in the request path, query string excluded.
    static func normalize(_ rawPath: Substring) -> Result<String, Problem> {
        // One pass over the bytes (a hit's hot path; splitting into substrings and joining
        // them cost ten times as much): a `/` is kept only between two segments.
        var key: [UInt8] = []
        key.reserveCapacity(rawPath.utf8.count)
        var slashPending = false
        for byte in rawPath.utf8 {
            if byte == UInt8(ascii: "/") {
                slashPending = !key.isEmpty
            } else {
                if slashPending { key.append(UInt8(ascii: "/")) }
                slashPending = false
                key.append(byte)
            }
        }
        if key.isEmpty { return .failure(.empty) }
        if key.count > maximumBytes { return .failure(.tooLong(bytes: key.count)) }
        return .success(String(decoding: key, as: UTF8.self))
    }
}

extension PathKey {
    /// The original profile's key: the whole request path (`/api/hello/world/`), percent-decoded,
    /// slashes kept, so `/api/a` and `/api/a/` are two keys. Its own sorted set (README).
    static func exact(_ requestPath: Substring) -> Result<String, Problem> {
        let decoded = String(requestPath).removingPercentEncoding ?? String(requestPath)
        if decoded.utf8.count > maximumBytes { return .failure(.tooLong(bytes: decoded.utf8.count)) }
        return .success(decoded)
    }
}
