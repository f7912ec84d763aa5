import AchievementLevel
import AreaMode
import FeatureKit
import PathStats
import ProductsOrders
import UserPoints

/// Every feature this binary can host; `features.enabled` picks from these.
/// The host knows nothing of a feature beyond its type.
public let knownFeatures: [any Feature.Type] = [
    PathStatsFeature.self,
    AreaModeFeature.self,
    UserPointsFeature.self,
    AchievementLevelFeature.self,
    ProductsOrdersFeature.self,
]
