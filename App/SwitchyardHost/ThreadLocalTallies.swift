import Glibc
import Synchronization

/// Counts kept by each thread apart: a thread adds to its own with a plain load and store
/// (no locked instruction, no cache line shared with another core), and a reader adds up
/// every thread's. A thread's tallies outlive it, so nothing it counted is lost.
final class ThreadLocalTallies: Sendable {
    private let key: pthread_key_t
    private let slots: Int
    private let all = Mutex<[AtomicArray]>([])

    init(slots: Int) throws {
        var key = pthread_key_t()
        guard pthread_key_create(&key, nil) == 0 else { throw StartupError("no thread-specific key is left for request metrics") }
        self.key = key
        self.slots = slots
    }

    deinit {
        pthread_key_delete(key)
    }

    /// The calling thread's tallies, made the first time it counts. The key holds no
    /// reference of its own: `all` owns them.
    func current() -> AtomicArray {
        if let raw = pthread_getspecific(key) { return Unmanaged<AtomicArray>.fromOpaque(raw).takeUnretainedValue() }
        let tallies = AtomicArray(count: slots)
        all.withLock { $0.append(tallies) }
        pthread_setspecific(key, Unmanaged.passUnretained(tallies).toOpaque())
        return tallies
    }

    /// The first `count` slots added up over every thread.
    func sums(count: Int) -> [Int] {
        var sums = [Int](repeating: 0, count: count)
        for tallies in all.withLock({ $0 }) {
            for index in 0..<count { sums[index] += tallies.load(index) }
        }
        return sums
    }
}

/// A fixed number of atomic integers, zero at first.
final class AtomicArray: @unchecked Sendable {
    // Sendable: every element is an `Atomic`, read and written through its own operations.
    private let elements: UnsafeMutablePointer<Atomic<Int>>
    private let count: Int

    init(count: Int) {
        self.count = count
        elements = .allocate(capacity: count)
        for index in 0..<count { (elements + index).initialize(to: Atomic(0)) }
    }

    deinit {
        elements.deinitialize(count: count)
        elements.deallocate()
    }

    func load(_ index: Int) -> Int { elements[index].load(ordering: .relaxed) }

    func store(_ index: Int, _ value: Int) { elements[index].store(value, ordering: .relaxed) }

    /// For an array one thread alone adds to: a load and a store, where an atomic add would
    /// lock the bus.
    func add(_ index: Int, _ amount: Int = 1) { store(index, load(index) &+ amount) }
}
