import AnalyticsCore
import Foundation
import Kafka
import Logging
import Synchronization
import TestSupport
import Testing

@testable import Pipeline

/// A consumer group whose assignments the test gives, as librdkafka's rebalance callback does on the member's poll
/// thread: the fleet member's reaction (which streams its roster runs) without a broker or waiting.
final class ScriptedGroup: FleetMembership {
    private let state = Mutex<(snapshot: GroupMembership.Snapshot, onAssignment: FleetMember.OnAssignment?)>(
        (GroupMembership.Snapshot(phase: .joining, partitionCount: 12, owned: [], rebalances: 0), nil))

    func joined(_ onAssignment: @escaping FleetMember.OnAssignment) -> ScriptedGroup {
        state.withLock { $0.onAssignment = onAssignment }
        return self
    }

    var snapshot: GroupMembership.Snapshot { state.withLock { $0.snapshot } }

    /// The group's next assignment for this member: the whole set it owns now.
    func assign(_ owned: Set<Int32>) {
        let (handler, count) = state.withLock { state in
            state.snapshot.owned = owned
            state.snapshot.phase = .member
            state.snapshot.rebalances += 1
            return (state.onAssignment, state.snapshot.partitionCount ?? 12)
        }
        handler?(owned, count)
    }

    func leave() {
        let handler = state.withLock { state in
            state.snapshot.owned = []
            state.snapshot.phase = .left
            return state.onAssignment
        }
        handler?([], 12)
    }
}

@Suite("Fleet rebalances in process", .timeLimit(.minutes(1)))
struct FleetInProcessTests {
    static let streamIDs = (1...12).map { "cam-\($0)" }

    struct Member {
        let name: String
        let roster: StreamRoster
        let scheduler: FrameScheduler
        let group = ScriptedGroup()
        let fleet: FleetMember

        init(_ name: String) throws {
            var configuration = Configuration()
            // Sources that never open: the readers retry until stopped, which is all a roster needs here.
            configuration.streams = FleetInProcessTests.streamIDs.map {
                StreamConfiguration(id: $0, source: .file(path: "/nonexistent/\($0).mp4"))
            }
            configuration.fleet.enabled = true
            configuration.fleet.partitions = 12
            configuration.fleet.group = "fleet-under-test"
            self.name = name
            scheduler = FrameScheduler(detectFPS: FleetInProcessTests.streamIDs.map { _ in 5 })
            let logger = Logger(label: "fleet-\(name)")
            roster = StreamRoster(configuration: configuration, scheduler: scheduler, logger: logger, instance: name)
            let group = self.group
            fleet = try FleetMember(configuration: configuration, roster: roster, logger: logger) {
                group.joined($0)
            }
        }

        /// The streams this member's roster runs, and each one's reader (to tell a kept stream from a restarted one).
        var running: [String: ObjectIdentifier] {
            Dictionary(
                uniqueKeysWithValues: roster.readers.compactMap { $0 }.map { ($0.stream.id, ObjectIdentifier($0)) })
        }

        func stop() {
            roster.stopAll(waitingAtMost: 2)
            scheduler.stop()
        }
    }

    /// Partitions of the streams, as every member maps them.
    static let partitionOf = Dictionary(
        uniqueKeysWithValues: zip(streamIDs, StreamPartitioning.partitions(of: streamIDs, partitions: 12)))

    static func streams(in partitions: Set<Int32>) -> Set<String> {
        Set(streamIDs.filter { partitions.contains(partitionOf[$0]!) })
    }

    /// Every stream on exactly one of `members`.
    static func everyStreamOnce(_ members: [Member]) -> Bool {
        let all = members.flatMap { $0.running.keys }
        return all.count == streamIDs.count && Set(all) == Set(streamIDs)
    }

    @Test(
        "rebalances: each assignment runs exactly its partitions' streams; a kept stream is not restarted; a leave stops every stream and the others take them; eager and cooperative rounds end with every stream once"
    )
    func rebalances() throws {
        let (a, b, c) = (try Member("a"), try Member("b"), try Member("c"))
        defer { for member in [a, b, c] { member.stop() } }
        #expect(a.fleet.problems == ["fleet: joining group fleet-under-test; no assignment yet"])

        // First assignment: 4 partitions each (one stream per partition with 12 of each).
        a.group.assign([0, 1, 2, 3])
        b.group.assign([4, 5, 6, 7])
        c.group.assign([8, 9, 10, 11])
        #expect(Set(a.running.keys) == Self.streams(in: [0, 1, 2, 3]))
        #expect(Set(b.running.keys) == Self.streams(in: [4, 5, 6, 7]))
        #expect(Self.everyStreamOnce([a, b, c]), "\([a, b, c].map { $0.running.keys.sorted() })")
        #expect(a.fleet.problems.isEmpty)
        #expect(
            a.fleet.summary(runningStreams: a.running.count)
                == "fleet: member of fleet-under-test, 4 of 12 streams, 4 of 12 partitions, 1 assignments")
        let readersBefore = a.running.merging(b.running) { first, _ in first }

        // c leaves (SIGTERM): its streams stop at once; the cooperative round gives them to a and b, who keep theirs.
        c.fleet.leave()
        #expect(c.running.isEmpty, "a member that left runs nothing")
        #expect(c.fleet.problems == ["fleet: left group fleet-under-test (shutting down)"])
        a.group.assign([0, 1, 2, 3, 8, 9])
        b.group.assign([4, 5, 6, 7, 10, 11])
        #expect(Self.everyStreamOnce([a, b]), "\([a, b].map { $0.running.keys.sorted() })")
        for (stream, reader) in readersBefore {
            let now = a.running[stream] ?? b.running[stream]
            #expect(now == reader, "\(stream) kept its member, so its reader was not restarted")
        }

        // An eager round with a new member: every member gets a whole new set; streams that stay are not restarted,
        // the ones that move stop on the old member and start on the new one.
        let d = try Member("d")
        defer { d.stop() }
        let readersOfA = a.running
        a.group.assign([0, 1, 2])
        b.group.assign([4, 5, 6])
        d.group.assign([3, 7, 8, 9, 10, 11])
        #expect(Self.everyStreamOnce([a, b, d]), "\([a, b, d].map { $0.running.keys.sorted() })")
        #expect(Set(d.running.keys) == Self.streams(in: [3, 7, 8, 9, 10, 11]))
        for stream in Self.streams(in: [0, 1, 2]) {
            #expect(a.running[stream] == readersOfA[stream], "\(stream) stayed on a")
        }
        #expect(a.group.snapshot.rebalances == 3)
    }
}
