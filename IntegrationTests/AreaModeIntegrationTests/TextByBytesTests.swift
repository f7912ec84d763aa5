import AreaMode
import Foundation
import HummingbirdTesting
import IntegrationSupport
import Postgres
import SwitchyardCore
import Testing

/// Text reaches PostgreSQL and comes back byte for byte, whatever follows a quote or a
/// backslash, and ids that differ in bytes are different ids end to end.
@Suite struct TextByBytesTests {
    /// Quotes, backslashes, braces, commas and spaces, each often followed by a combining mark,
    /// a zero-width joiner or a variation selector; emoji; plain letters.
    static let pieces: [String] = [
        "\"", "\\", "{", "}", ",", " ", "a", "Z", "é", "e\u{301}", "\u{301}", "\u{200D}", "\u{FE0F}", "👩‍👩‍👧", "🏳️‍🌈", "NULL", "ß", "\t",
    ]

    static func randomStrings(count: Int) -> [String] {
        var generator = SplitMix64(seed: 0x5eed)
        return (0..<count).map { _ in
            let length = Int(generator.next() % 9)
            return (0..<length).map { _ in pieces[Int(generator.next() % UInt64(pieces.count))] }.joined()
        }
    }

    @Test func arraysRoundTripByteForByte() async throws {
        let client = PostgresClient(configuration: try PostgresConfiguration(url: try TestEnvironment.databaseURL, minConnections: 0))
        let strings = Self.randomStrings(count: 100_000)
        let rows = try await client.query(
            "SELECT s FROM unnest($1::text[]) WITH ORDINALITY AS t(s, n) ORDER BY n", PostgresArray(strings))
        let back = try rows.rows.map { try $0.decode(String.self, "s") }
        #expect(back.count == strings.count)
        let mismatches = zip(strings, back).filter { !$0.utf8.elementsEqual($1.utf8) }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(3))")
        // NUL cannot be sent as text: refused before anything is sent, the statement alone.
        let error = await #expect(throws: PostgresError.self) {
            try await client.query("SELECT cardinality($1::text[])", PostgresArray(["a\u{0}b"]))
        }
        #expect(error?.sqlState == "22021")
        await client.close()
    }

    /// `x\` + U+0301 is one Character whose first byte after `x` is a backslash: stored under
    /// its own bytes, it logs in, is a duplicate, and logs out again.
    @Test func aBackslashBeforeACombiningMarkIsItsOwnUser() async throws {
        let fixture = try await AreaModeFixture.make()
        let user = "x\\\u{301}"
        let quoted = "y\"\u{301}"
        try await fixture.server().application.test(.router) { client in
            let report = try await client.post([
                login(user, 101, "Solo"), login(user, 101, "Solo"), logout(user, 101, "Solo"),
                login(quoted, 102, "Duo"), login("e\u{301}", 103, "Solo"), login("\u{E9}", 103, "Solo"),
            ])
            #expect(report["applied"] == 5)
            #expect(report["duplicate"] == 1)
            #expect(try await client.stats(101).active_users == 0)
            #expect(try await client.stats(102).active_users == 1)
            // Two users whose ids are canonically equal but differ in bytes.
            #expect(try await client.stats(103).active_users == 2)
        }
        let stored = try await fixture.database().query("SELECT user_id FROM area_mode_sessions ORDER BY user_id COLLATE \"C\"")
        let ids = try stored.rows.map { Array(try $0.decode(String.self, "user_id").utf8) }
        #expect(ids.contains(Array(user.utf8)))
        #expect(ids.contains(Array(quoted.utf8)))
        #expect(ids.count == 4)
    }

    /// A one-character id stacked with 3,000 combining marks would pass a character count and
    /// overflow PostgreSQL's index row (54000, a 500 for the batch): refused as input instead.
    @Test func lengthLimitsCountBytes() async throws {
        let fixture = try await AreaModeFixture.make()
        let stacked = "u" + String(repeating: "\u{301}", count: 3_000)
        try await fixture.server().application.test(.router) { client in
            let answer = try await client.post([login(stacked, 101, "Solo"), login("v", 101, "Solo")], expect: .badRequest)
            #expect(answer["error"] == "VALIDATION_ERROR")
            #expect(try await client.stats(101).active_users == 0)
            try await client.post([login("v", 101, "Solo")])
            #expect(try await client.stats(101).active_users == 1)
        }
    }
}
