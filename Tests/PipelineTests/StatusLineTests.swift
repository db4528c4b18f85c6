import Testing

@testable import Pipeline

@Suite("Status line", .timeLimit(.minutes(1)))
struct StatusLineTests {
    @Test("few streams: one segment per stream")
    func detailed() {
        let line = StatusLine.render(
            streams: [
                StreamStatus(id: "a", state: .online, decodedFPS: 10, analysedFPS: 5, dropped: 3, lastError: nil),
                StreamStatus(id: "b", state: .offline, decodedFPS: 0, analysedFPS: 0, dropped: 0, lastError: "x"),
            ],
            sinks: [
                ("jsonl", SinkCounters(accepted: 7, written: 7)),
                ("kafka", SinkCounters(accepted: 9, written: 5, failed: 1, dropped: 1)),
            ])
        #expect(
            line
                == "status | 1/2 online | decode 10.0 fps, analysed 5.0/s, not analysed 3 | a online 10.0/5.0 drop 3 | b offline 0.0/0.0 drop 0 | jsonl 7 written, 0 pending, 0 failed, 0 dropped | kafka 5 written, 2 pending, 1 failed, 1 dropped"
        )
    }

    @Test("32 streams: one compact line with per-stream ranges and only unhealthy streams named")
    func compact() {
        var streams = (1...32).map {
            StreamStatus(
                id: "cam-\($0)", state: .online, decodedFPS: 10, analysedFPS: Double($0 % 2 == 0 ? 4 : 5), dropped: 1,
                lastError: nil)
        }
        streams[6].state = .reconnecting
        let line = StatusLine.render(streams: streams, sinks: [("jsonl", SinkCounters())])
        #expect(line.contains("31/32 online"))
        #expect(line.contains("analysed 144.0/s (4.0-5.0/stream)"))
        #expect(line.contains("cam-7 reconnecting"))
        #expect(!line.contains("cam-8"))
        #expect(line.count < 300)
    }
}
