import AnalyticsCore
import Foundation
import Logging
import Messages
import Synchronization
import TestSupport
import Testing
import VideoFrames
import VideoIngest

@testable import Pipeline

/// A sink that keeps what it is given.
private final class CollectingSink: ResultSink {
    let name = "collect"
    let published = Mutex<[(result: FrameResult, withPreview: Bool)]>([])

    func publish(_ result: FrameResult, frame: Frame, withPreview: Bool) {
        published.withLock { $0.append((result, withPreview)) }
    }

    func close(waitingAtMost seconds: Double) {}

    var counters: SinkCounters {
        let count = published.withLock { $0.count }
        return SinkCounters(accepted: count, written: count)
    }
}

/// An analyzer that reports one fixed track per frame, stamped with the frame's index.
private final class StampingAnalyzer: FrameAnalyzer {
    var batchSize: Int { 2 }
    func analyze(_ frames: [TakenFrame]) -> [[Track]] {
        frames.map { taken in
            [Track(trackID: Int(taken.frame.index), classID: 0, confidence: 0.9, x1: 1, y1: 2, x2: 3, y2: 4)]
        }
    }
}

private func frame(_ stream: Int, _ index: Int64, atMs ms: UInt64 = 0) -> Frame {
    Frame(
        streamIndex: stream, streamID: "cam-\(stream)", index: index, captureTimeMs: 1_000,
        captureUptimeNs: ms * 1_000_000,
        ptsSeconds: nil, pixels: PixelBuffer(width: 64, height: 48))
}

@Suite("Pipeline stages in process", .timeLimit(.minutes(1)))
struct InProcessPipelineTests {
    @Test(
        "the real worker loop: every delivered frame is analysed once, published with the lane's preview decision, and completed"
    )
    func workerLoop() throws {
        var configuration = Configuration()
        configuration.streams = (0..<3).map { StreamConfiguration(id: "cam-\($0)", source: .file(path: "x.mp4")) }
        configuration.kafka.includeFrames = true
        configuration.preview.minIntervalMs = 1000
        let scheduler = FrameScheduler(
            detectFPS: [0, 0, 0], lanes: StreamLane.lanes(for: configuration, runID: "run-under-test"))
        let sink = CollectingSink()
        let workers = AnalysisWorkers(count: 2, scheduler: scheduler, sink: sink)
        let threads = workers.start(makeAnalyzer: { _ in StampingAnalyzer() })
        let control = ReaderControl()
        // Lossless delivery, as for a file read as fast as possible: 10 frames per stream, 300 ms apart.
        let readers = SharedCounter()
        for stream in 0..<3 {
            Thread {
                for index in 0..<10 {
                    _ = scheduler.deliverWaiting(
                        frame(stream, Int64(index), atMs: UInt64(index) * 300), control: control)
                }
                readers.add()
            }.start()
        }
        #expect(ChildProcess.waitUntil(atMost: 10) { readers.current == 3 })
        scheduler.drainAndFinish()
        #expect(
            ChildProcess.waitUntil(atMost: 10) { threads.allSatisfy(\.isFinished) },
            "workers did not finish after the drain")
        let published = sink.published.withLock { $0 }
        #expect(published.count == 30)
        #expect(scheduler.counters().map(\.completed) == [10, 10, 10])
        for stream in 0..<3 {
            let mine = published.filter { $0.result.streamID == "cam-\(stream)" }
            #expect(mine.map(\.result.frameID) == Array(0..<10), "frames in order per stream")
            #expect(mine.allSatisfy { $0.result.runID == "run-under-test" }, "every result carries the run")
            #expect(mine.allSatisfy { $0.result.tracks.first?.trackID == Int($0.result.frameID) })
            // Captured at 0, 300, …, 2700 ms: previews at 0, 1200 and 2400 ms.
            #expect(mine.filter(\.withPreview).map(\.result.frameID) == [0, 4, 8])
        }
    }

    @Test(
        "the composer: a message with a preview decodes with its data URL, without one it has none; an oversized preview is left out and counted"
    )
    func composer() throws {
        var configuration = Configuration()
        configuration.streams = [StreamConfiguration(id: "cam-0", source: .file(path: "x.mp4"))]
        let result = FrameResult(
            streamID: "cam-0", frameID: 7, timestampMs: 1_000, width: 64, height: 48,
            tracks: [Track(trackID: 3, classID: 0, className: "person", confidence: 0.9, x1: 4, y1: 4, x2: 30, y2: 40)])
        let shot = frame(0, 7)
        let composer = MessageComposer(
            configuration: configuration, maximumMessageBytes: 100_000, logger: Logger(label: "t"))
        func message(
            _ composer: MessageComposer, preview: Bool
        ) throws -> (hasPreview: Bool, count: Int, DecodedFrameMessage) {
            let (hasPreview, bytes) = composer.compose(result, frame: shot, withPreview: preview) { draft in
                (draft.hasPreview, draft.withBytes { Array($0) })
            }
            return (hasPreview, bytes.count, try FrameMessageDecoder.decode(bytes))
        }
        let (hasPreview, _, withPreview) = try message(composer, preview: true)
        #expect(hasPreview && withPreview.result.frameID == 7 && withPreview.result.tracks.map(\.trackID) == [3])
        let url = try #require(withPreview.frameJPEG)
        let jpeg = try #require(Data(base64Encoded: String(url.dropFirst("data:image/jpeg;base64,".count))))
        #expect(url.hasPrefix("data:image/jpeg;base64,") && jpeg.starts(with: [0xFF, 0xD8]))
        #expect(try message(composer, preview: false).2.frameJPEG == nil)

        let tight = MessageComposer(configuration: configuration, maximumMessageBytes: 300, logger: Logger(label: "t"))
        let (smallHasPreview, smallCount, small) = try message(tight, preview: true)
        #expect(!smallHasPreview && smallCount <= 300)
        #expect(small.frameJPEG == nil && small.result.tracks.count == 1)
        #expect(tight.previewCounters.droppedTooLarge == 1)
    }

    @Test(
        "JSON lines sink: every result is one complete line, in order, and the accounting is exact; writes that fail (/dev/full) are counted, not lost silently"
    )
    func jsonLinesSink() throws {
        let folder = try TestEnvironment.makeTemporaryDirectory("jsonl-sink")
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("out.jsonl").path
        let sink = try JSONLinesSink(path: path, capacity: 1000, logger: Logger(label: "t"))
        for index in 0..<200 {
            let result = FrameResult(
                streamID: "cam-\(index % 3)", frameID: Int64(index), timestampMs: 1_000, width: 64, height: 48,
                tracks: [Track(trackID: index, classID: 0, confidence: 0.5, x1: 1, y1: 2, x2: 3, y2: 4)])
            sink.publish(result, frame: frame(index % 3, Int64(index)), withPreview: true)
        }
        sink.close(waitingAtMost: 10)
        #expect(sink.counters == SinkCounters(accepted: 200, written: 200))
        let lines = try JSONLines.read(URL(fileURLWithPath: path))
        #expect(lines.count == 200)
        #expect(lines.compactMap { $0["frame_id"] as? Int } == Array(0..<200))
        #expect(lines.allSatisfy { $0["frame_jpeg"] == nil }, "JSON lines carry no previews")

        let full = try JSONLinesSink(path: "/dev/full", capacity: 1000, logger: Logger(label: "t"))
        for index in 0..<50 {
            let result = FrameResult(
                streamID: "cam-0", frameID: Int64(index), timestampMs: 1_000, width: 64, height: 48, tracks: [])
            full.publish(result, frame: frame(0, Int64(index)), withPreview: false)
        }
        full.close(waitingAtMost: 10)
        let counters = full.counters
        #expect(counters.accepted == 50 && counters.written == 0 && counters.failed == 50 && counters.pending == 0)
    }

    @Test(
        "JSON lines sink after a crash: a torn last line is cut before the new run appends, whole lines are kept, and a missing folder is created"
    )
    func jsonLinesAfterCrash() throws {
        let folder = try TestEnvironment.makeTemporaryDirectory("jsonl-crash")
        defer { try? FileManager.default.removeItem(at: folder) }
        let whole =
            #"{"stream":"cam-0","frame_id":1,"tracks":[]}"# + "\n" + #"{"stream":"cam-0","frame_id":2,"tracks":[]}"#
        let cases: [(before: String, after: String)] = [
            (whole + "\n" + #"{"stream":"cam-0","fra"#, whole + "\n"),  // torn mid-line
            (whole + "\n", whole + "\n"),  // clean: untouched
            (#"{"stream":"cam-0","frame_id":1,"tr"#, ""),  // nothing but a torn line
            (whole + "\n" + String(repeating: "x", count: 100_000), whole + "\n"),  // a tear longer than one read
        ]
        for (index, item) in cases.enumerated() {
            let path = folder.appendingPathComponent("case-\(index).jsonl").path
            try item.before.write(toFile: path, atomically: true, encoding: .utf8)
            let sink = try JSONLinesSink(path: path, capacity: 10, logger: Logger(label: "t"))
            sink.publish(
                FrameResult(
                    streamID: "cam-0", frameID: 3, runID: "run-2", timestampMs: 1, width: 4, height: 4, tracks: []),
                frame: frame(0, 3), withPreview: false)
            sink.close(waitingAtMost: 10)
            let text = try String(contentsOfFile: path, encoding: .utf8)
            #expect(text.hasPrefix(item.after) && text.hasSuffix("\n"), "case \(index)")
            let lines = try JSONLines.read(URL(fileURLWithPath: path))
            #expect(
                lines.last?["run_id"] as? String == "run-2"
                    && lines.count == item.after.split(separator: "\n").count + 1)
        }
        let nested = folder.appendingPathComponent("not/yet/there/out.jsonl").path
        let sink = try JSONLinesSink(path: nested, capacity: 10, logger: Logger(label: "t"))
        sink.close(waitingAtMost: 10)
        #expect(FileManager.default.fileExists(atPath: nested))
    }
}
