/// Rows in `COPY ... FROM STDIN`'s text format: tab-separated, `\N` for NULL, with backslash,
/// tab, newline and carriage return escaped, so any value arrives verbatim.
enum CopyFormat {
    static func encode(_ rows: [[any PostgresEncodable]]) throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(rows.count * 16)
        for row in rows {
            for (index, value) in row.enumerated() {
                if index > 0 { out.append(UInt8(ascii: "\t")) }
                switch value.postgresParameter {
                case .null:
                    out.append(contentsOf: Array("\\N".utf8))
                case .text(let text):
                    guard !text.utf8.contains(0) else {
                        throw PostgresError.server(sqlState: "22021", message: "text values cannot contain NUL bytes")
                    }
                    appendEscaped(text.utf8, to: &out)
                case .binary(let bytes):
                    // bytea in hex input form, itself escaped for COPY: \\x....
                    out.append(contentsOf: Array("\\\\x".utf8))
                    for byte in bytes {
                        out.append(hexDigits[Int(byte >> 4)])
                        out.append(hexDigits[Int(byte & 0x0F)])
                    }
                }
            }
            out.append(UInt8(ascii: "\n"))
        }
        return out
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    private static func appendEscaped(_ text: String.UTF8View, to out: inout [UInt8]) {
        for byte in text {
            switch byte {
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case UInt8(ascii: "\t"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case UInt8(ascii: "\n"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case UInt8(ascii: "\r"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            default: out.append(byte)
            }
        }
    }
}
