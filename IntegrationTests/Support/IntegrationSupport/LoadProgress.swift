import Synchronization

/// What loaders share while a test kills the server under them: how many calls succeeded, and
/// whether the kill has happened, so each loader runs until it has met the outage.
package final class LoadProgress: Sendable {
    package let successes = Atomic<Int>(0)
    package let killed = Atomic<Bool>(false)
    package init() {}
}
