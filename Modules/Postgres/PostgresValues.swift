import Foundation
import SwitchyardCore

/// A value bound as a statement parameter, sent in PostgreSQL's text form (bytea as binary).
/// Parameters are always bound, never spliced into SQL.
public protocol PostgresEncodable: Sendable {
    var postgresParameter: PostgresParameter { get }
}

public enum PostgresParameter: Sendable, Equatable {
    case text(String)
    case binary([UInt8])
    case null
}

/// A type a column's text form can be decoded into.
public protocol PostgresDecodable {
    init(postgresText text: String) throws
}

extension String: PostgresEncodable, PostgresDecodable {
    public var postgresParameter: PostgresParameter { .text(self) }
    public init(postgresText text: String) { self = text }
}

extension Int: PostgresEncodable, PostgresDecodable {
    public var postgresParameter: PostgresParameter { .text(String(self)) }
    public init(postgresText text: String) throws { self = try parse(text, as: Int.self, Int.init) }
}

extension Int64: PostgresEncodable, PostgresDecodable {
    public var postgresParameter: PostgresParameter { .text(String(self)) }
    public init(postgresText text: String) throws { self = try parse(text, as: Int64.self, Int64.init) }
}

extension Int32: PostgresEncodable, PostgresDecodable {
    public var postgresParameter: PostgresParameter { .text(String(self)) }
    public init(postgresText text: String) throws { self = try parse(text, as: Int32.self, Int32.init) }
}

extension Double: PostgresEncodable, PostgresDecodable {
    public var postgresParameter: PostgresParameter {
        // PostgreSQL spells the non-finite values its own way.
        if isNaN { return .text("NaN") }
        if isInfinite { return .text(self > 0 ? "Infinity" : "-Infinity") }
        return .text("\(self)")
    }
    public init(postgresText text: String) throws { self = try parse(text, as: Double.self, Double.init) }
}

extension Bool: PostgresEncodable, PostgresDecodable {
    public var postgresParameter: PostgresParameter { .text(self ? "t" : "f") }
    public init(postgresText text: String) throws {
        switch text {
        case "t", "true": self = true
        case "f", "false": self = false
        default: throw PostgresError.decoding("'\(text)' is not a boolean")
        }
    }
}

/// Exact decimals (numeric) through Foundation's Decimal; never through binary floating point.
extension Decimal: PostgresEncodable, PostgresDecodable {
    public var postgresParameter: PostgresParameter { .text(description) }
    public init(postgresText text: String) throws {
        guard let value = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")) else {
            throw PostgresError.decoding("'\(text)' is not a decimal")
        }
        self = value
    }
}

extension UUID: PostgresEncodable, PostgresDecodable {
    public var postgresParameter: PostgresParameter { .text(uuidString.lowercased()) }
    public init(postgresText text: String) throws {
        guard let value = UUID(uuidString: text) else { throw PostgresError.decoding("'\(text)' is not a UUID") }
        self = value
    }
}

/// timestamptz. Sessions run with `DateStyle=ISO` and `TimeZone=UTC`, so the text form is fixed.
extension Date: PostgresEncodable, PostgresDecodable {
    /// Microsecond precision, PostgreSQL's own: rounded to a whole microsecond first, then
    /// split, so a fraction never rounds up to a seventh digit.
    public var postgresParameter: PostgresParameter {
        .text(iso8601(self))
    }

    /// PostgreSQL's UTC text form, `2026-11-26 21:52:36.123456+00` (fraction optional, up to
    /// six digits), read by hand: this runs once per row, and a Regex or a Calendar per call
    /// cost a page of 50 orders 6 ms of CPU.
    public init(postgresText text: String) throws {
        guard let microseconds = Self.utcMicroseconds(Array(text.utf8)) else {
            throw PostgresError.decoding("'\(text)' is not a UTC timestamp")
        }
        let (seconds, micros) = microseconds.quotientAndRemainder(dividingBy: 1_000_000)
        self.init(timeIntervalSince1970: Double(seconds) + Double(micros) / 1_000_000)
    }

    static func utcMicroseconds(_ bytes: [UInt8]) -> Int64? {
        func number(_ start: Int, _ count: Int) -> Int64? {
            guard start + count <= bytes.count else { return nil }
            var value: Int64 = 0
            for byte in bytes[start..<start + count] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int64(byte - UInt8(ascii: "0"))
            }
            return value
        }
        func byte(_ index: Int, is expected: Character) -> Bool { index < bytes.count && bytes[index] == expected.asciiValue }
        guard bytes.count >= 22, byte(4, is: "-"), byte(7, is: "-"), byte(10, is: " "), byte(13, is: ":"), byte(16, is: ":"),
            let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
            let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 60
        else { return nil }
        var index = 19
        var micros: Int64 = 0
        if byte(index, is: ".") {
            var digits = 0
            index += 1
            while index < bytes.count, digits < 6, let digit = number(index, 1) {
                micros = micros * 10 + digit
                digits += 1
                index += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<6 { micros *= 10 }
        }
        guard bytes.count == index + 3, byte(index, is: "+"), byte(index + 1, is: "0"), byte(index + 2, is: "0") else { return nil }
        let days = daysSinceEpoch(year: year, month: month, day: day)
        return ((days * 24 + hour) * 60 + minute) * 60_000_000 + second * 1_000_000 + micros
    }
}

/// bytea: sent binary, read from the server's hex text form (`\x0a1b...`).
extension Array: PostgresEncodable, PostgresDecodable where Element == UInt8 {
    public var postgresParameter: PostgresParameter { .binary(self) }
    public init(postgresText text: String) throws {
        guard text.hasPrefix("\\x"), text.utf8.count % 2 == 0 else {
            throw PostgresError.decoding("bytea is not in hex form")
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count / 2 - 1)
        var high: UInt8?
        for character in text.utf8.dropFirst(2) {
            guard let nibble = hexValue(character) else { throw PostgresError.decoding("bad hex in bytea") }
            if let first = high {
                bytes.append(first << 4 | nibble)
                high = nil
            } else {
                high = nibble
            }
        }
        self = bytes
    }
}

extension Optional: PostgresEncodable where Wrapped: PostgresEncodable {
    public var postgresParameter: PostgresParameter { self?.postgresParameter ?? .null }
}

private func hexValue(_ character: UInt8) -> UInt8? {
    switch character {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): character - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): character - UInt8(ascii: "A") + 10
    default: nil
    }
}

private func parse<T>(_ text: String, as type: T.Type, _ make: (String) -> T?) throws -> T {
    guard let value = make(text) else { throw PostgresError.decoding("'\(text)' is not a \(T.self)") }
    return value
}
