import CRdKafka

/// Topic administration through librdkafka's Admin API, on any client handle.
enum TopicAdmin {
    /// Creates `name` with `partitions` partitions unless it exists, then returns its partition count as the
    /// cluster reports it (which may differ from `partitions` when the topic existed before). Blocking, at most
    /// about twice `timeoutMs`.
    static func ensureTopic(
        _ client: OpaquePointer, name: String, partitions: Int, timeoutMs: Int32
    ) throws(KafkaError) -> Int {
        try create(client, name: name, partitions: partitions, timeoutMs: timeoutMs)
        return try partitionCount(client, topic: name, timeoutMs: timeoutMs)
    }

    private static func create(
        _ client: OpaquePointer, name: String, partitions: Int, timeoutMs: Int32
    ) throws(KafkaError) {
        var errorText = [CChar](repeating: 0, count: 512)
        // Replication -1: the cluster's default.
        guard let topic = rd_kafka_NewTopic_new(name, Int32(partitions), -1, &errorText, errorText.count) else {
            throw KafkaError("cannot describe topic \(name): \(KafkaError.text(of: errorText))")
        }
        defer { rd_kafka_NewTopic_destroy(topic) }
        guard let queue = rd_kafka_queue_new(client) else { throw KafkaError("cannot create an admin queue") }
        defer { rd_kafka_queue_destroy(queue) }
        let options = rd_kafka_AdminOptions_new(client, RD_KAFKA_ADMIN_OP_CREATETOPICS)
        defer { rd_kafka_AdminOptions_destroy(options) }
        _ = rd_kafka_AdminOptions_set_request_timeout(options, timeoutMs, &errorText, errorText.count)
        var topics: [OpaquePointer?] = [topic]
        rd_kafka_CreateTopics(client, &topics, 1, options, queue)
        guard let event = rd_kafka_queue_poll(queue, timeoutMs + 1000) else {
            throw KafkaError("no answer to creating topic \(name) within \(timeoutMs) ms")
        }
        defer { rd_kafka_event_destroy(event) }
        let eventError = rd_kafka_event_error(event)
        if eventError != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError(eventError, context: "cannot create topic \(name)")
        }
        guard let result = rd_kafka_event_CreateTopics_result(event) else { return }
        var count = 0
        guard let results = rd_kafka_CreateTopics_result_topics(result, &count), count > 0,
            let first = results[0]
        else { return }
        let topicError = rd_kafka_topic_result_error(first)
        guard topicError == RD_KAFKA_RESP_ERR_NO_ERROR || topicError == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS else {
            throw KafkaError(topicError, context: "cannot create topic \(name)")
        }
    }

    /// The topic's partition count from a metadata request.
    static func partitionCount(
        _ client: OpaquePointer, topic name: String, timeoutMs: Int32
    ) throws(KafkaError)
        -> Int
    {
        guard let topic = rd_kafka_topic_new(client, name, nil) else {
            throw KafkaError("cannot open topic \(name)")
        }
        defer { rd_kafka_topic_destroy(topic) }
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let answered = rd_kafka_metadata(client, 0, topic, &metadata, timeoutMs)
        guard answered == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else {
            throw KafkaError(answered, context: "cannot read the metadata of topic \(name)")
        }
        defer { rd_kafka_metadata_destroy(metadata) }
        guard metadata.pointee.topic_cnt > 0 else { throw KafkaError("topic \(name) is missing from the metadata") }
        let entry = metadata.pointee.topics[0]
        guard entry.err == RD_KAFKA_RESP_ERR_NO_ERROR, entry.partition_cnt > 0 else {
            throw KafkaError(entry.err, context: "topic \(name) has no partitions yet")
        }
        return Int(entry.partition_cnt)
    }
}
