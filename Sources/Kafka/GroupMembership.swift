import CRdKafka
import Foundation
import Logging
import RuntimeSupport
import Synchronization

/// A consumer-group member that reads nothing: Kafka's group protocol (membership, failure detection by session
/// timeout, partition assignment) decides which partitions of one topic this process owns, and `onAssignment` hears
/// each change. It is how several pipeline instances share streams without a coordinator of their own.
///
/// One thread of its own creates the topic if missing (with `partitions` partitions), subscribes, and polls; the
/// rebalance callback runs on that thread, so `onAssignment` may block (stopping streams) before the group goes on.
/// With the eager protocol every rebalance revokes everything before assigning again; this member reports only the
/// assignment that follows, so partitions it keeps are never reported lost. With the cooperative protocol, revoked
/// partitions are reported before they are released.
public final class GroupMembership: Sendable {

    /// `partition.assignment.strategy`: cooperative-sticky moves only what must move (brokers that support
    /// incremental rebalancing); range and roundrobin are eager (every broker).
    public enum Assignor: String, Sendable, CaseIterable {
        case cooperativeSticky = "cooperative-sticky"
        case range
        case roundrobin
    }

    public struct Settings: Sendable {
        public var bootstrapServers: String
        public var group: String
        public var topic: String
        public var partitions: Int
        public var assignor: Assignor
        public var sessionTimeoutMs: Int
        /// Extra librdkafka properties (`kafka.properties`: security settings and the like).
        public var properties: [(String, String)]

        public init(
            bootstrapServers: String, group: String, topic: String, partitions: Int, assignor: Assignor,
            sessionTimeoutMs: Int, properties: [(String, String)] = []
        ) {
            self.bootstrapServers = bootstrapServers
            self.group = group
            self.topic = topic
            self.partitions = partitions
            self.assignor = assignor
            self.sessionTimeoutMs = sessionTimeoutMs
            self.properties = properties
        }
    }

    /// Where membership stands, for status and readiness.
    public enum Phase: Sendable, Equatable {
        /// Creating or finding the topic (retried while no broker answers; the reason when one failed).
        case starting(String?)
        /// Subscribed; no assignment received yet.
        case joining
        /// Assigned (possibly nothing: more members than partitions).
        case member
        /// Left the group (`leave`).
        case left
    }

    public struct Snapshot: Sendable, Equatable {
        public var phase: Phase
        /// The topic's partition count as the cluster reports it (every member maps by this); nil until known.
        public var partitionCount: Int?
        public var owned: Set<Int32>
        /// Assignments received so far.
        public var rebalances: Int

        public init(phase: Phase, partitionCount: Int?, owned: Set<Int32>, rebalances: Int) {
            self.phase = phase
            self.partitionCount = partitionCount
            self.owned = owned
            self.rebalances = rebalances
        }
    }

    /// librdkafka's consumer API is thread-safe; the pointer is immutable and destroyed once, by `leave`.
    nonisolated(unsafe) private let handle: OpaquePointer
    private let events: Events
    private let pollLoop = Mutex<PollLoop?>(nil)
    private let closing = Atomic<Bool>(false)

    /// Starts at once and returns; the topic, the subscription and the first assignment follow on the member's
    /// thread. `onAssignment` gets the whole set of owned partitions after each change, and the topic's partition
    /// count.
    public init(
        settings: Settings, logger: Logger, clock: ServiceClock = .system,
        onAssignment: @escaping @Sendable (_ owned: Set<Int32>, _ partitionCount: Int) -> Void
    ) throws(KafkaError) {
        var properties = KafkaProperties(settings.properties)
        for (key, value) in [
            ("bootstrap.servers", settings.bootstrapServers),
            ("group.id", settings.group),
            ("client.id", "realtime-analytics-fleet"),
            ("partition.assignment.strategy", settings.assignor.rawValue),
            ("session.timeout.ms", "\(settings.sessionTimeoutMs)"),
            ("heartbeat.interval.ms", "\(max(100, settings.sessionTimeoutMs / 5))"),
            ("enable.auto.commit", "false"),
            ("enable.auto.offset.store", "false"),
            ("auto.offset.reset", "latest"),
            // The topic must not be auto-created by the subscription (with the broker's default partition count).
            ("allow.auto.create.topics", "false"),
        ] {
            properties[key] = value
        }
        events = Events(settings: settings, logger: logger, onAssignment: onAssignment)
        let conf = try properties.makeConf()
        events.install(on: conf)
        rd_kafka_conf_set_rebalance_cb(conf) { client, code, partitions, opaque in
            guard let client, let opaque else { return }
            Unmanaged<Events>.fromOpaque(opaque).takeUnretainedValue().rebalance(client, code, partitions)
        }
        handle = try KafkaError.newClient(RD_KAFKA_CONSUMER, conf: conf, role: "fleet member")
        rd_kafka_poll_set_consumer(handle)
        let events = self.events
        let lastAttemptNs = Atomic<UInt64>(0)
        let loop = PollLoop(name: "fleet member", client: ClientHandle(pointer: handle)) { client in
            if !events.isSubscribed {
                // Once a second while no broker answers (the poll below waits meanwhile).
                let now = clock.uptimeNanoseconds
                let last = lastAttemptNs.load(ordering: .relaxed)
                if last == 0 || now &- last >= 1_000_000_000 {
                    lastAttemptNs.store(now, ordering: .relaxed)
                    _ = events.subscribe(client.pointer)
                }
            }
            if let message = rd_kafka_consumer_poll(client.pointer, 100) {
                rd_kafka_message_destroy(message)  // Nothing is read from the assignment topic.
            }
            return true
        }
        pollLoop.withLock { $0 = loop }
    }

    deinit {
        leave()
    }

    public var snapshot: Snapshot { events.state.withLock { $0 } }

    /// Leaves the group: the owned partitions are reported revoked (an empty assignment) and the group rebalances
    /// them to the other members at once, without waiting for the session timeout. Blocking (a group leave takes a
    /// moment; a broker stuck in a rebalance can hold it for seconds); only the first call does it, later calls
    /// return at once.
    public func leave() {
        guard !closing.exchange(true, ordering: .acquiringAndReleasing) else { return }
        pollLoop.withLock { $0 }?.stopAndWait()
        rd_kafka_consumer_close(handle)
        events.left()
        rd_kafka_destroy(handle)
    }

    /// The member's state, reached from librdkafka's callbacks through the opaque pointer.
    final class Events: ClientEvents, Sendable {
        let logger: Logger
        let settings: Settings
        let state: Mutex<Snapshot>
        private let onAssignment: @Sendable (Set<Int32>, Int) -> Void
        private let subscribed = Atomic<Bool>(false)
        private let outage = OutageLog()

        init(settings: Settings, logger: Logger, onAssignment: @escaping @Sendable (Set<Int32>, Int) -> Void) {
            self.settings = settings
            self.logger = logger
            self.onAssignment = onAssignment
            state = Mutex(Snapshot(phase: .starting(nil), partitionCount: nil, owned: [], rebalances: 0))
        }

        var isSubscribed: Bool { subscribed.load(ordering: .relaxed) }

        /// Makes sure the topic exists, learns its partition count, subscribes. False (with the reason kept for
        /// status) while no broker answers; called again a second later.
        func subscribe(_ client: OpaquePointer) -> Bool {
            do throws(KafkaError) {
                let count = try TopicAdmin.ensureTopic(
                    client, name: settings.topic, partitions: settings.partitions, timeoutMs: 5000)
                if count != settings.partitions {
                    logger.warning(
                        "fleet: topic \(settings.topic) has \(count) partitions, not the configured \(settings.partitions); every instance maps streams by the topic's \(count)"
                    )
                }
                let list = rd_kafka_topic_partition_list_new(1)
                defer { rd_kafka_topic_partition_list_destroy(list) }
                rd_kafka_topic_partition_list_add(list, settings.topic, RD_KAFKA_PARTITION_UA)
                let result = rd_kafka_subscribe(client, list)
                guard result == RD_KAFKA_RESP_ERR_NO_ERROR else {
                    throw KafkaError(result, context: "cannot subscribe to \(settings.topic)")
                }
                state.withLock {
                    $0.partitionCount = count
                    $0.phase = .joining
                }
                subscribed.store(true, ordering: .relaxed)
                outage.ended(logger, "fleet: \(settings.bootstrapServers) answers again")
                logger.info(
                    "fleet: joining group \(settings.group) on \(settings.topic) (\(count) partitions, assignor \(settings.assignor.rawValue))"
                )
                return true
            } catch {
                state.withLock { $0.phase = .starting(error.description) }
                outage.began(logger, "fleet: \(error); retrying every second")
                return false
            }
        }

        /// librdkafka's rebalance callback (the member's poll thread).
        func rebalance(
            _ client: OpaquePointer, _ code: rd_kafka_resp_err_t,
            _ partitions: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
        ) {
            let cooperative = String(cString: rd_kafka_rebalance_protocol(client)) == "COOPERATIVE"
            let listed = Set(Self.partitions(partitions))
            switch code {
            case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
                if cooperative {
                    Self.check(rd_kafka_incremental_assign(client, partitions), logger: logger)
                } else {
                    rd_kafka_assign(client, partitions)
                }
                let (owned, count) = state.withLock {
                    $0.owned = cooperative ? $0.owned.union(listed) : listed
                    $0.phase = .member
                    $0.rebalances += 1
                    return ($0.owned, $0.partitionCount ?? settings.partitions)
                }
                logger.info(
                    "fleet: assigned \(owned.count) of \(count) partitions",
                    metadata: ["partitions": "\(owned.sorted().map(String.init).joined(separator: ","))"])
                onAssignment(owned, count)
            case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
                if cooperative {
                    // Released only after this returns: the streams are stopped before anyone else starts them.
                    let (owned, count) = state.withLock {
                        $0.owned.subtract(listed)
                        return ($0.owned, $0.partitionCount ?? settings.partitions)
                    }
                    onAssignment(owned, count)
                    Self.check(rd_kafka_incremental_unassign(client, partitions), logger: logger)
                } else {
                    // Eager: everything is revoked and the next assignment follows; the streams keep running
                    // until it says which ones moved.
                    rd_kafka_assign(client, nil)
                }
            default:
                logger.warning("fleet: rebalance failed (\(KafkaError.text(code))); rejoining")
                rd_kafka_assign(client, nil)
            }
        }

        /// After the group is left: nothing is owned.
        func left() {
            let (owned, count) = state.withLock {
                let hadAny = !$0.owned.isEmpty
                $0.owned = []
                $0.phase = .left
                return (hadAny ? Set<Int32>() : nil, $0.partitionCount ?? settings.partitions)
            }
            if let owned { onAssignment(owned, count) }
        }

        func clientError(_ code: Int32, reason: String) {
            switch rd_kafka_resp_err_t(rawValue: code) {
            case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, RD_KAFKA_RESP_ERR__TRANSPORT, RD_KAFKA_RESP_ERR__RESOLVE:
                outage.began(logger, "fleet: cannot reach \(settings.bootstrapServers) (\(reason)); retrying")
            default:
                logger.error("fleet: Kafka error: \(reason)")
            }
        }

        private static func partitions(_ list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?) -> [Int32] {
            guard let list else { return [] }
            return (0..<Int(list.pointee.cnt)).map { list.pointee.elems[$0].partition }
        }

        private static func check(_ error: OpaquePointer?, logger: Logger) {
            guard let error else { return }
            logger.error("fleet: \(String(cString: rd_kafka_error_string(error)))")
            rd_kafka_error_destroy(error)
        }
    }
}
