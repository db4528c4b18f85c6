/// A replay's partitions merged by capture time. librdkafka hands over each partition's fetched batch whole, so in
/// arrival order a replay of a topic with several partitions showed one partition's seconds before the next one's
/// (measured on Tansu, whose topics have 4 partitions: two of four streams during the first 4 s at 1x). Each
/// partition is in order already; the merge keeps a queue per partition and hands out the earliest head. Pure, so
/// it is tested without a broker; `ReplaySession` fills it with what has been fetched before it chooses.
///
/// Bounded: at `capacity` items the session stops taking more from its consumer (which then stops fetching: the
/// broker keeps the messages) and shows the earliest it has. Nothing is dropped.
struct ReplayMerge<Item> {
    /// Where a message came from: the merge orders across these, never within one.
    struct Source: Hashable, Comparable {
        var topic: String
        var partition: Int32

        static func < (lhs: Source, rhs: Source) -> Bool {
            (lhs.topic, lhs.partition) < (rhs.topic, rhs.partition)
        }
    }

    private struct Queue {
        var entries: [(captured: Int64, item: Item)] = []
        var head = 0
        var first: Int64? { head < entries.count ? entries[head].captured : nil }

        mutating func removeFirst() -> (captured: Int64, item: Item) {
            let entry = entries[head]
            head += 1
            // A partition that never runs dry must not keep what it handed out.
            if head > 256 && head * 2 > entries.count {
                entries.removeFirst(head)
                head = 0
            }
            return entry
        }
    }

    let capacity: Int
    private var queues: [Source: Queue] = [:]
    private(set) var count = 0

    init(capacity: Int) {
        self.capacity = capacity
    }

    var isFull: Bool { count >= capacity }

    mutating func add(_ item: Item, captured: Int64, from source: Source) {
        queues[source, default: Queue()].entries.append((captured, item))
        count += 1
    }

    /// The partition whose head was captured first (ties: the lower topic and partition, so the order is fixed).
    private var earliestSource: Source? {
        var best: (source: Source, captured: Int64)?
        for (source, queue) in queues {
            guard let captured = queue.first else { continue }
            if let current = best,
                current.captured < captured || (current.captured == captured && current.source < source)
            {
                continue
            }
            best = (source, captured)
        }
        return best?.source
    }

    /// The capture time of the item `removeEarliest` would return; nil when empty.
    var earliestCaptured: Int64? { earliestSource.flatMap { queues[$0]?.first } }

    mutating func removeEarliest() -> (captured: Int64, item: Item)? {
        guard let source = earliestSource, let entry = queues[source]?.removeFirst() else { return nil }
        if queues[source]?.first == nil { queues[source] = nil }
        count -= 1
        return entry
    }
}
