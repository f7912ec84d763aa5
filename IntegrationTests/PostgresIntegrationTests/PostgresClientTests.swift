import Foundation
import IntegrationSupport
import Postgres
import Testing

/// Against the PostgreSQL that scripts/test starts; every test uses tables of its own.
@Suite struct PostgresClientTests {
    let client: PostgresClient
    let table = "t_\(UUID().uuidString.prefix(8).lowercased())"

    init() throws {
        client = PostgresClient(configuration: try PostgresConfiguration(url: try TestEnvironment.databaseURL))
    }

    @Test func everyTypeRoundTripsIncludingNull() async throws {
        let id = UUID()
        let moment = Date(timeIntervalSince1970: 1_790_000_000.123456)
        let bytes: [UInt8] = [0, 1, 2, 0xFF, 0x5C, 0x0A, 0x09]
        let row = try #require(
            try await client.query(
                """
                SELECT $1::int AS i, $2::bigint AS big, $3::float8 AS d, $4::numeric(30,10) AS n,
                       $5::text AS t, $6::bool AS b, $7::timestamptz AS ts, $8::uuid AS u, $9::bytea AS bin,
                       $10::text AS nothing
                """,
                Int(-42), Int64.max, 0.1, Decimal(string: "12345678901234567890.0123456789")!,
                "ünïcødé ✓ 🚂 'quoted'", true, moment, id, bytes, String?.none
            ).first)
        #expect(try row.decode(Int.self, "i") == -42)
        #expect(try row.decode(Int64.self, "big") == Int64.max)
        #expect(try row.decode(Double.self, "d") == 0.1)
        #expect(try row.decode(Decimal.self, "n") == Decimal(string: "12345678901234567890.0123456789")!)
        #expect(try row.decode(String.self, "t") == "ünïcødé ✓ 🚂 'quoted'")
        #expect(try row.decode(Bool.self, "b") == true)
        #expect(abs(try row.decode(Date.self, "ts").timeIntervalSince(moment)) < 0.000_001)
        #expect(try row.decode(UUID.self, "u") == id)
        #expect(try row.decode([UInt8].self, "bin") == bytes)
        #expect(try row.decode(String?.self, "nothing") == nil)
        #expect(throws: PostgresError.self) { try row.decode(String.self, "nothing") }
    }

    @Test func numericKeepsEveryDigit() async throws {
        let value = try await client.query("SELECT ($1::numeric(18,2) * 3)::text AS v", "0.10").first!
        #expect(try value.decode(String.self, "v") == "0.30")
        let max = try await client.query("SELECT $1::numeric(18,2) AS v", Decimal(string: "9999999999999999.99")!)
        #expect(try max.first!.decode(Decimal.self, "v") == Decimal(string: "9999999999999999.99")!)
    }

    @Test func hugeTextAndInjectionStringsAreStoredVerbatim() async throws {
        try await client.execute("CREATE TABLE \(table) (id serial PRIMARY KEY, body text NOT NULL)")
        let hostile = [
            "'; DROP TABLE \(table); --", "Robert'); DROP TABLE students;--", "\\x00\\'", "$1 $2 $$ dollar $$",
            "tab\there\nnewline\r\\backslash", String(repeating: "large ✓", count: 1_000_000),
        ]
        for text in hostile {
            try await client.execute("INSERT INTO \(table) (body) VALUES ($1)", text)
        }
        let stored = try await client.query("SELECT body FROM \(table) ORDER BY id").rows.map { try $0.decode(String.self, "body") }
        #expect(stored == hostile)
        await #expect(throws: PostgresError.self) {
            try await client.execute("INSERT INTO \(table) (body) VALUES ($1)", "nul\u{0}byte")
        }
    }

    @Test func sqlStatesAreDistinct() async throws {
        try await client.execute("CREATE TABLE \(table) (k text PRIMARY KEY, n int CHECK (n >= 0))")
        try await client.execute("INSERT INTO \(table) VALUES ($1, $2)", "a", 1)
        let unique = await #expect(throws: PostgresError.self) {
            try await client.execute("INSERT INTO \(table) VALUES ($1, $2)", "a", 1)
        }
        #expect(unique?.isUniqueViolation == true)
        let check = await #expect(throws: PostgresError.self) {
            try await client.execute("INSERT INTO \(table) VALUES ($1, $2)", "b", -1)
        }
        #expect(check?.isCheckViolation == true)
        #expect(check?.isUnavailable == false)
        let syntax = await #expect(throws: PostgresError.self) { try await client.query("SELEC 1") }
        #expect(syntax?.sqlState == "42601")
    }

    @Test func transactionsCommitOrRollBack() async throws {
        try await client.execute("CREATE TABLE \(table) (n int NOT NULL)")
        try await client.transaction { tx in
            try await tx.execute("INSERT INTO \(table) VALUES (1)")
            try await tx.execute("INSERT INTO \(table) VALUES (2)")
        }
        struct Abort: Error {}
        await #expect(throws: Abort.self) {
            try await client.transaction { tx in
                try await tx.execute("INSERT INTO \(table) VALUES (3)")
                throw Abort()
            }
        }
        await #expect(throws: PostgresError.self) {
            try await client.transaction { tx in
                try await tx.execute("INSERT INTO \(table) VALUES (4)")
                try await tx.execute("INSERT INTO \(table) VALUES (NULL)")
            }
        }
        let cancelled = Task {
            try await client.transaction { tx in
                try await tx.execute("INSERT INTO \(table) VALUES (5)")
                try await Task.sleep(for: .seconds(5))
            }
        }
        try await Task.sleep(for: .milliseconds(100))
        cancelled.cancel()
        _ = await cancelled.result
        let values = try await client.query("SELECT n FROM \(table) ORDER BY n").rows.map { try $0.decode(Int.self, "n") }
        #expect(values == [1, 2])
    }

    @Test func serializationFailuresAreRetried() async throws {
        try await client.execute("CREATE TABLE \(table) (n int NOT NULL)")
        try await client.execute("INSERT INTO \(table) VALUES (0)")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    try await client.transaction(isolation: .serializable, attempts: 50) { tx in
                        let n = try await tx.query("SELECT n FROM \(table)").first!.decode(Int.self, "n")
                        try await tx.execute("UPDATE \(table) SET n = $1", n + 1)
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try await client.query("SELECT n FROM \(table)").first!.decode(Int.self, "n") == 8)
    }

    @Test func copyLoadsRowsVerbatim() async throws {
        try await client.execute("CREATE TABLE \(table) (id int, label text, data bytea)")
        let rows: [[any PostgresEncodable]] = (0..<10_000).map { index in
            [index, index % 7 == 0 ? String?.none : "row\t\(index)\n\\ ✓", [UInt8(index % 256), 0]]
        }
        #expect(try await client.copyIn("COPY \(table) (id, label, data) FROM STDIN", rows: rows) == 10_000)
        let sample = try await client.query("SELECT label, data FROM \(table) WHERE id = 13").first!
        #expect(try sample.decode(String?.self, "label") == "row\t13\n\\ ✓")
        #expect(try sample.decode([UInt8].self, "data") == [13, 0])
        #expect(try await client.query("SELECT count(*) FROM \(table) WHERE label IS NULL").first!.decode(Int.self, at: 0) == 1429)
    }

    @Test func thousandConcurrentQueries() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<1000 {
                group.addTask {
                    let value = try await client.query("SELECT $1::int * 2 AS v", index).first!.decode(Int.self, "v")
                    #expect(value == index * 2)
                }
            }
            try await group.waitForAll()
        }
    }

    @Test func exhaustedPoolWaitsThenTimesOutCleanly() async throws {
        let small = PostgresClient(
            configuration: try PostgresConfiguration(
                url: try TestEnvironment.databaseURL, maxConnections: 2, acquireTimeout: .milliseconds(300)))
        @Sendable func hold() async throws -> Int {
            try await small.transaction { try await $0.execute("SELECT pg_sleep(1.2)") }
        }
        async let first = hold()
        async let second = hold()
        try await Task.sleep(for: .milliseconds(200))
        let error = await #expect(throws: PostgresError.self) {
            try await small.transaction { try await $0.query("SELECT 1") }
        }
        // Only the acquire timeout says this; a connection freed by a holder would have served it.
        #expect(error?.description.contains("no connection free within") == true, "\(String(describing: error))")
        // Once the holders return their connections, transactions get one again.
        _ = try await (first, second)
        #expect(try await small.transaction { try await $0.query("SELECT 1 AS one").first!.decode(Int.self, "one") } == 1)
        await small.close()
    }
}
