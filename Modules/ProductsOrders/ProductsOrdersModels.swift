import Foundation

/// A catalogue entry.
struct Product: Sendable, Equatable {
    var id: String
    var title: String
    var passengerCapacity: Int64
    var maximumSpeed: Int64
    var inStock: Int64
}

/// One line of an order as requested.
struct OrderLine: Sendable, Equatable {
    var productID: String
    var price: Price
    var quantity: Int64
}

/// What an all-or-nothing stock reservation found.
enum Reservation: Sendable {
    case reserved
    case missing([String])
    case insufficient([(productID: String, requested: Int64, available: Int64)])
}

/// A stored order line.
struct OrderDetail: Sendable, Equatable {
    var id: Int64
    var productID: String
    var price: Price
    var quantity: Int64
}

struct Order: Sendable, Equatable {
    var id: Int64
    var createdAt: Date
    var details: [OrderDetail]
}

/// A page of the catalogue in id order, and the cursor of the next one (nil on the last).
struct ProductPage: Sendable {
    let products: [Product]
    let next: String?
}

/// An order with each line's current product (nil once deleted) and its image.
struct OrderView: Sendable {
    struct Line: Sendable {
        let detail: OrderDetail
        let product: Product?
        let image: String
    }

    let order: Order
    let lines: [Line]
}

/// Orders newest first, and the cursor of the next page (nil on the last).
struct OrderPage: Sendable {
    let orders: [OrderView]
    let next: Int64?
}
