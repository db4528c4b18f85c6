import CRdKafka
import Foundation
import Logging
import RuntimeSupport
import Synchronization

/// A librdkafka consumer that owns its handle and polls on a thread of its own. Messages are read as an
/// `AsyncSequence` (`messages`, a `MessageChannel`); `close` leaves the group and destroys the handle.
public final class KafkaConsumer: MessageSource {
    /// librdkafka's consumer API is thread-safe; the pointer is immutable and destroyed once, by `close`.
    nonisolated(unsafe) private let handle: OpaquePointer
    private let channel: MessageChannel
    private let logger: Logger
    private let events: ConsumerEvents
    /// open (with its poll loop) → closed: the one transition `close` makes.
    private let pollLoop = Mutex<PollLoop?>(nil)

    /// Consumer properties suited to this product: a group, where a new group starts, and a receive limit large
    /// enough for previews (noida-db, the test broker, ignores fetch size limits, so the receive buffer must hold a
    /// whole fetch). Then `overrides` verbatim (`kafka.properties`: SASL/TLS settings apply to consumers as well).
    public static func properties(
        bootstrapServers: String, groupID: String, startAtNewest: Bool, overrides: [(key: String, value: String)] = []
    ) -> KafkaProperties {
        var properties = KafkaProperties([
            ("bootstrap.servers", bootstrapServers),
            ("group.id", groupID),
            ("client.id", "realtime-analytics-consumer"),
            ("auto.offset.reset", startAtNewest ? "latest" : "earliest"),
            ("fetch.max.bytes", "52428800"),
            ("receive.message.max.bytes", "104857600"),
            // A subscribed topic that appears later (the events topic is created by the first event) is found
            // within 5 s, not librdkafka's default 5 min.
            ("topic.metadata.refresh.interval.ms", "5000"),
            // Reading again within a second of a broker's return (librdkafka's default backoff grows to 10 s).
            ("reconnect.backoff.max.ms", "1000"),
            // A live consumer that dies hands its partitions on within 10 s, not librdkafka's default 45 s. Tansu also
            // holds a new group's first join for about half of it (measured: a dashboard on a new group saw its
            // first message after 20-25 s with the default, 5-6 s with this).
            ("session.timeout.ms", "10000"),
        ])
        for (key, value) in overrides { properties[key] = value }
        return properties
    }

    /// Where a consumer starts reading.
    public enum Start: Sendable, Equatable {
        /// Joins `group.id` and subscribes: the group's committed offsets, else `auto.offset.reset`.
        case group
        /// Every partition of the topics from its first message stamped at or after this time (ms since the epoch),
        /// found by the broker's offsets-for-times index (no scan), without joining a group or committing. With
        /// `finishAtEnd`, `messages` ends once every partition has been read to its end.
        case time(Int64, finishAtEnd: Bool)
        /// Every partition of the topics, found as they appear (checked every 5 s), with no consumer group: for a
        /// sink that stores its offsets with its data, in one transaction. Each partition starts at the offset
        /// `resumeOffsets` gives, else where `auto.offset.reset` says; a partition whose stored offset cannot be read
        /// (nil) waits for the next check. The group (`group.id`) is never joined and nothing is committed.
        case everyPartition
    }

    /// Joins `properties["group.id"]` and subscribes to `topics` (or reads them from a time, or reads every
    /// partition: `start`). `bufferCapacity` bounds the messages waiting for the reader. With `Start.everyPartition`,
    /// `resumeOffsets` says where each partition starts (it runs on the poll thread and may block).
    /// With `Start.time`, the topics of `optionalTopics` (a subset of `topics`) are read when they exist and left
    /// out when the cluster does not know them (yet); any other topic that is missing is an error.
    public init(
        properties: KafkaProperties, topics: [String], optionalTopics: Set<String> = [], start: Start = .group,
        bufferCapacity: Int = 1024,
        resumeOffsets: (@Sendable ([TopicPartition]) -> [TopicPartition: Int64]?)? = nil, clock: ServiceClock = .system,
        logger: Logger
    )
        throws(KafkaError)
    {
        guard properties["group.id"] != nil else { throw KafkaError("a Kafka consumer needs group.id") }
        var properties = properties
        if start == .everyPartition {
            // The group is never joined (librdkafka's consumer needs its id all the same); nothing is committed.
            properties["enable.auto.commit"] = "false"
        }
        if case .time(_, let finishAtEnd) = start {
            properties["enable.auto.commit"] = "false"
            properties["enable.partition.eof"] = finishAtEnd ? "true" : "false"
        }
        self.logger = logger
        channel = MessageChannel(capacity: bufferCapacity)
        events = ConsumerEvents(
            logger: logger, bootstrapServers: properties["bootstrap.servers"] ?? "localhost:9092", clock: clock)
        let conf = try properties.makeConf()
        events.install(on: conf)

        // Readiness needs the broker states of a group member only. A consumer positioned by time (a replay, a read
        // of a window) may sit paused on a full buffer for minutes, and statistics nobody polls would pile up.
        switch start {
        case .group, .everyPartition: BrokerProbe.install(on: conf)
        case .time: break
        }
        let handle = try KafkaError.newClient(RD_KAFKA_CONSUMER, conf: conf, role: "consumer")
        self.handle = handle
        rd_kafka_poll_set_consumer(handle)
        var partitionsToFinish = 0
        do throws(KafkaError) {
            switch start {
            case .group:
                try Self.subscribe(handle, topics: topics)
            case .time(let timestampMs, let finishAtEnd):
                let assigned = try Self.assign(
                    handle, topics: topics, optional: optionalTopics, fromTimestampMs: timestampMs)
                partitionsToFinish = finishAtEnd ? assigned : 0
            case .everyPartition:
                break  // the poll thread assigns them (PartitionDiscovery)
            }
        } catch {
            // Every stored property is set by now, so deinit runs: it finds no poll loop and leaves the handle.
            rd_kafka_destroy(handle)
            throw error
        }
        let ended = EndedPartitions()
        let toFinish = partitionsToFinish
        let channel = self.channel
        let logger = self.logger
        let events = self.events
        let discovery =
            start == .everyPartition
            ? PartitionDiscovery(
                topics: topics, resumeOffsets: resumeOffsets ?? { _ in [:] },
                fromBeginning: properties["auto.offset.reset"] != "latest", clock: clock, logger: logger) : nil
        let loop = PollLoop(name: "kafka consumer poll", client: ClientHandle(pointer: handle)) { client in
            // A finished channel takes nothing more: the thread ends (close() then leaves and destroys).
            guard !channel.isFinished else { return false }
            discovery?.assignNewPartitionsIfDue(client.pointer)
            events.countAssignmentIfDue(client.pointer)
            guard let message = rd_kafka_consumer_poll(client.pointer, 100) else { return true }
            defer { rd_kafka_message_destroy(message) }
            let error = message.pointee.err
            if error == RD_KAFKA_RESP_ERR_NO_ERROR {
                events.receiving()
                return channel.sendWaiting(KafkaConsumer.copy(message))
            } else if error == RD_KAFKA_RESP_ERR__PARTITION_EOF {
                guard toFinish > 0 else { return true }
                let topic = message.pointee.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? ""
                let done = ended.partitions.withLock {
                    $0.insert("\(topic)/\(message.pointee.partition)")
                    return $0.count >= toFinish
                }
                if done { channel.finish() }
            } else if rd_kafka_fatal_error(client.pointer, nil, 0) != RD_KAFKA_RESP_ERR_NO_ERROR {
                channel.finish(throwing: KafkaError(error, context: "Kafka consumer failed"))
            } else {
                logger.warning("Kafka consumer: \(KafkaError.text(error))")
            }
            return true
        }
        pollLoop.withLock { $0 = loop }
    }

    deinit {
        close()
    }

    /// Partitions read to their end (`Start.time` with `finishAtEnd`), shared with the poll thread.
    private final class EndedPartitions: Sendable {
        let partitions = Mutex<Set<String>>([])
    }

    private static func subscribe(_ handle: OpaquePointer, topics: [String]) throws(KafkaError) {
        let list = rd_kafka_topic_partition_list_new(Int32(topics.count))
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for topic in topics { rd_kafka_topic_partition_list_add(list, topic, RD_KAFKA_PARTITION_UA) }
        let subscribed = rd_kafka_subscribe(handle, list)
        guard subscribed == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError(subscribed, context: "cannot subscribe to \(topics.joined(separator: ", "))")
        }
    }

    /// Assigns every partition of `topics` at the first offset stamped at or after `timestampMs` (the end where
    /// nothing is that new). Returns the number of partitions.
    private static func assign(
        _ handle: OpaquePointer, topics: [String], optional: Set<String>, fromTimestampMs timestampMs: Int64
    ) throws(KafkaError) -> Int {
        let list = rd_kafka_topic_partition_list_new(8)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for topic in topics {
            let topicHandle = rd_kafka_topic_new(handle, topic, nil)
            defer { if let topicHandle { rd_kafka_topic_destroy(topicHandle) } }
            var metadata: UnsafePointer<rd_kafka_metadata>?
            let asked = rd_kafka_metadata(handle, 0, topicHandle, &metadata, 10_000)
            defer { if let metadata { rd_kafka_metadata_destroy(metadata) } }
            guard asked == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata, metadata.pointee.topic_cnt == 1 else {
                throw KafkaError(asked, context: "cannot read the partitions of \(topic)")
            }
            let entry = metadata.pointee.topics[0]
            if optional.contains(topic) && (entry.err != RD_KAFKA_RESP_ERR_NO_ERROR || entry.partition_cnt == 0) {
                continue
            }
            guard entry.err == RD_KAFKA_RESP_ERR_NO_ERROR, entry.partition_cnt > 0 else {
                throw KafkaError(entry.err, context: "topic \(topic) has no partitions to read")
            }
            for index in 0..<Int(entry.partition_cnt) {
                let partition = rd_kafka_topic_partition_list_add(list, topic, entry.partitions[index].id)
                partition?.pointee.offset = timestampMs  // offsets_for_times reads the time from the offset field
            }
        }
        let found = rd_kafka_offsets_for_times(handle, list, 10_000)
        guard found == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError(found, context: "the broker cannot look up offsets by time")
        }
        let assigned = rd_kafka_assign(handle, list)
        guard assigned == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError(assigned, context: "cannot assign \(topics.joined(separator: ", "))")
        }
        return Int(list?.pointee.cnt ?? 0)
    }

    /// The subscribed topics' messages, in order per partition. One reader at a time.
    public var messages: MessageChannel.Messages { channel.messages }

    /// The next message already fetched, without waiting (nil when none is): for a reader that merges partitions
    /// and wants every message at hand before it chooses. The same single reader as `messages`.
    public func nextBuffered() -> KafkaMessage? { channel.nextBuffered() }

    /// Whether a connection to a broker is up (from librdkafka's statistics, every second), for readiness checks;
    /// `.unknown` for a consumer positioned by time.
    public var brokerStatus: BrokerProbe.Status { events.brokerProbe.status }

    /// Messages between this consumer's position and the end of its partitions (checked every second from the
    /// offsets the fetches bring back); nil before the first check.
    public var lag: Int? {
        let lag = events.lag.load(ordering: .relaxed)
        return lag < 0 ? nil : lag
    }

    /// Moves every assigned partition to its first message stamped at or after `timestampMs` (the broker's
    /// offsets-for-times index), e.g. to skip a backlog and show what is current. Blocking for up to a few
    /// seconds: call off the cooperative pool. Returns the partitions moved.
    @discardableResult
    public func seek(toTimestampMs timestampMs: Int64) throws(KafkaError) -> Int {
        var list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
        let listed = rd_kafka_assignment(handle, &list)
        guard listed == RD_KAFKA_RESP_ERR_NO_ERROR, let list else {
            throw KafkaError(listed, context: "cannot read the assignment")
        }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        guard list.pointee.cnt > 0 else { return 0 }
        for index in 0..<Int(list.pointee.cnt) { list.pointee.elems[index].offset = timestampMs }
        let found = rd_kafka_offsets_for_times(handle, list, 5_000)
        guard found == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError(found, context: "the broker cannot look up offsets by time")
        }
        for index in 0..<Int(list.pointee.cnt) where list.pointee.elems[index].err != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError(list.pointee.elems[index].err, context: "the broker cannot look up offsets by time")
        }
        // Waiting for the fetchers makes sure nothing fetched for the old position comes after; a partition whose
        // fetcher is still starting (just after a rebalance) can make that wait fail at once. Then the seek goes
        // asynchronously, which cannot fail: librdkafka drops what was fetched for the old position as it applies.
        if let failed = rd_kafka_seek_partitions(handle, list, 5_000) {
            logger.debug(
                "Kafka consumer: waiting seek failed (\(KafkaError.text(rd_kafka_error_code(failed)))); seeking asynchronously"
            )
            rd_kafka_error_destroy(failed)
            if let again = rd_kafka_seek_partitions(handle, list, 0) { rd_kafka_error_destroy(again) }
        }
        // What was fetched before the seek and not read yet belongs to the old position.
        channel.discardWaiting()
        return Int(list.pointee.cnt)
    }

    /// Partitions assigned to this consumer by its group (checked every second); nil before the first check.
    public var assignedPartitions: Int? {
        let count = events.assigned.load(ordering: .relaxed)
        return count < 0 ? nil : count
    }

    /// Ends `messages` after what is buffered (a graceful stop: the reader writes what it has, then `close`).
    public func finishReading() {
        channel.finish()
    }

    /// Leaves the group, ends `messages` and destroys the handle. Idempotent. Blocking (a group leave takes a
    /// moment): call off the cooperative pool.
    public func close() {
        // The lock is held to the end, so a second caller returns only once the handle is gone.
        pollLoop.withLock { loop in
            guard let running = loop else { return }
            loop = nil
            channel.finish()
            running.stopAndWait()
            rd_kafka_consumer_close(handle)
            rd_kafka_destroy(handle)
        }
    }

    /// Errors and logs of the consumer's handle (reached through the opaque pointer, no global state).
    final class ConsumerEvents: ClientEvents, BrokerProbing {
        let logger: Logger
        let bootstrapServers: String
        private let outage = OutageLog()
        let brokerProbe = BrokerProbe()
        /// Partitions assigned at the last check (-1: not checked yet) and when that was.
        let assigned = Atomic<Int>(-1)
        /// Messages behind the partitions' ends at the last check (-1: not known yet).
        let lag = Atomic<Int>(-1)
        private let assignmentCheckedNs = Atomic<UInt64>(0)
        private let clock: ServiceClock

        /// Counts the current assignment and the lag at most once a second. Call from the poll thread. The high
        /// watermarks are the ones the last fetches brought back (no request is made).
        func countAssignmentIfDue(_ client: OpaquePointer) {
            let now = clock.uptimeNanoseconds
            let last = assignmentCheckedNs.load(ordering: .relaxed)
            guard last == 0 || now &- last >= 1_000_000_000 else { return }
            assignmentCheckedNs.store(now, ordering: .relaxed)
            var list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
            guard rd_kafka_assignment(client, &list) == RD_KAFKA_RESP_ERR_NO_ERROR, let list else { return }
            defer { rd_kafka_topic_partition_list_destroy(list) }
            assigned.store(Int(list.pointee.cnt), ordering: .relaxed)
            guard rd_kafka_position(client, list) == RD_KAFKA_RESP_ERR_NO_ERROR else { return }
            var behind = 0
            for index in 0..<Int(list.pointee.cnt) {
                let entry = list.pointee.elems[index]
                var low: Int64 = -1, high: Int64 = -1
                guard entry.offset >= 0,
                    rd_kafka_get_watermark_offsets(client, entry.topic, entry.partition, &low, &high)
                        == RD_KAFKA_RESP_ERR_NO_ERROR, high >= entry.offset
                else { continue }
                behind += Int(high - entry.offset)
            }
            lag.store(behind, ordering: .relaxed)
        }

        init(logger: Logger, bootstrapServers: String, clock: ServiceClock) {
            self.clock = clock
            self.logger = logger
            self.bootstrapServers = bootstrapServers
        }

        func clientError(_ code: Int32, reason: String) {
            switch rd_kafka_resp_err_t(rawValue: code) {
            case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, RD_KAFKA_RESP_ERR__TRANSPORT, RD_KAFKA_RESP_ERR__RESOLVE:
                outage.began(logger, "Kafka: cannot reach \(bootstrapServers) (\(reason)); retrying")
            default:
                logger.error("Kafka consumer error: \(reason)")
            }
        }

        func receiving() {
            outage.ended(logger, "Kafka: receiving from \(bootstrapServers) again")
        }
    }

    private static func copy(_ message: UnsafeMutablePointer<rd_kafka_message_t>) -> KafkaMessage {
        let raw = message.pointee
        let value = raw.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: raw.len)) } ?? []
        let key = raw.key.map { Array(UnsafeRawBufferPointer(start: $0, count: raw.key_len)) }
        var headers: [(name: String, value: [UInt8])] = []
        var headerList: OpaquePointer?
        if rd_kafka_message_headers(message, &headerList) == RD_KAFKA_RESP_ERR_NO_ERROR, let headerList {
            var index = 0
            var name: UnsafePointer<CChar>?
            var headerValue: UnsafeRawPointer?
            var size = 0
            while rd_kafka_header_get_all(headerList, index, &name, &headerValue, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
                let bytes = headerValue.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) } ?? []
                headers.append((name.map { String(cString: $0) } ?? "", bytes))
                index += 1
            }
        }
        var timestampType = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let timestamp = rd_kafka_message_timestamp(message, &timestampType)
        return KafkaMessage(
            topic: raw.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? "",
            partition: raw.partition, offset: raw.offset, key: key, value: value, headers: headers,
            timestampMs: timestampType == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? nil : timestamp)
    }
}
