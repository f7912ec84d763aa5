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
                var quoted = "\""
                for character in text {
                    if character == "\"" || character == "\\" { quoted.append("\\") }
                    quoted.append(character)
                }
                return quoted + "\""
            case .binary(let bytes):
                return "\"\\\\x" + bytes.map { String(format: "%02x", $0) }.joined() + "\""
            }
        }
        return .text("{" + items.joined(separator: ",") + "}")
    }
}
