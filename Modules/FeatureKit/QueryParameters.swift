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

/// A JSON string literal, escaped by hand: hot paths write many small documents and this avoids
/// a JSONEncoder per value.
public func jsonQuoted(_ text: String) -> String {
    var out = "\""
    out.reserveCapacity(text.utf8.count + 2)
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case _ where scalar.value < 0x20:
            out += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
                + String(scalar.value, radix: 16)
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}
