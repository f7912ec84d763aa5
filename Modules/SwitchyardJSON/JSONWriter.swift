import Foundation

/// JSON output written by hand: every response goes through here, and `JSONEncoder` (Codable
/// boxing, a container per value) cost a seventh of the server's CPU on small answers.
extension JSONValue {
    /// Compact, with sorted keys so documents are byte-stable.
    public func encoded() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(128)
        write(to: &out)
        return out
    }

    public func write(to out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let value): out.append(contentsOf: (value ? "true" : "false").utf8)
        case .int(let value): writeDecimal(value, to: &out)
        case .number(let literal): out.append(contentsOf: literal.utf8)
        case .string(let value): writeQuoted(value, to: &out)
        case .array(let values):
            out.append(UInt8(ascii: "["))
            for (index, value) in values.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                value.write(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let fields):
            out.append(UInt8(ascii: "{"))
            // The pairs sorted once: no lookup per key afterwards.
            for (index, field) in fields.sorted(by: { $0.key < $1.key }).enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                writeQuoted(field.key, to: &out)
                out.append(UInt8(ascii: ":"))
                field.value.write(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }
}

/// A JSON string literal.
public func jsonQuoted(_ text: String) -> String {
    var out: [UInt8] = []
    out.reserveCapacity(text.utf8.count + 2)
    writeQuoted(text, to: &out)
    return String(decoding: out, as: UTF8.self)
}

/// `value` in decimal, its digits written straight into `out` (no string made for it).
private func writeDecimal(_ value: Int64, to out: inout [UInt8]) {
    if value < 0 { out.append(UInt8(ascii: "-")) }
    var magnitude = value.magnitude
    let start = out.count
    repeat {
        out.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
        magnitude /= 10
    } while magnitude > 0
    out[start...].reverse()
}

/// Hex digits of `\u00XX` escapes, made once: this runs for every string of every answer.
private let hexDigits = Array("0123456789abcdef".utf8)

/// `text` as a JSON string appended to `out`: quotes, backslashes and control characters
/// escaped, everything else copied as UTF-8.
public func writeQuoted(_ text: String, to out: inout [UInt8]) {
    var text = text
    text.withUTF8 { writeQuoted(utf8: $0, to: &out) }
}

/// The bytes between escapes are copied a run at a time: most strings are one run.
private func writeQuoted(utf8 bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
    out.append(UInt8(ascii: "\""))
    var run = 0
    for index in bytes.indices {
        let byte = bytes[index]
        guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[run..<index]))
        out.append(UInt8(ascii: "\\"))
        switch byte {
        case UInt8(ascii: "\n"): out.append(UInt8(ascii: "n"))
        case UInt8(ascii: "\r"): out.append(UInt8(ascii: "r"))
        case UInt8(ascii: "\t"): out.append(UInt8(ascii: "t"))
        case 0..<0x20:
            out.append(contentsOf: "u00".utf8)
            out.append(hexDigits[Int(byte >> 4)])
            out.append(hexDigits[Int(byte & 0xF)])
        default: out.append(byte)
        }
        run = index + 1
    }
    out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[run...]))
    out.append(UInt8(ascii: "\""))
}
