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
        try choice("api", default: .switchyard)
    }
}
