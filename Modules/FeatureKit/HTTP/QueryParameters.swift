import Hummingbird

extension Request {
    /// An optional integer query parameter: 400 `BAD_REQUEST` when it is not an integer,
    /// 400 `VALIDATION_ERROR` when it is out of `range`.
    public func queryInt(_ name: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let text = uri.queryParameters[Substring(name)] else { return nil }
        return try parseInt(String(text), field: name, in: range)
    }
}

/// Parses a path or query integer with the spec's error mapping.
public func parseInt(_ text: String, field: String, in range: ClosedRange<Int>) throws -> Int {
    guard let value = Int(text) else {
        throw APIError.badRequest("\(field) must be an integer, got '\(text.prefix(64))'.")
    }
    guard range.contains(value) else {
        throw APIError.validation([
            FieldError(field: field, message: "must be from \(range.lowerBound) to \(range.upperBound), got \(value)")
        ])
    }
    return value
}
