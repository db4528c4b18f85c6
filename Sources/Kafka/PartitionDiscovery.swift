import CRdKafka
import Foundation
import Logging
import RuntimeSupport
import Synchronization

/// `KafkaConsumer.Start.everyPartition`: finds the topics' partitions (at start and every 5 s, so a topic created
/// later and added partitions are read too) and assigns each new one at the offset `resumeOffsets` gives. Runs on the
/// consumer's poll thread.
final class PartitionDiscovery: Sendable {
    private let topics: [String]
    private let resumeOffsets: @Sendable ([TopicPartition]) -> [TopicPartition: Int64]?
    private let logger: Logger
    /// Where a partition without a stored offset starts: the beginning, or the end (`auto.offset.reset`).
    private let fromBeginning: Bool
    private let clock: ServiceClock
    private let state = Mutex<
        (assigned: Set<TopicPartition>, lastCheckNs: UInt64?, startOffsets: [TopicPartition: Int64])
    >(
        ([], nil, [:]))
    static let intervalNs: UInt64 = 5_000_000_000

    init(
        topics: [String], resumeOffsets: @escaping @Sendable ([TopicPartition]) -> [TopicPartition: Int64]?,
        fromBeginning: Bool, clock: ServiceClock, logger: Logger
    ) {
        self.clock = clock
        self.topics = topics
        self.fromBeginning = fromBeginning
        self.resumeOffsets = resumeOffsets
        self.logger = logger
    }

    func assignNewPartitionsIfDue(_ client: OpaquePointer) {
        let now = clock.uptimeNanoseconds
        let (due, assigned) = state.withLock { state -> (Bool, Set<TopicPartition>) in
            if let last = state.lastCheckNs, now &- last < Self.intervalNs { return (false, []) }
            state.lastCheckNs = now
            return (true, state.assigned)
        }
        guard due else { return }
        let found = topics.flatMap { partitions(of: $0, client) }.filter { !assigned.contains($0) }
        guard !found.isEmpty else { return }
        guard let stored = resumeOffsets(found) else {
            logger.warning("Kafka consumer: the stored offsets could not be read; \(found.count) partitions wait")
            return
        }
        // The whole assignment is set again (incremental assignment needs a joined group): the partitions read so far
        // go on from their positions (where the application got to: anything fetched after
        // it comes again, and the sink's stored offsets pass over what it already holds).
        var current: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
        guard rd_kafka_assignment(client, &current) == RD_KAFKA_RESP_ERR_NO_ERROR, let current else { return }
        defer { rd_kafka_topic_partition_list_destroy(current) }
        _ = rd_kafka_position(client, current)
        let list = rd_kafka_topic_partition_list_copy(current)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for partition in found {
            // The stored offset, else the beginning or the end.
            rd_kafka_topic_partition_list_add(list, partition.topic, partition.partition)?.pointee.offset =
                stored[partition] ?? Int64(fromBeginning ? RD_KAFKA_OFFSET_BEGINNING : RD_KAFKA_OFFSET_END)
        }
        if let list {
            for index in 0..<Int(list.pointee.cnt) where list.pointee.elems[index].offset < 0 {
                // A partition read so far but with no position yet (nothing consumed): where it started.
                let entry = list.pointee.elems[index]
                let key = TopicPartition(topic: String(cString: entry.topic), partition: entry.partition)
                if !found.contains(key) {
                    list.pointee.elems[index].offset =
                        state.withLock { $0.startOffsets[key] }
                        ?? Int64(fromBeginning ? RD_KAFKA_OFFSET_BEGINNING : RD_KAFKA_OFFSET_END)
                }
            }
        }
        let result = rd_kafka_assign(client, list)
        guard result == RD_KAFKA_RESP_ERR_NO_ERROR else {
            logger.error(
                "Kafka consumer: cannot assign \(found.count) partitions: \(String(cString: rd_kafka_err2str(result)))"
            )
            return
        }
        state.withLock {
            for partition in found {
                $0.startOffsets[partition] =
                    stored[partition] ?? Int64(fromBeginning ? RD_KAFKA_OFFSET_BEGINNING : RD_KAFKA_OFFSET_END)
            }
        }
        state.withLock { $0.assigned.formUnion(found) }
        logger.info(
            "Kafka consumer: reading \(found.count) more partitions",
            metadata: [
                "from":
                    "\(found.sorted().map { "\($0)@\(stored[$0].map(String.init) ?? (fromBeginning ? "beginning" : "end"))" }.joined(separator: ","))"
            ])
    }

    /// The partitions of `topic` (none while it does not exist).
    private func partitions(of topic: String, _ client: OpaquePointer) -> [TopicPartition] {
        let topicHandle = rd_kafka_topic_new(client, topic, nil)
        defer { if let topicHandle { rd_kafka_topic_destroy(topicHandle) } }
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let asked = rd_kafka_metadata(client, 0, topicHandle, &metadata, 2_000)
        defer { if let metadata { rd_kafka_metadata_destroy(metadata) } }
        guard asked == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata, metadata.pointee.topic_cnt == 1 else { return [] }
        let entry = metadata.pointee.topics[0]
        guard entry.err == RD_KAFKA_RESP_ERR_NO_ERROR else { return [] }
        return (0..<Int(entry.partition_cnt)).map { TopicPartition(topic: topic, partition: entry.partitions[$0].id) }
    }
}
