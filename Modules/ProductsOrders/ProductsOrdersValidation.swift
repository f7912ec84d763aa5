import FeatureKit
import SwitchyardJSON

/// Request bodies of products-orders, checked field by field (every error reported at once).
/// Unknown fields are refused so a misspelt one cannot be ignored silently.
enum ProductsOrdersValidation {
    static let counts: ClosedRange<Int64> = 0...Int64(Int32.max)
    static let quantities: ClosedRange<Int64> = 1...1_000_000
    static let linesPerOrder = 1...100
    static let changeableFields: Set = ["title", "passenger_capacity", "maximum_speed", "in_stock"]

    /// 1...128 characters of `[A-Za-z0-9_.-]`.
    static func isProductID(_ text: String) -> Bool {
        (1...128).contains(text.utf8.count)
            && text.utf8.allSatisfy { byte in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "_")
                    || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-")
            }
    }

    static func newProduct(from body: JSONValue) throws -> Product {
        var validator = Validator()
        let fields = try validator.body(body)
        refuseUnknown(fields, allowed: changeableFields.union(["id"]), &validator)
        let id = productID(fields["id"], field: "id", &validator)
        let title = validator.string(fields, "title", length: 1...200)
        let capacity = validator.int(fields, "passenger_capacity", in: counts)
        let speed = validator.int(fields, "maximum_speed", in: counts)
        let stock = validator.int(fields, "in_stock", in: counts)
        try validator.finish()
        return Product(id: id!, title: title!, passengerCapacity: capacity!, maximumSpeed: speed!, inStock: stock!)
    }

    /// A partial update: the fields to set, as stored (field name, decimal or text value).
    static func changes(from body: JSONValue) throws -> [(field: String, value: String)] {
        var validator = Validator()
        let fields = try validator.body(body)
        refuseUnknown(fields, allowed: changeableFields, &validator)
        var changes: [(String, String)] = []
        if let title = validator.string(fields, "title", required: false, length: 1...200) { changes.append(("title", title)) }
        for name in ["passenger_capacity", "maximum_speed", "in_stock"] {
            if let value = validator.int(fields, name, required: false, in: counts) { changes.append((name, String(value))) }
        }
        if changes.isEmpty && validator.errors.isEmpty {
            validator.fail("body", "must change at least one of \(changeableFields.sorted().joined(separator: ", "))")
        }
        try validator.finish()
        return changes
    }

    static func orderLines(from body: JSONValue) throws -> [OrderLine] {
        var validator = Validator()
        let fields = try validator.body(body)
        refuseUnknown(fields, allowed: ["order_details"], &validator)
        guard case .array(let items) = fields["order_details"] else {
            validator.fail("order_details", "must be an array of 1 to \(linesPerOrder.upperBound) lines")
            try validator.finish()
            return []
        }
        if !linesPerOrder.contains(items.count) {
            validator.fail("order_details", "must have 1 to \(linesPerOrder.upperBound) lines, got \(items.count)")
        }
        var lines: [OrderLine] = []
        for (index, item) in items.prefix(linesPerOrder.upperBound).enumerated() {
            let path = "order_details[\(index)]"
            guard let line = validator.object(item, field: path) else { continue }
            refuseUnknown(line, allowed: ["product_id", "price", "quantity"], &validator, path: path)
            let productID = productID(line["product_id"], field: path + ".product_id", &validator)
            let price = price(line["price"], field: path + ".price", &validator)
            let quantity = validator.int(line, "quantity", path: path + ".quantity", in: quantities)
            if let productID, let price, let quantity {
                lines.append(OrderLine(productID: productID, price: price, quantity: quantity))
            }
        }
        try validator.finish()
        return lines
    }

    private static func productID(_ value: JSONValue?, field: String, _ validator: inout Validator) -> String? {
        guard case .string(let text) = value, isProductID(text) else {
            validator.fail(field, "must be 1 to 128 characters of A-Z, a-z, 0-9, '_', '.' and '-'")
            return nil
        }
        return text
    }

    private static func price(_ value: JSONValue?, field: String, _ validator: inout Validator) -> Price? {
        guard let value, let price = Price(json: value), price <= Price.maximum else {
            validator.fail(field, "must be a decimal from 0 to \(Price.maximum.text) with at most 2 fraction digits, as a string or number")
            return nil
        }
        return price
    }

    private static func refuseUnknown(
        _ fields: [String: JSONValue], allowed: Set<String>, _ validator: inout Validator, path: String? = nil
    ) {
        for key in fields.keys.sorted() where !allowed.contains(key) {
            validator.fail(path.map { "\($0).\(key)" } ?? key, "is not a known field")
        }
    }
}
