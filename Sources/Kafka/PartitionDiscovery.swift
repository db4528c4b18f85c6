import CRdKafka
import Foundation
import Logging
import Synchronization

/// `KafkaConsumer.Start.everyPartition`: finds the topics' partitions (at start and every 5 s, so a topic created
/// later and added partitions are read too) and assigns each new one at the offset `resumeOffsets` gives. Runs on the
/// consumer's poll thread.
final class PartitionDiscovery: Sendable {
    private let topics: [String]
    private let resumeOffsets: @Sendable ([TopicPartition]) -> [TopicPartition: Int64]?
    private let logger: Logger
    private let state = Mutex<(assigned: Set<TopicPartition>, lastCheckNs: UInt64?)>(([], nil))
    static let intervalNs: UInt64 = 5_000_000_000

    init(
        topics: [String], resumeOffsets: @escaping @Sendable ([TopicPartition]) -> [TopicPartition: Int64]?,
        logger: Logger
    ) {
        self.topics = topics
        self.resumeOffsets = resumeOffsets
        self.logger = logger
    }

    func assignNewPartitionsIfDue(_ client: OpaquePointer) {
        let now = DispatchTime.now().uptimeNanoseconds
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
        let list = rd_kafka_topic_partition_list_new(Int32(found.count))
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for partition in found {
            // The stored offset, else the group's committed one (then auto.offset.reset).
            rd_kafka_topic_partition_list_add(list, partition.topic, partition.partition)?.pointee.offset =
                stored[partition] ?? Int64(RD_KAFKA_OFFSET_STORED)
        }
        if let error = rd_kafka_incremental_assign(client, list) {
            logger.error("Kafka consumer: cannot assign \(found.count) partitions: \(String(cString: rd_kafka_error_string(error)))")
            rd_kafka_error_destroy(error)
            return
        }
        state.withLock { $0.assigned.formUnion(found) }
        logger.info(
            "Kafka consumer: reading \(found.count) more partitions",
            metadata: [
                "from": "\(found.sorted().map { "\($0)@\(stored[$0].map(String.init) ?? "committed")" }.joined(separator: ","))"
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
