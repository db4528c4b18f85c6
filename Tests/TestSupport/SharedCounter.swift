import Synchronization

/// An integer several test threads update (Atomic itself cannot be captured or stored in arrays).
public final class SharedCounter: Sendable {
    private let value = Atomic<Int>(0)
    public init() {}
    public func add(_ amount: Int = 1) { value.add(amount, ordering: .relaxed) }
    public var current: Int { value.load(ordering: .relaxed) }
}
