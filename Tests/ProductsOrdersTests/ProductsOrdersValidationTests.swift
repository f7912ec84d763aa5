import FeatureKit
import SwitchyardJSON
import Testing

@testable import ProductsOrders

@Suite struct PriceTests {
    @Test(arguments: [
        ("100000.99", "100000.99"), ("5", "5.00"), ("5.1", "5.10"), ("0", "0.00"), ("0.01", "0.01"),
        ("9999999999999999.99", "9999999999999999.99"),
    ])
    func acceptedAndNormalised(text: String, expected: String) {
        #expect(Price(text: text)?.text == expected)
    }

    @Test(arguments: ["", "-1", "1.234", "01", "1e2", " 1", "1.", ".5", "1,5", "99999999999999999", "NaN", "１"])
    func refused(text: String) {
        #expect(Price(text: text) == nil)
    }

    /// JSON numbers are read from their literal: no binary floating point on the way.
    @Test func numbersKeepTheirLiteral() throws {
        let body = try JSONValue(parsing: Array(#"[9999999999999999.99, 100000.99, 7, 0.1]"#.utf8))
        #expect(body.arrayValue?.map { Price(json: $0)?.text } == ["9999999999999999.99", "100000.99", "7.00", "0.10"])
        #expect(Price(json: try JSONValue(parsing: Array("1e2".utf8))) == nil)
        #expect(Price(json: .int(-3)) == nil)
        #expect(Price(json: .bool(true)) == nil)
    }
}

@Suite struct ProductsOrdersValidationTests {
    @Test func productIDs() {
        #expect(ProductsOrdersValidation.isProductID("the_odyssey-2.0"))
        #expect(ProductsOrdersValidation.isProductID(String(repeating: "a", count: 128)))
        for bad in ["", String(repeating: "a", count: 129), "a b", "../etc", "a/b", "é", "a\u{0}", "a:b", "*"] {
            #expect(!ProductsOrdersValidation.isProductID(bad), "\(bad)")
        }
    }

    @Test func newProductReportsEveryBadField() {
        let error = #expect(throws: APIError.self) {
            try ProductsOrdersValidation.newProduct(from: [
                "id": "bad id", "title": "", "passenger_capacity": -1, "maximum_speed": 2_147_483_648, "colour": "red",
            ])
        }
        #expect(error?.details.compactMap { $0["field"] } == ["colour", "id", "title", "passenger_capacity", "maximum_speed", "in_stock"])
    }

    @Test func changesNeedAtLeastOneKnownField() throws {
        #expect(try ProductsOrdersValidation.changes(from: ["in_stock": 3]).map(\.field) == ["in_stock"])
        #expect(throws: APIError.self) { try ProductsOrdersValidation.changes(from: [:]) }
        #expect(throws: APIError.self) { try ProductsOrdersValidation.changes(from: ["id": "x"]) }
        #expect(throws: APIError.self) { try ProductsOrdersValidation.changes(from: ["in_stock": "3"]) }
    }

    @Test func orderLines() throws {
        let lines = try ProductsOrdersValidation.orderLines(from: [
            "order_details": [["product_id": "a", "price": "1.5", "quantity": 2], ["product_id": "a", "price": 3, "quantity": 1]]
        ])
        #expect(
            lines == [
                OrderLine(productID: "a", price: Price(cents: 150), quantity: 2), OrderLine(productID: "a", price: Price(cents: 300), quantity: 1),
            ])
        let error = #expect(throws: APIError.self) {
            try ProductsOrdersValidation.orderLines(from: [
                "order_details": [["product_id": "a", "price": "1.001", "quantity": 0], "x"]
            ])
        }
        #expect(error?.details.compactMap { $0["field"] } == ["order_details[0].price", "order_details[0].quantity", "order_details[1]"])
        #expect(throws: APIError.self) { try ProductsOrdersValidation.orderLines(from: ["order_details": []]) }
        let tooMany = JSONValue.array(Array(repeating: ["product_id": "a", "price": "1", "quantity": 1], count: 101))
        #expect(throws: APIError.self) { try ProductsOrdersValidation.orderLines(from: ["order_details": tooMany]) }
    }
}
