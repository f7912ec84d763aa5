import Foundation

/// A one-dimensional array parameter in PostgreSQL's text form (`{1,2,NULL}`,
/// `{"a b","c\"d"}`), for `unnest($1::text[])` and `= ANY($1)`: one bound parameter for many
/// values instead of a statement per value.
public struct PostgresArray: PostgresEncodable {
    let elements: [PostgresParameter]

    public init<Element: PostgresEncodable>(_ values: [Element]) {
        elements = values.map(\.postgresParameter)
    }

    public var postgresParameter: PostgresParameter {
        let items = elements.map { element -> String in
            switch element {
            case .null:
                return "NULL"
            case .text(let text):
                // By bytes: `"` and `\` are ASCII and never part of a longer UTF-8 sequence,
                // while a Character may join one with a combining mark that follows it.
                var quoted: [UInt8] = [UInt8(ascii: "\"")]
                quoted.reserveCapacity(text.utf8.count + 2)
                for byte in text.utf8 {
                    if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { quoted.append(UInt8(ascii: "\\")) }
                    quoted.append(byte)
                }
                quoted.append(UInt8(ascii: "\""))
                return String(decoding: quoted, as: UTF8.self)
            case .binary(let bytes):
                return "\"\\\\x" + bytes.map { String(format: "%02x", $0) }.joined() + "\""
            }
        }
        return .text("{" + items.joined(separator: ",") + "}")
    }
}
