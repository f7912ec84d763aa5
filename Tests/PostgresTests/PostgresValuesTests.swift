import Foundation
import SwitchyardCore
import Testing

@testable import Postgres

@Suite struct TimestampParameterTests {
    /// Splits `2026-11-26T21:52:36.123456Z` into whole seconds (read by Foundation) and the digits after the point.
    static func parse(_ text: String) -> (seconds: Int64, fraction: Substring)? {
        guard let dot = text.firstIndex(of: "."), text.hasSuffix("Z") else { return nil }
        let style = Date.ISO8601FormatStyle(timeZone: .gmt).year().month().day().time(includingFractionalSeconds: false)
        guard let whole = try? style.parse(String(text[..<dot]) + "Z") else { return nil }
        return (Int64(whole.timeIntervalSince1970), text[text.index(after: dot)..<text.index(before: text.endIndex)])
    }

    /// 100,000 random instants, half of them a hair below a whole second: the parameter is the
    /// instant rounded to a microsecond, with exactly six fraction digits.
    @Test func fractionsNeverRoundIntoASeventhDigit() throws {
        let random = RandomSource.seeded(11)
        for index in 0..<100_000 {
            let whole = Double(random.int(in: -2_000_000_000...4_000_000_000))
            let fraction =
                index.isMultiple(of: 2)
                ? 0.999_999_5 + Double(random.int(in: 0...4_999)) / 1e10 : Double(random.int(in: 0...999_999_999)) / 1e9
            let date = Date(timeIntervalSince1970: whole + fraction)
            guard case .text(let text) = date.postgresParameter, let parsed = Self.parse(text) else {
                Issue.record("not an ISO 8601 UTC timestamp: \(date.postgresParameter)")
                return
            }
            #expect(parsed.fraction.count == 6, "\(text)")
            let micros = Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
            #expect(parsed.seconds * 1_000_000 + (Int64(parsed.fraction) ?? -1) == micros, "\(text) for \(date.timeIntervalSince1970)")
        }
    }
}

/// `timestamptz` as PostgreSQL writes it in UTC, read back by hand.
@Suite struct TimestampTextTests {
    static func read(_ text: String) throws -> String { iso8601(try Date(postgresText: text)) }

    @Test func readsPostgresUTCForms() throws {
        #expect(try Self.read("2026-11-26 21:52:36.123456+00") == "2026-11-26T21:52:36.123456Z")
        #expect(try Self.read("2000-02-29 00:00:00.5+00") == "2000-02-29T00:00:00.500000Z")
        #expect(try Self.read("1969-12-31 23:59:59+00") == "1969-12-31T23:59:59.000000Z")
        #expect(try Self.read("1900-03-01 12:00:00.000001+00") == "1900-03-01T12:00:00.000001Z")
    }

    @Test func rejectsAnythingElse() {
        for text in [
            "2026-11-26T21:52:36Z", "2026-11-26 21:52:36+01", "2026-13-01 00:00:00+00", "2026-11-26 21:52:36.+00",
            "2026-11-26 21:52:36.1234567+00", "2026-11-26 24:00:00+00", "2026-11-26 21:52:36", "", "12345-01-01 00:00:00+00",
        ] {
            #expect(throws: PostgresError.self, "\(text)") { try Date(postgresText: text) }
        }
    }

    /// 100,000 random instants from 1906 to 2096: written as PostgreSQL writes them, read back.
    @Test func roundTripsEveryInstant() throws {
        let random = RandomSource.seeded(5)
        for _ in 0..<100_000 {
            let micros = Int64(random.int(in: -2_000_000_000...4_000_000_000)) * 1_000_000 + Int64(random.int(in: 0...999_999))
            let written = iso8601(microseconds: micros)
            let postgres = written.replacingOccurrences(of: "T", with: " ").replacingOccurrences(of: "Z", with: "+00")
            #expect(try Self.read(postgres) == written)
        }
    }
}

@Suite struct ConnectionStringTests {
    @Test func theStringsOwnParametersWinAndOptionsJoin() throws {
        let configuration = try PostgresConfiguration(
            url: "postgres://app@/db?host=/run/postgresql&connect_timeout=9&application_name=billing&options=-c%20search_path%3Dx",
            statementTimeout: .seconds(3))
        let parameters = Dictionary(uniqueKeysWithValues: configuration.connectionParameters().map { ($0.keyword, $0.value) })
        #expect(parameters["host"] == "/run/postgresql")
        #expect(parameters["dbname"] == "db")
        #expect(parameters["connect_timeout"] == "9")
        #expect(parameters["application_name"] == "billing")
        #expect(
            parameters["options"]
                == "-c DateStyle=ISO -c TimeZone=UTC -c client_encoding=UTF8 -c statement_timeout=3000 -c jit=off -c search_path=x")
    }

    @Test func defaultsFillWhatTheStringLeavesOut() throws {
        let parameters = Dictionary(
            uniqueKeysWithValues: try PostgresConfiguration(url: "host=db user=app").connectionParameters().map { ($0.keyword, $0.value) })
        #expect(parameters["connect_timeout"] == "5")
        #expect(parameters["application_name"] == "switchyard")
        #expect(parameters["keepalives"] == "1" && parameters["keepalives_idle"] == "10" && parameters["tcp_user_timeout"] == "10000")
        let tuned = Dictionary(
            uniqueKeysWithValues: try PostgresConfiguration(url: "host=db keepalives_idle=60 tcp_user_timeout=0").connectionParameters().map {
                ($0.keyword, $0.value)
            })
        #expect(tuned["keepalives_idle"] == "60" && tuned["tcp_user_timeout"] == "0")
    }

    @Test(arguments: [
        "postgres://u:hunter2@host/db?colour=red", "postgres//user:hunter2@db", "postgres://u:hunter%ZZ2@h/db",
        "user=x password='hunter2", "password=hunter2 bogus", "postgres://u:hunter2@[::1/db",
    ])
    func malformedStringsNeverShowThePassword(url: String) {
        #expect(throws: PostgresError.self) { try PostgresConfiguration(url: url) }
        do {
            _ = try PostgresConfiguration(url: url)
        } catch {
            #expect(!"\(error)".contains("hunter"), "\(error)")
        }
    }
}
