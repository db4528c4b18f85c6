import AnalyticsCore
import Kafka
import Logging
import Metrics

/// Which partition of the assignment topic each stream belongs to. A stream's home is FNV-1a (64-bit) of its id's
/// UTF-8 bytes modulo the partition count: stable across processes, versions and machines (Swift's `hashValue` is
/// seeded per process), so every instance maps every stream alike. Streams take their homes in id order; one whose
/// home is taken goes to the next partition with the fewest streams. So with at least as many partitions as
/// streams each partition holds at most one stream, and with `partitions` equal to the stream count every assignor
/// gives every instance an even share of streams (the group balances partitions, not streams).
public enum StreamPartitioning {
    public static func home(of streamID: String, partitions: Int) -> Int {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in streamID.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return Int(hash % UInt64(max(1, partitions)))
    }

    /// The partition of each stream, in the order of `streamIDs`.
    public static func partitions(of streamIDs: [String], partitions count: Int) -> [Int32] {
        let count = max(1, count)
        var load = [Int](repeating: 0, count: count)
        var result = [Int32](repeating: 0, count: streamIDs.count)
        for index in streamIDs.indices.sorted(by: { streamIDs[$0] < streamIDs[$1] }) {
            let least = load.min() ?? 0
            var partition = home(of: streamIDs[index], partitions: count)
            while load[partition] != least { partition = (partition + 1) % count }
            load[partition] += 1
            result[index] = Int32(partition)
        }
        return result
    }
}

/// What the fleet member needs of its consumer group: where membership stands, and a leave. `GroupMembership`
/// (Kafka) is the real one; the in-process tests script the group's assignments.
protocol FleetMembership: Sendable {
    var snapshot: GroupMembership.Snapshot { get }
    func leave()
}

extension GroupMembership: FleetMembership {}

/// This instance's membership of the fleet (`fleet:`): the group's assignment decides which streams the roster
/// runs. Lost streams are stopped before the group goes on (cooperative) or as the new assignment arrives (eager);
/// gained streams start in a run of their own, so consumers reset them cleanly.
final class FleetMember: Sendable {
    private let membership: any FleetMembership
    private let streamIDs: [String]
    private let settings: FleetConfiguration

    /// Each assignment (the owned partitions, the topic's partition count) as the group gives it.
    typealias OnAssignment = @Sendable (_ owned: Set<Int32>, _ partitionCount: Int) -> Void

    convenience init(configuration: Configuration, roster: StreamRoster, logger: Logger) throws(KafkaError) {
        let fleet = configuration.fleet
        try self.init(configuration: configuration, roster: roster, logger: logger) { onAssignment throws(KafkaError) in
            try GroupMembership(
                settings: .init(
                    bootstrapServers: configuration.kafka.bootstrapServers, group: fleet.group,
                    topic: fleet.assignmentTopic, partitions: fleet.partitions,
                    assignor: GroupMembership.Assignor(rawValue: fleet.assignor.rawValue) ?? .roundrobin,
                    sessionTimeoutMs: fleet.sessionTimeoutMs,
                    properties: configuration.kafka.properties.map { ($0.key, $0.value) }),
                logger: logger, onAssignment: onAssignment)
        }
    }

    /// Joins through `join`, which is given what to do with each assignment.
    init(
        configuration: Configuration, roster: StreamRoster, logger: Logger,
        join: (@escaping OnAssignment) throws(KafkaError) -> any FleetMembership
    ) throws(KafkaError) {
        let fleet = configuration.fleet
        settings = fleet
        let streamIDs = configuration.streams.map(\.id)
        self.streamIDs = streamIDs
        let ownedStreams = Gauge(label: "pipeline_fleet_streams")
        let ownedPartitions = Gauge(label: "pipeline_fleet_partitions")
        let assignments = Counter(label: "pipeline_fleet_assignments_total")
        membership = try join { owned, partitionCount in
            let partitions = StreamPartitioning.partitions(of: streamIDs, partitions: partitionCount)
            let wanted = Set(streamIDs.indices.filter { owned.contains(partitions[$0]) })
            let (stopped, started) = roster.run(only: wanted)
            assignments.increment()
            ownedStreams.record(wanted.count)
            ownedPartitions.record(owned.count)
            if !stopped.isEmpty || !started.isEmpty {
                logger.info(
                    "fleet: running \(wanted.count) of \(streamIDs.count) streams",
                    metadata: [
                        "stopped": "\(stopped.map { streamIDs[$0] }.joined(separator: ","))",
                        "started": "\(started.map { streamIDs[$0] }.joined(separator: ","))",
                    ])
            }
        }
    }

    /// Leaves the group (its streams move to the other instances at once) and stops this instance's streams.
    /// Blocking.
    func leave() {
        membership.leave()
    }

    /// One line for the status output, e.g. `fleet: member of realtime-analytics, 4 of 12 streams, 21 of 64
    /// partitions, 3 assignments`.
    func summary(runningStreams: Int) -> String {
        let snapshot = membership.snapshot
        let partitions = snapshot.partitionCount.map(String.init) ?? "?"
        let phase: String
        switch snapshot.phase {
        case .starting(let reason): phase = "starting" + (reason.map { " (\($0))" } ?? "")
        case .joining: phase = "joining \(settings.group)"
        case .member: phase = "member of \(settings.group)"
        case .left: phase = "left \(settings.group)"
        }
        return
            "fleet: \(phase), \(runningStreams) of \(streamIDs.count) streams, \(snapshot.owned.count) of \(partitions) partitions, \(snapshot.rebalances) assignments"
    }

    /// Why this instance is not (yet) a working member; empty when it is.
    var problems: [String] {
        switch membership.snapshot.phase {
        case .member: []
        case .starting(let reason):
            ["fleet: cannot join group \(settings.group) yet" + (reason.map { " (\($0))" } ?? "")]
        case .joining: ["fleet: joining group \(settings.group); no assignment yet"]
        case .left: ["fleet: left group \(settings.group) (shutting down)"]
        }
    }
}
