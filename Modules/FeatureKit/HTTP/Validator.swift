import SwitchyardJSON

/// Collects every field error of one request so the client hears about all of them at once.
///
///     var validator = Validator()
///     let name = validator.string(body, "name", maxLength: 200)
///     let stock = validator.int(body, "stock", in: 0...1_000_000)
///     try validator.finish()   // throws VALIDATION_ERROR with all details
public struct Validator: Sendable {
    public private(set) var errors: [FieldError] = []

    public init() {}

    public mutating func fail(_ field: String, _ message: String) {
        errors.append(FieldError(field: field, message: message))
    }

    /// Records `message` for `field` unless `condition` holds; returns `condition`.
    @discardableResult
    public mutating func check(_ condition: Bool, _ field: String, _ message: @autoclosure () -> String) -> Bool {
        if !condition { fail(field, message()) }
        return condition
    }

    /// Throws `VALIDATION_ERROR` listing every recorded field error, if there is any.
    public func finish() throws {
        if !errors.isEmpty { throw APIError.validation(errors) }
    }

    /// The request body must be a JSON object; nothing else can be checked if it is not.
    public mutating func body(_ value: JSONValue) throws -> [String: JSONValue] {
        guard let fields = object(value) else {
            try finish()
            return [:]
        }
        return fields
    }

    /// A nested value must be a JSON object; records an error on `field` (use "" for the body).
    public mutating func object(_ value: JSONValue?, field: String = "") -> [String: JSONValue]? {
        guard case .object(let fields) = value else {
            fail(field.isEmpty ? "body" : field, "must be an object, got \(value?.typeName ?? "nothing")")
            return nil
        }
        return fields
    }

    public mutating func string(
        _ object: [String: JSONValue], _ key: String, path: String? = nil,
        required: Bool = true, length: ClosedRange<Int> = 1...1024, maxBytes: Int? = nil
    ) -> String? {
        let field = path ?? key
        guard let value = present(object, key, field: field, required: required) else { return nil }
        guard case .string(let text) = value else {
            fail(field, "must be a string, got \(value.typeName)")
            return nil
        }
        guard length.contains(text.count) else {
            fail(field, "must have \(length.lowerBound) to \(length.upperBound) characters, got \(text.count)")
            return nil
        }
        // What storage sees is bytes: a character may carry any number of combining marks, so
        // the limit is also `maxBytes` of UTF-8 (by default what the characters allowed take
        // at 4 bytes each), which keeps every stored key within PostgreSQL's index row size.
        let bytes = text.utf8.count
        guard bytes <= (maxBytes ?? length.upperBound * 4) else {
            fail(field, "must be at most \(maxBytes ?? length.upperBound * 4) bytes of UTF-8, got \(bytes)")
            return nil
        }
        return text
    }

    public mutating func int(
        _ object: [String: JSONValue], _ key: String, path: String? = nil,
        required: Bool = true, in range: ClosedRange<Int64>
    ) -> Int64? {
        let field = path ?? key
        guard let value = present(object, key, field: field, required: required) else { return nil }
        let number: Int64
        switch value {
        case .int(let integer):
            number = integer
        case .number(let text) where Double(text).map { $0.rounded() == $0 && abs($0) < 9.2e18 } == true:
            number = Int64(Double(text)!)
        case .number:
            fail(field, "must be an integer from \(range.lowerBound) to \(range.upperBound)")
            return nil
        default:
            fail(field, "must be an integer, got \(value.typeName)")
            return nil
        }
        guard range.contains(number) else {
            fail(field, "must be from \(range.lowerBound) to \(range.upperBound), got \(number)")
            return nil
        }
        return number
    }

    public mutating func bool(
        _ object: [String: JSONValue], _ key: String, path: String? = nil, required: Bool = true
    ) -> Bool? {
        let field = path ?? key
        guard let value = present(object, key, field: field, required: required) else { return nil }
        guard case .bool(let flag) = value else {
            fail(field, "must be a boolean, got \(value.typeName)")
            return nil
        }
        return flag
    }

    /// Returns the value when present and not null; records "is required" when it must be there.
    private mutating func present(
        _ object: [String: JSONValue], _ key: String, field: String, required: Bool
    ) -> JSONValue? {
        switch object[key] {
        case .none, .some(.null):
            if required { fail(field, "is required") }
            return nil
        case .some(let value):
            return value
        }
    }
}
