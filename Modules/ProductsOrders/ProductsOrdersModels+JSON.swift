import SwitchyardCore
import SwitchyardJSON

// products-orders' answers as JSON, in one place for both profiles.

extension Product {
    var json: JSONValue {
        [
            "id": .string(id), "title": .string(title), "passenger_capacity": .int(passengerCapacity),
            "maximum_speed": .int(maximumSpeed), "in_stock": .int(inStock),
        ]
    }
}

extension OrderView {
    var json: JSONValue {
        [
            "id": .int(order.id), "created_at": .string(iso8601(order.createdAt)),
            "order_details": .array(
                lines.map { line in
                    [
                        "id": .int(line.detail.id), "product_id": .string(line.detail.productID), "price": .string(line.detail.price.text),
                        "quantity": .int(line.detail.quantity), "product": line.product?.json ?? .null, "image": .string(line.image),
                    ]
                }),
        ]
    }

    /// The original's order: the default one without `created_at`.
    var originalJSON: JSONValue {
        guard case .object(var fields) = json else { return .null }
        fields.removeValue(forKey: "created_at")
        return .object(fields)
    }
}
