import SwitchyardCore
import SwitchyardJSON
import Testing

@testable import FeatureKit

@Suite struct ValidatorTests {
    @Test func collectsEveryErrorBeforeThrowing() throws {
        var validator = Validator()
        let body: [String: JSONValue] = ["name": 5, "count": 1.5, "flag": "yes", "big": 10_000]
        #expect(validator.string(body, "name") == nil)
        #expect(validator.int(body, "count", in: 0...10) == nil)
        #expect(validator.bool(body, "flag") == nil)
        #expect(validator.int(body, "big", path: "items[3].big", in: 0...100) == nil)
        #expect(validator.string(body, "missing") == nil)
        #expect(validator.string(body, "optional", required: false) == nil)
        #expect(validator.errors.map(\.field) == ["name", "count", "flag", "items[3].big", "missing"])
        let error = #expect(throws: APIError.self) { try validator.finish() }
        #expect(error?.code == "VALIDATION_ERROR")
        #expect(error?.details.count == 5)
    }

    @Test func acceptsValuesInRange() throws {
        var validator = Validator()
        let body: [String: JSONValue] = ["name": "héllo", "count": 10, "whole": 3.0, "flag": true]
        #expect(validator.string(body, "name", length: 1...5) == "héllo")
        #expect(validator.int(body, "count", in: 0...10) == 10)
        #expect(validator.int(body, "whole", in: 0...10) == 3)
        #expect(validator.bool(body, "flag") == true)
        try validator.finish()
    }

    @Test func lengthCountsCharactersNotBytes() {
        var validator = Validator()
        #expect(validator.string(["s": "ééé"], "s", length: 1...3) == "ééé")
        #expect(validator.string(["s": "éééé"], "s", length: 1...3) == nil)
    }

    /// One character may carry any number of combining marks: the bytes are capped too, at
    /// what the allowed characters take at 4 bytes each unless a field says otherwise.
    @Test func bytesAreCappedWhateverTheCharacterCount() {
        var validator = Validator()
        let stacked = "x" + String(repeating: "\u{301}", count: 600)
        #expect(stacked.count == 1)
        #expect(validator.string(["s": .string(stacked)], "s", length: 1...128) == nil)
        #expect(validator.errors.first?.message.contains("bytes of UTF-8") == true)
        var fresh = Validator()
        #expect(fresh.string(["s": .string(String(repeating: "😀", count: 128))], "s", length: 1...128) != nil)
        #expect(fresh.string(["s": "abcdef"], "s", length: 1...10, maxBytes: 5) == nil)
    }

    @Test func nullCountsAsMissing() {
        var validator = Validator()
        #expect(validator.int(["n": nil], "n", in: 0...1) == nil)
        #expect(validator.errors == [FieldError(field: "n", message: "is required")])
    }
}

@Suite struct APIErrorTests {
    @Test func envelopeOmitsEmptyDetails() {
        #expect(APIError.badRequest("nope").body == ["error": "BAD_REQUEST", "message": "nope"])
        #expect(
            APIError.validation([FieldError(field: "a", message: "b")]).body
                == ["error": "VALIDATION_ERROR", "message": "1 field is invalid.", "details": [["field": "a", "message": "b"]]])
    }

    @Test func internalErrorsNeverLeakTheirCause() {
        struct SecretFailure: Error { let sql = "SELECT password FROM users" }
        let mapped = ErrorEnvelopeMiddleware<AppRequestContext>.apiError(for: SecretFailure())
        #expect(mapped == .internalError)
        #expect(String(decoding: mapped.body.encoded(), as: UTF8.self) == #"{"error":"INTERNAL_ERROR","message":"An internal error occurred."}"#)
    }

    @Test func adminTokenComparisonIsExact() {
        let equals = AdminAuthMiddleware.constantTimeEquals
        #expect(equals(Array("Bearer abc".utf8), Array("Bearer abc".utf8)))
        #expect(!equals(Array("Bearer ab".utf8), Array("Bearer abc".utf8)))
        #expect(!equals(Array("Bearer abd".utf8), Array("Bearer abc".utf8)))
        #expect(!equals([], Array("x".utf8)))
    }
}

@Suite struct RandomSourceTests {
    @Test func seededSourcesRepeat() {
        let first = RandomSource.seeded(42)
        let second = RandomSource.seeded(42)
        let a = (0..<100).map { _ in first.int(in: 0...1000) }
        let b = (0..<100).map { _ in second.int(in: 0...1000) }
        #expect(a == b)
        #expect(Set(a).count > 50)
        #expect(a.allSatisfy { (0...1000).contains($0) })
        #expect(RandomSource.seeded(43).next() != RandomSource.seeded(42).next())
    }
}
