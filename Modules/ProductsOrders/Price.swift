import FeatureKit
import SwitchyardJSON

/// A price in cents: exact, never binary floating point. Accepted as a JSON string or number
/// in plain decimal notation with at most 2 fraction digits; answered as a string with exactly
/// 2 ("5.00").
struct Price: Sendable, Equatable, Comparable {
    let cents: Int64

    /// The spec allows 0...10^16, but `numeric(18,2)` holds 16 integer digits at most, so the
    /// largest price is 9999999999999999.99.
    static let maximum = Price(cents: 999_999_999_999_999_999)

    init(cents: Int64) {
        self.cents = cents
    }

    /// Parses `123`, `123.4` or `123.45` (no sign, exponent, spaces or leading zeros).
    init?(text: String) {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let whole = parts[0]
        let fraction = parts.count > 1 ? parts[1] : ""
        guard (1...16).contains(whole.count), whole.allSatisfy(\.isASCIIDigit),
            whole == "0" || whole.first != "0",
            parts.count == 1 || (1...2).contains(fraction.count), fraction.allSatisfy(\.isASCIIDigit),
            let units = Int64(whole), let hundredths = Int64(fraction.padding(toLength: 2, withPad: "0", startingAt: 0))
        else { return nil }
        cents = units * 100 + hundredths
    }

    /// From a request field: a JSON string or a JSON number, read from its literal.
    init?(json: JSONValue) {
        switch json {
        case .string(let text), .number(let text): self.init(text: text)
        case .int(let value) where value >= 0: self.init(text: String(value))
        default: return nil
        }
    }

    var text: String {
        let (units, hundredths) = cents.quotientAndRemainder(dividingBy: 100)
        return "\(units)." + (hundredths < 10 ? "0" : "") + String(hundredths)
    }

    static func < (a: Price, b: Price) -> Bool { a.cents < b.cents }
}

extension Character {
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
