import Foundation
import TestSupport
import Testing

/// Fleet mode with real processes: three pipeline instances started with one file share 12 streams through a
/// consumer group on the test broker; who published what is read back from the topic (`instance`, `run_id`).
@Suite("Fleet of pipeline instances", .serialized, .timeLimit(.minutes(4)))
struct FleetTests {
    private struct Published {
        let stream: String
        let instance: String
        let run: String
        let capturedMs: Int
    }

    private static let streamCount = 12

    /// The streams an instance runs now, from its last `fleet: running N of 12 streams` line (0 before any).
    private func running(_ process: ChildProcess) -> Int {
        guard let line = process.stderr.split(separator: "\n").last(where: { $0.contains("fleet: running ") }),
            let range = line.range(of: "fleet: running ")
        else { return 0 }
        return Int(line[range.upperBound...].prefix { $0.isNumber }) ?? 0
    }

    private func nowMs() -> Int { Int(Date().timeIntervalSince1970 * 1000) }

    /// Per stream, the instances that published it with capture time in [from, until).
    private func owners(_ messages: [Published], from: Int, until: Int) -> [String: Set<String>] {
        messages.filter { $0.capturedMs >= from && $0.capturedMs < until }
            .reduce(into: [:]) { $0[$1.stream, default: []].insert($1.instance) }
    }

    @Test(
        "3 instances, 12 streams: each stream published by exactly one instance, 4 each; SIGTERM moves an instance's streams within 5 s (no session timeout); a restart rebalances with overlaps no longer than the rebalance"
    )
    func shareMoveAndRebalance() throws {
        let bed = try KafkaTestBed("fleet")
        defer { withExtendedLifetime(bed) {} }  // the folder and a private broker live to the end
        let (broker, topic, directory) = (bed.broker, bed.topic, bed.directory)
        let config = directory.appendingPathComponent("fleet.yaml")
        // One file for every instance. 12 partitions for 12 streams: one stream per partition, so the group's
        // balanced partitions are balanced streams. A 6 s session timeout: SIGTERM must move streams faster.
        try """
        streams:
          - {id: "cam-{n}", count: \(Self.streamCount), url: "\(try TestEnvironment.sample("vtest.avi"))", loop: true}
        pipeline: {detect_fps: 4, status_interval_s: 0}
        kafka: {enabled: true, bootstrap_servers: "\(broker)", topic: \(topic)}
        fleet:
          enabled: true
          group: \(topic)-group
          assignment_topic: \(topic)-assignment
          partitions: \(Self.streamCount)
          session_timeout_ms: 6000
        """.write(to: config, atomically: true, encoding: .utf8)
        let executable = try TestEnvironment.executable("realtime-analytics")
        func start(_ label: String) throws -> ChildProcess {
            try ChildProcess(executable, ["--config", config.path], directory: directory, label: label)
        }
        let started = nowMs()
        var instances = [try start("a"), try start("b"), try start("c")]
        func settled(_ processes: [ChildProcess]) -> Bool {
            processes.allSatisfy { running($0) > 0 } && processes.map(running).reduce(0, +) == Self.streamCount
        }
        try #require(
            ChildProcess.waitUntil(atMost: 40) { settled(instances) },
            "the three instances never shared the 12 streams: \(instances.map(running)); \(instances[0].stderr.suffix(800))"
        )
        Thread.sleep(forTimeInterval: 1)
        let shareFrom = nowMs()
        Thread.sleep(forTimeInterval: 4)
        let shareUntil = nowMs()

        // SIGTERM: the instance leaves the group first, so the others take its streams without the session timeout.
        let leaver = "/\(instances[2].process.processIdentifier)"
        let terminated = nowMs()
        let exit = instances[2].stop(signal: SIGTERM, waitingAtMost: 10)
        #expect(
            exit.status == 0 && exit.seconds < 5, "SIGTERM exit \(String(describing: exit.status)) in \(exit.seconds) s"
        )
        try #require(
            ChildProcess.waitUntil(atMost: 20) { settled(Array(instances.prefix(2))) },
            "the two instances left never took all 12 streams: \(instances.prefix(2).map(running))")
        Thread.sleep(forTimeInterval: 1)
        let pairFrom = nowMs()
        Thread.sleep(forTimeInterval: 3)
        let pairUntil = nowMs()

        // The third instance comes back: the group rebalances to three again.
        let restarted = nowMs()
        instances[2] = try start("c-again")
        try #require(
            ChildProcess.waitUntil(atMost: 30) { settled(instances) },
            "the restarted instance never got its share: \(instances.map(running))")
        Thread.sleep(forTimeInterval: 1)
        let againFrom = nowMs()
        Thread.sleep(forTimeInterval: 4)
        let againUntil = nowMs()
        for instance in instances {
            #expect(instance.stop(signal: SIGTERM, waitingAtMost: 10).status == 0, "\(instance.stderr.suffix(600))")
        }

        // The whole record, from the topic.
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let read = try ChildProcess.run(
            executable,
            [
                "consume", "--config", config.path, "--json", "--seconds", "30", "--from",
                formatter.string(from: Date(timeIntervalSince1970: Double(started) / 1000)),
                "--until", formatter.string(from: Date()),
            ], timeout: 60)
        #expect(read.status == 0, "\(read.stderr.suffix(500))")
        let messages = try JSONLines.parse(Data(read.stdout.utf8)).map {
            Published(
                stream: $0["stream"] as? String ?? "", instance: $0["instance"] as? String ?? "",
                run: $0["run_id"] as? String ?? "", capturedMs: $0["timestamp_ms"] as? Int ?? 0)
        }
        #expect(
            messages.allSatisfy { !$0.instance.isEmpty && !$0.run.isEmpty }, "every message names its instance and run")
        let all = Set((1...Self.streamCount).map { "cam-\($0)" })

        // Steady with three: every stream by exactly one instance, four streams each.
        let three = owners(messages, from: shareFrom, until: shareUntil)
        #expect(Set(three.keys) == all, "streams published with three instances: \(three.keys.sorted())")
        #expect(three.values.allSatisfy { $0.count == 1 }, "a stream published by two instances: \(three)")
        let shares = Dictionary(grouping: three, by: { $0.value.first ?? "" }).mapValues(\.count)
        #expect(shares.count == 3 && shares.values.allSatisfy { $0 == 4 }, "shares with three instances: \(shares)")

        // After SIGTERM: the two left run everything, each stream once; the moved streams came back quickly.
        let two = owners(messages, from: pairFrom, until: pairUntil)
        #expect(Set(two.keys) == all && two.values.allSatisfy { $0.count == 1 }, "with two instances: \(two)")
        let moved = three.filter { $0.value.contains { $0.hasSuffix(leaver) } }.map(\.key)
        #expect(moved.count == 4, "the terminated instance ran 4 streams: \(moved)")
        var recoveries: [Int] = []
        for stream in moved {
            let next = messages.filter {
                $0.stream == stream && !$0.instance.hasSuffix(leaver) && $0.capturedMs >= terminated
            }.map(\.capturedMs).min()
            recoveries.append((next ?? Int.max) - terminated)
        }
        let slowest = recoveries.max() ?? Int.max
        #expect(slowest < 5000, "streams of the terminated instance published again after \(recoveries) ms")

        // Back to three: each stream once again, and every move's overlap (two instances publishing one stream)
        // no longer than the rebalance.
        let again = owners(messages, from: againFrom, until: againUntil)
        #expect(Set(again.keys) == all && again.values.allSatisfy { $0.count == 1 }, "after the restart: \(again)")
        #expect(Set(again.values.flatMap { $0 }).count == 3, "three instances publish after the restart")
        // Each stay of a stream on an instance is one run (a stream that moves gets a new run_id): consecutive runs
        // overlap when the old one still published after the new one's first message.
        var overlaps: [String: Int] = [:]
        var duplicates = 0
        var gaps: [Int] = []
        for stream in all {
            let runs = Dictionary(grouping: messages.filter { $0.stream == stream }, by: \.run).values
                .map { run in
                    (first: run.map(\.capturedMs).min() ?? 0, last: run.map(\.capturedMs).max() ?? 0, run: run)
                }
                .sorted { $0.first < $1.first }
            for (old, new) in zip(runs, runs.dropFirst()) where new.first >= restarted {
                if old.last > new.first {
                    overlaps[stream] = max(overlaps[stream] ?? 0, old.last - new.first)
                    duplicates += old.run.filter { $0.capturedMs > new.first }.count
                } else {
                    gaps.append(new.first - old.last)
                }
            }
        }
        let moves = instances.map {
            $0.stderr.split(separator: "\n").filter { $0.contains("fleet: ") }.joined(separator: "\n")
        }
        #expect((overlaps.values.max() ?? 0) <= 2000, "a stream ran on two instances for \(overlaps) ms: \(moves)")
        print(
            "fleet: 3 instances x 12 streams; SIGTERM recovery \(recoveries.sorted()) ms; on the restart's rebalance \(overlaps.count) streams overlapped (max \(overlaps.values.max() ?? 0) ms, \(duplicates) duplicate messages), \(gaps.count) moved with gaps \(gaps.sorted()) ms; \(messages.count) messages"
        )
    }
}
