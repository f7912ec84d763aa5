import FeatureKit
import SwitchyardJSON

/// products-orders' part of `/openapi.json`.
enum ProductsOrdersOpenAPI {
    static let productID: JSONValue = ["type": "string", "pattern": "^[A-Za-z0-9_.-]{1,128}$"]
    static let count: JSONValue = ["type": "integer", "minimum": 0, "maximum": 2_147_483_647]
    static let price: JSONValue = [
        "description": "Decimal with at most 2 fraction digits, 0 to 9999999999999999.99; answered as a string with 2",
        "oneOf": [
            ["type": "string", "pattern": "^(0|[1-9][0-9]{0,15})(\\.[0-9]{1,2})?$"],
            ["type": "number", "minimum": 0, "maximum": 9_999_999_999_999_999.99, "multipleOf": 0.01],
        ],
    ]

    static func idParameter(_ schema: JSONValue) -> JSONValue {
        ["name": "id", "in": "path", "required": true, "schema": schema]
    }

    static func pageParameters(maximum: Int64, default limit: Int64) -> JSONValue {
        [
            [
                "name": "limit", "in": "query", "required": false,
                "schema": ["type": "integer", "minimum": 1, "maximum": .int(maximum), "default": .int(limit)],
            ],
            ["name": "cursor", "in": "query", "required": false, "description": "next_cursor of the previous page", "schema": ["type": "string"]],
        ]
    }

    static let fragment = OpenAPIFragment(
        paths: [
            "/products": [
                "post": [
                    "summary": "Create a product (never overwrites)",
                    "requestBody": OpenAPI.body(
                        OpenAPI.ref("NewProduct"),
                        example: ["id": "the_odyssey", "title": "The Odyssey", "passenger_capacity": 101, "maximum_speed": 5, "in_stock": 10]),
                    "responses": OpenAPI.responses(
                        ["description": "Created", "content": ["application/json": ["schema": OpenAPI.ref("ProductID")]]],
                        status: 201, errors: [400, 409, 413, 503]),
                ],
                "get": [
                    "summary": "Products by id ascending, a page at a time",
                    "parameters": pageParameters(maximum: 500, default: 50),
                    "responses": OpenAPI.responses(OpenAPI.json("A page", schema: OpenAPI.ref("ProductPage")), errors: [400, 503]),
                ],
            ],
            "/products/{id}": [
                "get": [
                    "summary": "One product",
                    "parameters": [idParameter(productID)],
                    "responses": OpenAPI.responses(OpenAPI.json("The product", schema: OpenAPI.ref("Product")), errors: [400, 404, 503]),
                ],
                "patch": [
                    "summary": "Change some of title, passenger_capacity, maximum_speed, in_stock",
                    "parameters": [idParameter(productID)],
                    "requestBody": OpenAPI.body(OpenAPI.ref("ProductChanges"), example: ["in_stock": 25]),
                    "responses": OpenAPI.responses(
                        OpenAPI.json("The product after the change", schema: OpenAPI.ref("Product")), errors: [400, 404, 413, 503]),
                ],
                "delete": [
                    "summary": "Delete a product (its orders keep their lines)",
                    "parameters": [idParameter(productID)],
                    "responses": OpenAPI.responses(["description": "Deleted"], status: 204, errors: [400, 404, 503]),
                ],
            ],
            "/orders": [
                "post": [
                    "summary": "Order products: all stock reserved at once or nothing",
                    "requestBody": OpenAPI.body(
                        OpenAPI.ref("NewOrder"),
                        example: ["order_details": [["product_id": "the_odyssey", "price": "100000.99", "quantity": 1]]]),
                    "responses": OpenAPI.responses(
                        ["description": "Created", "content": ["application/json": ["schema": OpenAPI.ref("OrderID")]]],
                        status: 201, errors: [400, 404, 409, 413, 503]),
                ],
                "get": [
                    "summary": "Orders newest first, a page at a time, with current products",
                    "parameters": pageParameters(maximum: 100, default: 20),
                    "responses": OpenAPI.responses(OpenAPI.json("A page", schema: OpenAPI.ref("OrderPage")), errors: [400, 503]),
                ],
            ],
            "/orders/{id}": [
                "get": [
                    "summary": "One order with each line's current product and image",
                    "parameters": [idParameter(["type": "integer", "minimum": 1])],
                    "responses": OpenAPI.responses(OpenAPI.json("The order", schema: OpenAPI.ref("Order")), errors: [400, 404, 503]),
                ]
            ],
        ],
        schemas: [
            "Product": [
                "type": "object", "required": ["id", "title", "passenger_capacity", "maximum_speed", "in_stock"],
                "properties": [
                    "id": productID, "title": ["type": "string", "minLength": 1, "maxLength": 200],
                    "passenger_capacity": count, "maximum_speed": count, "in_stock": count,
                ],
            ],
            "NewProduct": [
                "type": "object", "additionalProperties": false,
                "required": ["id", "title", "passenger_capacity", "maximum_speed", "in_stock"],
                "properties": [
                    "id": productID, "title": ["type": "string", "minLength": 1, "maxLength": 200],
                    "passenger_capacity": count, "maximum_speed": count, "in_stock": count,
                ],
            ],
            "ProductChanges": [
                "type": "object", "additionalProperties": false, "minProperties": 1,
                "properties": [
                    "title": ["type": "string", "minLength": 1, "maxLength": 200],
                    "passenger_capacity": count, "maximum_speed": count, "in_stock": count,
                ],
            ],
            "ProductID": ["type": "object", "required": ["id"], "properties": ["id": productID]],
            "ProductPage": [
                "type": "object", "required": ["products", "next_cursor"],
                "properties": [
                    "products": ["type": "array", "items": OpenAPI.ref("Product")],
                    "next_cursor": ["type": ["string", "null"]],
                ],
            ],
            "NewOrder": [
                "type": "object", "additionalProperties": false, "required": ["order_details"],
                "properties": [
                    "order_details": [
                        "type": "array", "minItems": 1, "maxItems": 100,
                        "items": [
                            "type": "object", "additionalProperties": false, "required": ["product_id", "price", "quantity"],
                            "properties": [
                                "product_id": productID, "price": price,
                                "quantity": ["type": "integer", "minimum": 1, "maximum": 1_000_000],
                            ],
                        ],
                    ]
                ],
            ],
            "OrderID": ["type": "object", "required": ["id"], "properties": ["id": ["type": "integer"]]],
            "Order": [
                "type": "object", "required": ["id", "created_at", "order_details"],
                "properties": [
                    "id": ["type": "integer"], "created_at": ["type": "string"],
                    "order_details": [
                        "type": "array",
                        "items": [
                            "type": "object", "required": ["id", "product_id", "price", "quantity", "product", "image"],
                            "properties": [
                                "id": ["type": "integer"], "product_id": productID,
                                "price": ["type": "string", "pattern": "^[0-9]+\\.[0-9]{2}$"],
                                "quantity": ["type": "integer"],
                                "product": ["oneOf": [OpenAPI.ref("Product"), ["type": "null"]]],
                                "image": ["type": "string"],
                            ],
                        ],
                    ],
                ],
            ],
            "OrderPage": [
                "type": "object", "required": ["orders", "next_cursor"],
                "properties": [
                    "orders": ["type": "array", "items": OpenAPI.ref("Order")],
                    "next_cursor": ["type": ["string", "null"]],
                ],
            ],
        ])

    static let deleted = OpenAPI.responses(
        OpenAPI.json(
            "Gone (also when it never existed)", schema: ["type": "object", "required": ["status"], "properties": ["status": ["const": "ok"]]]),
        errors: [400, 503])

    /// The original profile: the nameko-devex gateway's routes and answers.
    static let original = OpenAPIFragment(
        paths: [
            "/products": [
                "post": [
                    "summary": "Create or overwrite a product (stock included)",
                    "requestBody": fragment.paths["/products"]?["post"]?["requestBody"] ?? .null,
                    "responses": OpenAPI.responses(OpenAPI.json("Stored", schema: OpenAPI.ref("ProductID")), errors: [400, 413, 503]),
                ]
            ],
            "/products/{id}": [
                "get": fragment.paths["/products/{id}"]?["get"] ?? .null,
                "delete": ["summary": "Delete a product", "parameters": [idParameter(productID)], "responses": deleted],
            ],
            "/products/delete/{id}": [
                "get": ["summary": "Delete a product (the study case's route)", "parameters": [idParameter(productID)], "responses": deleted]
            ],
            "/orders": [
                "post": [
                    "summary": "Order products: all stock reserved at once or nothing",
                    "requestBody": fragment.paths["/orders"]?["post"]?["requestBody"] ?? .null,
                    "responses": OpenAPI.responses(OpenAPI.json("Stored", schema: OpenAPI.ref("OrderID")), errors: [400, 404, 409, 413, 503]),
                ]
            ],
            "/orders/{id}": [
                "get": [
                    "summary": "One order with each line's current product and image",
                    "parameters": [idParameter(["type": "integer", "minimum": 1])],
                    "responses": OpenAPI.responses(OpenAPI.json("The order", schema: OpenAPI.ref("OriginalOrder")), errors: [400, 404, 503]),
                ]
            ],
            "/orders/list/{page}": [
                "get": [
                    "summary": "Five orders a page, oldest first (page 1: the five lowest ids)",
                    "parameters": [["name": "page", "in": "path", "required": true, "schema": ["type": "integer", "minimum": 1]]],
                    "responses": OpenAPI.responses(
                        OpenAPI.json("The page", schema: ["type": "array", "maxItems": 5, "items": OpenAPI.ref("OriginalOrder")]),
                        errors: [400, 503]),
                ]
            ],
        ],
        schemas: fragment.schemas.merging([
            "OriginalOrder": [
                "type": "object", "required": ["id", "order_details"], "additionalProperties": false,
                "properties": [
                    "id": ["type": "integer"],
                    "order_details": fragment.schemas["Order"]?["properties"]?["order_details"] ?? .null,
                ],
            ]
        ]) { _, new in new })
}
