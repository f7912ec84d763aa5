import Hummingbird
import Logging

/// The server's log handler with a request's id (`hb.request.id`, as Hummingbird names it),
/// which joins a line's metadata only when a line is written. Setting the id as metadata on
/// the logger instead makes `StreamLogHandler` format all its metadata anew for every request
/// (about 7,000 instructions a request, most of them for lines never written).
struct RequestLogHandler: LogHandler {
    static let key = "hb.request.id"

    private var base: any LogHandler
    private let requestID: RequestID

    /// `logger`, with `requestID` on every line it writes.
    static func logger(_ logger: Logger, requestID: RequestID) -> Logger {
        Logger(label: logger.label, factory: { _ in RequestLogHandler(base: logger.handler, requestID: requestID) })
    }

    private init(base: any LogHandler, requestID: RequestID) {
        self.base = base
        self.requestID = requestID
    }

    func log(event: LogEvent) {
        var event = event
        if event.metadata?[Self.key] == nil {
            event.metadata = (event.metadata ?? [:]).merging([Self.key: .stringConvertible(requestID)]) { current, _ in current }
        }
        base.log(event: event)
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { key == Self.key ? base[metadataKey: key] ?? .stringConvertible(requestID) : base[metadataKey: key] }
        set { base[metadataKey: key] = newValue }
    }

    var metadata: Logger.Metadata {
        get { base.metadata.merging([Self.key: .stringConvertible(requestID)]) { current, _ in current } }
        set { base.metadata = newValue }
    }

    var metadataProvider: Logger.MetadataProvider? {
        get { base.metadataProvider }
        set { base.metadataProvider = newValue }
    }

    var logLevel: Logger.Level {
        get { base.logLevel }
        set { base.logLevel = newValue }
    }
}
