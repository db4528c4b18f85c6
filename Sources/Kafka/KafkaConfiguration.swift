import CRdKafka

/// librdkafka properties, applied in order (later ones override earlier ones), e.g. defaults first, then the
/// user's `kafka.properties` passed through verbatim.
public struct KafkaProperties: Sendable, Equatable {
    public private(set) var entries: [(key: String, value: String)] = []

    public init(_ entries: [(String, String)] = []) {
        for (key, value) in entries { self[key] = value }
    }

    public subscript(key: String) -> String? {
        get { entries.last { $0.key == key }?.value }
        set {
            entries.removeAll { $0.key == key }
            if let newValue { entries.append((key, newValue)) }
        }
    }

    public static func == (lhs: KafkaProperties, rhs: KafkaProperties) -> Bool {
        lhs.entries.map { "\($0.key)=\($0.value)" } == rhs.entries.map { "\($0.key)=\($0.value)" }
    }

    /// Checks every property with librdkafka without creating a client.
    public func validate() throws(KafkaError) {
        rd_kafka_conf_destroy(try makeConf())
    }

    /// A new rd_kafka_conf_t with every property set; a rejected property is reported by name with librdkafka's
    /// reason. The caller owns the result (it is consumed by rd_kafka_new).
    func makeConf() throws(KafkaError) -> OpaquePointer {
        guard let conf = rd_kafka_conf_new() else { throw KafkaError("out of memory creating the Kafka configuration") }
        var errorText = [CChar](repeating: 0, count: 512)
        for (key, value) in entries {
            let result = rd_kafka_conf_set(conf, key, value, &errorText, errorText.count)
            guard result == RD_KAFKA_CONF_OK else {
                rd_kafka_conf_destroy(conf)
                // Secrets (sasl.password, ssl.key.password, …) stay out of logs.
                let secret = ["password", "secret", "token"].contains { key.lowercased().contains($0) }
                throw KafkaError(
                    "Kafka property '\(key)=\(secret ? "***" : value)' rejected: \(KafkaError.text(of: errorText))")
            }
        }
        return conf
    }
}
