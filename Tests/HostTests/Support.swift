import FeatureKit
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import SwitchyardHost
import SwitchyardJSON

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
