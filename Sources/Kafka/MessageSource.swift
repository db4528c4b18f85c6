/// What a reader of the bus needs from its consumer: the messages, where the consumer stands, a seek by time, and
/// a stop. `KafkaConsumer` is the real one; the in-process tests drive the same readers from a script (partitions,
/// lag, seeks) without a broker.
public protocol MessageSource: AnyObject, Sendable {
    /// The messages, in order per partition; one reader at a time.
    var messages: MessageChannel.Messages { get }
    /// The next message already at hand, without waiting (nil when none is).
    func nextBuffered() -> KafkaMessage?
    /// Whether a connection to a broker is up.
    var brokerStatus: BrokerProbe.Status { get }
    /// Messages between the position and the end of the partitions; nil before it is known.
    var lag: Int? { get }
    /// Partitions assigned; nil before it is known.
    var assignedPartitions: Int? { get }
    /// Moves every assigned partition to its first message stamped at or after `timestampMs`; returns how many
    /// moved. Blocking: call off the cooperative pool.
    @discardableResult
    func seek(toTimestampMs timestampMs: Int64) throws(KafkaError) -> Int
    /// Ends `messages` after what is at hand.
    func finishReading()
    /// Ends `messages` and releases the consumer (a group member leaves). Blocking; idempotent.
    func close()
}
