import Foundation
import Logging
import Synchronization
import TestSupport
import Testing

@testable import Kafka

/// The librdkafka wrappers against a real broker process on 127.0.0.1.
@Suite("Kafka producer and consumer", .serialized, .timeLimit(.minutes(3)))
struct KafkaClientTests {
    let logger = Logger(label: "kafka-test")

    private func producer(_ address: String, _ extra: [(String, String)] = []) throws -> KafkaProducer {
        try KafkaProducer(
            properties: KafkaProperties(
                [
                    ("bootstrap.servers", address), ("linger.ms", "5"), ("acks", "all"),
                    ("enable.idempotence", "true"),
                ] + extra),
            logger: logger)
    }

    private func consumer(_ address: String, topic: String) throws -> KafkaConsumer {
        try KafkaConsumer(
            properties: KafkaConsumer.properties(
                bootstrapServers: address, groupID: "test-\(UUID().uuidString.prefix(8))", startAtNewest: false),
            topics: [topic], logger: logger)
    }

    /// Reads up to `count` messages, giving up after `seconds`.
    private func read(_ consumer: KafkaConsumer, count: Int, seconds: Double) async throws -> [KafkaMessage] {
        try await withThrowingTaskGroup(of: [KafkaMessage].self) { group in
            group.addTask {
                var messages: [KafkaMessage] = []
                for try await message in consumer.messages {
                    messages.append(message)
                    if messages.count == count { break }
                }
                return messages
            }
            group.addTask {
                try await Task.sleep(for: .seconds(seconds))
                return []
            }
            var result: [KafkaMessage] = []
            for try await batch in group {
                result = batch
                break
            }
            group.cancelAll()
            consumer.close()
            return result
        }
    }

    @Test(
        "messages go out with key and headers, come back in order, and every one is counted as delivered",
        arguments: BrokerKind.allCases)
    func roundTrip(_ kind: BrokerKind) async throws {
        let (address, broker) = try KafkaBroker.addressForTest(kind)
        defer { _ = broker }
        let topic = KafkaBroker.uniqueTopic("roundtrip")
        let producer = try producer(address)
        for index in 0..<100 {
            let payload = Array("{\"n\":\(index)}".utf8)
            let outcome = payload.withUnsafeBytes {
                producer.produce(
                    topic: topic, key: "cam-\(index % 4)", value: $0,
                    headers: [("content-type", "application/json"), ("schema-version", "1")])
            }
            #expect(outcome == .queued)
        }
        #expect(producer.flush(waitingAtMost: 15))
        let counters = producer.counters
        #expect(counters.produced == 100 && counters.delivered == 100 && counters.failed == 0 && counters.inFlight == 0)
        producer.close(waitingAtMost: 5)

        let messages = try await read(try consumer(address, topic: topic), count: 100, seconds: 30)
        #expect(messages.count == 100)
        // Kafka orders per partition, and so per key: Tansu auto-creates a topic with several partitions (noida-db
        // with one), so the four keys' messages may interleave in any way, each key's in the order sent.
        let byKey = Dictionary(grouping: messages, by: { $0.keyString ?? "" }).mapValues {
            $0.map { String(decoding: $0.value, as: UTF8.self) }
        }
        for key in 0..<4 {
            #expect(
                byKey["cam-\(key)"] == stride(from: key, to: 100, by: 4).map { "{\"n\":\($0)}" },
                "cam-\(key): \(byKey["cam-\(key)"]?.prefix(5) ?? [])")
        }
        #expect(messages.allSatisfy { $0.header("content-type") == Array("application/json".utf8) })
        #expect(messages.allSatisfy { $0.header("schema-version") == Array("1".utf8) })
    }

    @Test(
        "a fatal error replaces the producer's client once: the messages it held count as failed, later ones are delivered, nothing is uncounted"
    )
    func fatalErrorRecovery() async throws {
        let (address, broker) = try KafkaBroker.addressForTest(.noida)
        defer { _ = broker }
        let topic = KafkaBroker.uniqueTopic("fatal")
        let recorder = LogRecorder(level: .info)
        let logger = recorder.logger
        let producer = try KafkaProducer(
            properties: KafkaProperties([
                // 50 ms: the first messages are still queued when the fatal error comes.
                ("bootstrap.servers", address), ("linger.ms", "50"), ("enable.idempotence", "true"),
            ]),
            logger: logger)
        func send(_ range: Range<Int>) -> [ProduceOutcome] {
            range.map { index in
                Array("{\"n\":\(index)}".utf8).withUnsafeBytes {
                    producer.produce(topic: topic, key: "k", value: $0)
                }
            }
        }
        // The fatal error comes while the first 50 may still be queued or in flight.
        #expect(send(0..<50).allSatisfy { $0 == .queued })
        #expect(producer.injectFatalError("test: broker lost the producer's state"))
        // Until the replacement is in place, produce calls are refused (the caller counts them as dropped).
        let replaced = ChildProcess.waitUntil(atMost: 10) {
            recorder.count(containing: "producer replaced after a fatal error") == 1
        }
        #expect(replaced, "\(recorder.lines.withLock { $0 })")
        #expect(producer.injectFatalError("test: a second one"), "the replacement is a working client of its own")
        #expect(
            ChildProcess.waitUntil(atMost: 10) {
                recorder.count(containing: "producer replaced after a fatal error") == 2
            })
        #expect(send(50..<100).allSatisfy { $0 == .queued })
        #expect(producer.flush(waitingAtMost: 15))
        producer.close(waitingAtMost: 5)
        let counters = producer.counters
        #expect(
            counters.produced == 100 && counters.delivered + counters.failed == 100 && counters.delivered >= 50
                && counters.inFlight == 0, "\(counters)")
        #expect(
            recorder.count(containing: "fatal error: test_fatal_error: test:") == 2,
            "one error line per fatal error: \(recorder.lines.withLock { $0 })")
        // What was acknowledged is on the topic: the 50 sent after the recovery.
        let messages = try await read(try consumer(address, topic: topic), count: counters.delivered, seconds: 30)
        let numbers = Set(messages.map { String(decoding: $0.value, as: UTF8.self) })
        #expect(
            (50..<100).allSatisfy { numbers.contains("{\"n\":\($0)}") },
            "every message after the recovery: \(messages.count) read")
        print(
            "fault: two fabricated fatal errors (rd_kafka_test_fatal_error); held: each replaced once, \(counters.delivered) delivered + \(counters.failed) failed of \(counters.produced), \(messages.count) on the topic"
        )
    }

    @Test(
        "reading a missing topic from a time is a one-line error, and the failed consumer is cleaned up once",
        arguments: BrokerKind.allCases)
    func missingTopicByTime(_ kind: BrokerKind) throws {
        let (address, broker) = try KafkaBroker.addressForTest(kind)
        defer { _ = broker }
        let missing = KafkaBroker.uniqueTopic("missing")
        do {
            _ = try KafkaConsumer(
                properties: KafkaConsumer.properties(
                    bootstrapServers: address, groupID: "test-\(UUID().uuidString.prefix(8))", startAtNewest: false),
                topics: [missing], start: .time(0, finishAtEnd: true), logger: logger)
            Issue.record("a consumer of missing topic \(missing) was made")
        } catch {
            #expect(error.description.contains(missing), "\(error)")
        }
    }

    @Test(
        "a group consumer behind a backlog reports its lag, and a seek by time moves it to the first message stamped then (what was fetched before is dropped)",
        arguments: BrokerKind.allCases
    )
    func seekByTime(_ kind: BrokerKind) async throws {
        let (address, broker) = try KafkaBroker.addressForTest(kind)
        defer { _ = broker }
        let topic = KafkaBroker.uniqueTopic("seek")
        let producer = try producer(address)
        func send(_ range: Range<Int>) {
            for index in range {
                let payload = Array("{\"n\":\(index)}".utf8)
                _ = payload.withUnsafeBytes { producer.produce(topic: topic, key: "k", value: $0) }
            }
            #expect(producer.flush(waitingAtMost: 15))
        }
        send(0..<300)
        try await Task.sleep(for: .milliseconds(1200))
        let split = Int64(Date().timeIntervalSince1970 * 1000)
        try await Task.sleep(for: .milliseconds(200))
        send(300..<400)
        producer.close(waitingAtMost: 5)

        let consumer = try consumer(address, topic: topic)
        var iterator = consumer.messages.makeAsyncIterator()
        let first = try await iterator.next()
        #expect(first.map { String(decoding: $0.value, as: UTF8.self) } == "{\"n\":0}")
        // The poll thread keeps fetching into the bounded buffer; the lag is what the reader has not taken yet,
        // as far as librdkafka knows.
        var lag: Int?
        #expect(
            ChildProcess.waitUntil(atMost: 10) {
                lag = consumer.lag
                return lag != nil
            })
        #expect((lag ?? -1) >= 0 && (lag ?? 0) <= 399, "lag \(lag.map(String.init) ?? "unknown")")
        // One position per partition of the topic (noida-db auto-creates one, Tansu several).
        let moved = try consumer.seek(toTimestampMs: split)
        #expect(moved >= 1)
        var numbers: [Int] = []
        while numbers.last != 399, let message = try await iterator.next() {
            let text = String(decoding: message.value, as: UTF8.self)
            numbers.append(Int(text.dropFirst(5).dropLast()) ?? -1)
        }
        #expect(numbers.first.map { $0 >= 300 } == true, "the first message after the seek: \(numbers.prefix(3))")
        #expect(zip(numbers, numbers.dropFirst()).allSatisfy { $0 + 1 == $1 }, "then in order: \(numbers.prefix(5))")
        #expect(numbers.count >= 95, "the messages after the split: \(numbers.count)")
        #expect(ChildProcess.waitUntil(atMost: 10) { consumer.lag == 0 }, "lag \(consumer.lag.map(String.init) ?? "?")")
        consumer.close()
    }

    @Test(
        "a producer started before its broker queues, then delivers once the broker appears",
        arguments: BrokerKind.allCases)
    func brokerAppearsLater(_ kind: BrokerKind) throws {
        let port = try TestEnvironment.freePort()
        let producer = try producer("127.0.0.1:\(port)", [("reconnect.backoff.max.ms", "500")])
        let topic = KafkaBroker.uniqueTopic("late")
        for _ in 0..<10 {
            let outcome = Array("x".utf8).withUnsafeBytes { producer.produce(topic: topic, key: "k", value: $0) }
            #expect(outcome == .queued)
        }
        Thread.sleep(forTimeInterval: 1)
        #expect(producer.counters.inFlight == 10 && producer.counters.delivered == 0)
        let broker = try KafkaBroker(kind, port: port)
        #expect(producer.flush(waitingAtMost: 20))
        #expect(producer.counters.delivered == 10)
        producer.close(waitingAtMost: 2)
        _ = broker
    }

    @Test("closing with an unreachable broker purges after the timeout and counts every message")
    func closeUnreachable() throws {
        let port = try TestEnvironment.freePort()
        let producer = try producer("127.0.0.1:\(port)")
        for _ in 0..<25 {
            _ = Array("x".utf8).withUnsafeBytes { producer.produce(topic: "t", key: "k", value: $0) }
        }
        let started = Date()
        producer.close(waitingAtMost: 1)
        #expect(Date().timeIntervalSince(started) < 5)
        let counters = producer.counters
        #expect(counters.produced == 25 && counters.failed == 25 && counters.inFlight == 0)
    }

    @Test("a full local queue refuses at once instead of blocking")
    func queueFull() throws {
        let port = try TestEnvironment.freePort()
        let producer = try producer("127.0.0.1:\(port)", [("queue.buffering.max.messages", "10")])
        let started = Date()
        let outcomes = (0..<15).map { _ in
            Array("x".utf8).withUnsafeBytes { producer.produce(topic: "t", key: "k", value: $0) }
        }
        #expect(Date().timeIntervalSince(started) < 1)
        #expect(outcomes.prefix(10).allSatisfy { $0 == .queued })
        #expect(outcomes.suffix(5).allSatisfy { $0 == .queueFull })
        // A refused message is not counted by the producer itself: the caller decides (retry smaller, or drop).
        #expect(producer.counters.produced == 10 && producer.counters.inFlight == 10)
        for _ in 0..<5 { producer.recordDropped(.queueFull) }
        producer.close(waitingAtMost: 0.5)
        let counters = producer.counters
        #expect(counters.produced == 15 && counters.dropped[.queueFull] == 5 && counters.failed == 10)
        #expect(counters.produced == counters.delivered + counters.failed + counters.droppedTotal + counters.inFlight)
    }

    @Test("an invalid property is reported by name")
    func invalidProperty() {
        #expect {
            _ = try KafkaProducer(properties: KafkaProperties([("linger.ms", "soon")]), logger: logger)
        } throws: { error in
            String(describing: error).contains("'linger.ms=soon'")
        }
        #expect(throws: KafkaError.self) { try KafkaProperties([("no.such.property", "1")]).validate() }
    }

    @Test(
        "a topic the cluster does not create is reported as missing; an existing one is found",
        arguments: BrokerKind.allCases)
    func topicCheck(_ kind: BrokerKind) throws {
        let (address, broker) = try KafkaBroker.addressForTest(kind)
        defer { _ = broker }
        let strict = try producer(address, [("allow.auto.create.topics", "false")])
        #expect(strict.topicStatus(KafkaBroker.uniqueTopic("missing"), waitingAtMost: 10) == .missing)
        strict.close(waitingAtMost: 1)
        let relaxed = try producer(address)
        if case .exists = relaxed.topicStatus(KafkaBroker.uniqueTopic("created"), waitingAtMost: 10) {
        } else {
            Issue.record("an auto-created topic should exist")
        }
        relaxed.close(waitingAtMost: 1)
    }
}
