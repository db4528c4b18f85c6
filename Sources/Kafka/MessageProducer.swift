/// What a sink needs of a producer: queue a message without blocking, count what never got queued, report every
/// outcome. `KafkaProducer` is the real one; tests give sinks one that scripts each outcome.
public protocol MessageProducer: Sendable {
    var bootstrapServers: String { get }
    /// Larger messages are refused (`ProduceOutcome.tooLarge`).
    var maximumMessageBytes: Int { get }
    /// Every message's outcome so far.
    var counters: DeliveryCounters { get }
    /// Whether the cluster answers (for `/readyz`).
    var brokerStatus: BrokerProbe.Status { get }
    /// Queues one message (never blocks); counts it as produced only when queued.
    func produce(
        topic: String, key: String, value: UnsafeRawBufferPointer, headers: [(name: String, value: String)],
        tag: UInt64
    ) -> ProduceOutcome
    /// Counts a message the caller gave up on (it is counted as produced and dropped).
    func recordDropped(_ reason: DropReason)
    /// Waits up to `seconds` for every queued message's outcome; false when some are still in flight.
    func flush(waitingAtMost seconds: Double) -> Bool
    func close(waitingAtMost seconds: Double)
    /// Asks the cluster about `topic` (blocking up to `seconds`).
    func topicStatus(_ topic: String, waitingAtMost seconds: Double) -> TopicStatus
}

extension KafkaProducer: MessageProducer {}
