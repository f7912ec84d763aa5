/// A feature's part of `/dashboard`: a title and server-rendered HTML built with `HTML`.
public struct DashboardSection: Sendable {
    public var title: String
    public var body: String

    public init(title: String, body: String) {
        self.title = title
        self.body = body
    }
}

/// Small builders for the dashboard's HTML: text is always escaped, numbers carry a
/// `data-metric` name so the page can be checked (and scraped) without parsing prose.
public enum HTML {
    /// Escapes by UTF-8 bytes: the five characters are ASCII and never part of a longer
    /// sequence, while a Character may join one with a combining mark that follows it
    /// (`"` + U+0301 is one Character, and is no `"` to a per-Character switch).
    public static func escape(_ text: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "&"): out += Array("&amp;".utf8)
            case UInt8(ascii: "<"): out += Array("&lt;".utf8)
            case UInt8(ascii: ">"): out += Array("&gt;".utf8)
            case UInt8(ascii: "\""): out += Array("&quot;".utf8)
            case UInt8(ascii: "'"): out += Array("&#39;".utf8)
            default: out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `label: value` with the value marked as metric `name`.
    public static func figure(_ label: String, _ value: String, metric name: String) -> String {
        "<p class=\"figure\">\(escape(label)): <strong data-metric=\"\(escape(name))\">\(escape(value))</strong></p>"
    }

    /// A horizontal bar chart as inline SVG; each bar carries its label and value as data
    /// attributes.
    public static func barChart(_ bars: [(label: String, value: Int64)], metric name: String) -> String {
        guard let top = bars.map(\.value).max(), top > 0 else { return "<p class=\"empty\">No data yet.</p>" }
        let rowHeight = 22, labelWidth = 260, barWidth = 360
        var svg =
            "<svg class=\"bars\" data-metric=\"\(escape(name))\" width=\"\(labelWidth + barWidth + 80)\" height=\"\(bars.count * rowHeight)\" role=\"img\">"
        for (index, bar) in bars.enumerated() {
            let y = index * rowHeight
            let width = max(1, Int(Double(bar.value) / Double(top) * Double(barWidth)))
            let label = escape(bar.label.count > 40 ? String(bar.label.prefix(39)) + "…" : bar.label)
            svg += "<g class=\"bar\" data-label=\"\(escape(bar.label))\" data-value=\"\(bar.value)\">"
            svg += "<text x=\"0\" y=\"\(y + 15)\">\(label)</text>"
            svg += "<rect x=\"\(labelWidth)\" y=\"\(y + 4)\" width=\"\(width)\" height=\"14\"></rect>"
            svg += "<text x=\"\(labelWidth + width + 6)\" y=\"\(y + 15)\">\(bar.value)</text></g>"
        }
        return svg + "</svg>"
    }

    /// A table of escaped text cells; `metric` names each row's cells for checking.
    public static func table(_ headers: [String], _ rows: [[String]], metric name: String) -> String {
        guard !rows.isEmpty else { return "<p class=\"empty\">No data yet.</p>" }
        var html = "<table data-metric=\"\(escape(name))\"><thead><tr>"
        html += headers.map { "<th>\(escape($0))</th>" }.joined() + "</tr></thead><tbody>"
        for row in rows {
            html += "<tr>" + row.map { "<td>\(escape($0))</td>" }.joined() + "</tr>"
        }
        return html + "</tbody></table>"
    }
}
