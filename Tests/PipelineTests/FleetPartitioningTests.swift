import AnalyticsCore
import Foundation
import Testing
import VideoFrames

@testable import Pipeline

/// How fleet mode maps streams to partitions, and how a stream that moves gets a clean lane.
@Suite("Fleet partitioning and moving streams", .timeLimit(.minutes(1)))
struct FleetPartitioningTests {
    private func ids(_ count: Int, prefix: String = "camera-") -> [String] { (1...count).map { "\(prefix)\($0)" } }

    @Test("a stream's home partition is FNV-1a of its id: fixed values, the same in every process")
    func homes() {
        // FNV-1a 64 of "" is the offset basis; of "a" a published test vector.
        let basis: UInt64 = 0xcbf2_9ce4_8422_2325, ofA: UInt64 = 0xaf63_dc4c_8601_ec8c
        #expect(StreamPartitioning.home(of: "", partitions: 1 << 16) == Int(basis % (1 << 16)))
        #expect(StreamPartitioning.home(of: "a", partitions: 1 << 16) == Int(ofA % (1 << 16)))
        #expect(StreamPartitioning.home(of: "a", partitions: 1000) == Int(ofA % 1000))
        #expect(StreamPartitioning.home(of: "camera-1", partitions: 1) == 0)
    }

    @Test(
        "with at least as many partitions as streams each partition holds at most one stream; with fewer, loads differ by at most one"
    )
    func spread() {
        for (streams, partitions) in [(12, 12), (12, 64), (32, 64), (32, 32), (300, 64), (7, 3), (1, 1)] {
            let mapped = StreamPartitioning.partitions(of: ids(streams), partitions: partitions)
            #expect(mapped.allSatisfy { (0..<Int32(partitions)).contains($0) })
            let load = Dictionary(grouping: mapped, by: { $0 }).mapValues(\.count)
            if streams <= partitions {
                #expect(load.values.allSatisfy { $0 == 1 }, "\(streams) streams in \(partitions) partitions: \(load)")
            } else {
                let counts = (0..<Int32(partitions)).map { load[$0] ?? 0 }
                #expect(
                    (counts.max() ?? 0) - (counts.min() ?? 0) <= 1,
                    "\(streams) streams in \(partitions) partitions: \(counts)")
            }
        }
    }

    @Test("the mapping depends on the set of ids, not their order; adding a stream moves at most one other")
    func stable() {
        let names = ids(20)
        let mapped = StreamPartitioning.partitions(of: names, partitions: 64)
        let reversed = StreamPartitioning.partitions(of: names.reversed(), partitions: 64)
        #expect(Array(reversed.reversed()) == mapped)
        // Adding a stream moves at most the streams that collide with it.
        let grown = StreamPartitioning.partitions(of: names + ["camera-new"], partitions: 64)
        let movedCount = zip(mapped, grown).filter { $0 != $1 }.count
        #expect(movedCount <= 1, "adding one stream moved \(movedCount) others")
        // One that takes its home before the others (ids in order) may push at most one of them along.
        let first = StreamPartitioning.partitions(of: ["camera-0"] + names, partitions: 64)
        let pushed = zip(mapped, first.dropFirst()).filter { $0 != $1 }.count
        #expect(pushed <= 1, "adding camera-0 moved \(pushed) others")
    }

    @Test("a renewed lane replaces a stream's lane at once when it is in its slot, and drops the waiting frame")
    func renewInSlot() throws {
        let scheduler = FrameScheduler(detectFPS: [0])
        scheduler.deliverNewest(frame(0, 0))
        let fresh = StreamLane(
            index: 0, streamID: "s0", runID: "run-2", tracker: nil, usesMediaTime: false,
            wantsPreviews: false, previewIntervalNs: 0)
        scheduler.renew(fresh)
        #expect(scheduler.counters()[0].dropped == 1, "the stopped stream's waiting frame is not analysed")
        scheduler.deliverNewest(frame(0, 1))
        let taken = try #require(scheduler.next())
        #expect(taken.lane === fresh && taken.frame.index == 1)
        scheduler.complete(taken)
        scheduler.stop()
    }

    @Test("a lane renewed while a worker holds the old one takes its place when the worker completes")
    func renewWhileBusy() throws {
        let scheduler = FrameScheduler(detectFPS: [0])
        scheduler.deliverNewest(frame(0, 0))
        let held = try #require(scheduler.next())
        let fresh = StreamLane(
            index: 0, streamID: "s0", runID: "run-2", tracker: nil, usesMediaTime: false,
            wantsPreviews: false, previewIntervalNs: 0)
        scheduler.renew(fresh)
        scheduler.complete(held)
        scheduler.deliverNewest(frame(0, 1))
        let next = try #require(scheduler.next())
        #expect(next.lane === fresh && next.lane !== held.lane)
        scheduler.complete(next)
        scheduler.stop()
    }

    private func frame(_ stream: Int, _ index: Int64) -> Frame {
        Frame(
            streamIndex: stream, streamID: "s\(stream)", index: index, captureTimeMs: 0, captureUptimeNs: 0,
            ptsSeconds: nil, pixels: PixelBuffer(width: 2, height: 2), motion: nil)
    }
}
