import FeatureKit
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import ServiceLifecycle
import SwitchyardHost
import SwitchyardJSON
import Synchronization

/// Builds a server from flags/environment the way `switchyard serve` does.
func makeServer(
    flags: [String: String] = [:], environment: [String: String] = [:], configFile: String? = nil,
    known: [any Feature.Type] = [EchoFeature.self]
) async throws -> Switchyard {
    let settings = try await ConfigSources.reader(flags: flags, configFile: configFile, environment: environment)
    return try await Switchyard.build(settings: settings, knownFeatures: known)
}

extension TestResponse {
    var json: JSONValue? { try? JSONDecoder().decode(JSONValue.self, from: Data(buffer: body)) }
    var text: String { String(buffer: body) }
}

func jsonBody(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

let jsonHeaders: HTTPFields = [.contentType: "application/json"]

/// Writes `contents` to a temporary file and returns its path.
func temporaryFile(_ contents: String) throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("switchyard-\(UUID()).json").path
    try contents.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

/// A server with the echo feature in its own service group on a free port: `body` gets the
/// port and the group (to trigger shutdown); returns when the group has stopped.
func withRunningServer(
    environment: [String: String], _ body: @escaping @Sendable (Int, ServiceGroup) async throws -> Void
) async throws {
    let (ports, portStream) = AsyncStream.makeStream(of: Int.self)
    let settings = try await ConfigSources.reader(flags: ["http.port": "0"], configFile: nil, environment: environment)
    let server = try await Switchyard.build(
        settings: settings, knownFeatures: [EchoFeature.self],
        onServerRunning: { channel in portStream.yield(channel.localAddress?.port ?? 0) })
    let group = server.serviceGroup(gracefulShutdownSignals: [])
    try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw CancellationError() }
        try await body(port, group)
        try await tasks.next()
    }
}

/// The lines a `CapturingHandler` was given: level, message, then its metadata sorted.
final class Captured: Sendable {
    let lines = Mutex<[String]>([])
}

struct CapturingHandler: LogHandler {
    let captured: Captured
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// As real handlers do: the handler's own metadata, then the line's over it.
    func log(event: LogEvent) {
        let fields = metadata.merging(event.metadata ?? [:]) { $1 }.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " ")
        captured.lines.withLock { $0.append("\(event.level) \(event.message) \(fields)") }
    }
}
