import Foundation

/// `2020-07-30T17:09:33.123456Z`: UTC with microseconds, the form every feature answers with.
/// Computed directly (days to civil date) because Foundation's format styles are slow enough to
/// show in profiles of hot routes, and they stop at milliseconds.
public func iso8601(microseconds: Int64) -> String {
    let (seconds, micros) = floorDivide(microseconds, 1_000_000)
    let (days, secondOfDay) = floorDivide(seconds, 86_400)
    let (year, month, day) = civilDate(daysSinceEpoch: days)
    var out: [UInt8] = []
    out.reserveCapacity(27)
    appendPadded(year, 4, to: &out)
    out.append(UInt8(ascii: "-"))
    appendPadded(month, 2, to: &out)
    out.append(UInt8(ascii: "-"))
    appendPadded(day, 2, to: &out)
    out.append(UInt8(ascii: "T"))
    appendTime(secondOfDay, to: &out)
    out.append(UInt8(ascii: "."))
    appendPadded(micros, 6, to: &out)
    out.append(UInt8(ascii: "Z"))
    return String(decoding: out, as: UTF8.self)
}

public func iso8601(_ date: Date) -> String {
    iso8601(microseconds: Int64((date.timeIntervalSince1970 * 1_000_000).rounded()))
}

/// `Thu, 03 Dec 2026 19:18:38 GMT`: the form of an HTTP `Date` header (RFC 9110), computed
/// directly for the same reason.
public func httpDate(secondsSinceEpoch seconds: Int64) -> String {
    let (days, secondOfDay) = floorDivide(seconds, 86_400)
    let (year, month, day) = civilDate(daysSinceEpoch: days)
    var out: [UInt8] = []
    out.reserveCapacity(29)
    out.append(contentsOf: ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][Int(floorDivide(days, 7).1)].utf8)
    out.append(contentsOf: ", ".utf8)
    appendPadded(day, 2, to: &out)
    out.append(UInt8(ascii: " "))
    out.append(contentsOf: ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][Int(month - 1)].utf8)
    out.append(UInt8(ascii: " "))
    appendPadded(year, 4, to: &out)
    out.append(UInt8(ascii: " "))
    appendTime(secondOfDay, to: &out)
    out.append(contentsOf: " GMT".utf8)
    return String(decoding: out, as: UTF8.self)
}

/// `hh:mm:ss` of a second of the day.
private func appendTime(_ secondOfDay: Int64, to out: inout [UInt8]) {
    appendPadded(secondOfDay / 3600, 2, to: &out)
    out.append(UInt8(ascii: ":"))
    appendPadded(secondOfDay / 60 % 60, 2, to: &out)
    out.append(UInt8(ascii: ":"))
    appendPadded(secondOfDay % 60, 2, to: &out)
}

private func floorDivide(_ value: Int64, _ divisor: Int64) -> (Int64, Int64) {
    let remainder = value % divisor
    return remainder < 0 ? (value / divisor - 1, remainder + divisor) : (value / divisor, remainder)
}

/// Proleptic Gregorian date of a day count from 1970-01-01, by 400-year eras (146,097 days each)
/// starting on March 1st so the leap day falls at the end of a year.
private func civilDate(daysSinceEpoch: Int64) -> (Int64, Int64, Int64) {
    let shifted = daysSinceEpoch + 719_468  // days from 0000-03-01
    let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
    let dayOfEra = shifted - era * 146_097
    let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
    let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
    let monthFromMarch = (5 * dayOfYear + 2) / 153
    let day = dayOfYear - (153 * monthFromMarch + 2) / 5 + 1
    let month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9
    return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
}

/// Days from 1970-01-01 to a proleptic Gregorian date: the inverse of `civilDate`.
public func daysSinceEpoch(year: Int64, month: Int64, day: Int64) -> Int64 {
    let marchYear = month <= 2 ? year - 1 : year
    let era = (marchYear >= 0 ? marchYear : marchYear - 399) / 400
    let yearOfEra = marchYear - era * 400
    let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
    let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
    return era * 146_097 + dayOfEra - 719_468
}

/// `value` in decimal, at least `width` digits (zeros in front), a year before 0 with its `-`.
/// Bytes instead of strings: a timestamp in every user-points answer (string concatenation cost
/// 7,800 instructions a timestamp).
private func appendPadded(_ value: Int64, _ width: Int, to out: inout [UInt8]) {
    if value < 0 { out.append(UInt8(ascii: "-")) }
    let magnitude = value.magnitude
    var divisor: UInt64 = 1
    var digits = 1
    while digits < width || magnitude / divisor >= 10 {
        divisor *= 10
        digits += 1
    }
    while divisor > 0 {
        out.append(UInt8(ascii: "0") + UInt8(magnitude / divisor % 10))
        divisor /= 10
    }
}
