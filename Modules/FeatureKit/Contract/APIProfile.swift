/// Which API a feature serves (`features.<id>.api`): its own spec's, or the original service's
/// wire format, for that service's existing clients (spec/original-api.md). Both profiles share
/// the feature's Service and Store.
public enum APIProfile: String, Sendable, CaseIterable {
    case switchyard
    case original
}

extension Settings {
    /// `api`, default `switchyard`; any other value stops startup.
    public func apiProfile() throws -> APIProfile {
        guard let text = string("api") else { return .switchyard }
        guard let profile = APIProfile(rawValue: text.lowercased()) else {
            let names = APIProfile.allCases.map(\.rawValue).joined(separator: " or ")
            throw ConfigurationError(key: fullKey("api"), problem: "'\(text)' is not \(names)")
        }
        return profile
    }
}
