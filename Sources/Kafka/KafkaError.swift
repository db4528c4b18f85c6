import CRdKafka

/// A Kafka client problem, as one line for the user.
public struct KafkaError: Error, CustomStringConvertible, Sendable {
    public var code: Int32
    public var description: String

    public init(code: Int32 = -1, _ description: String) {
        self.code = code
        self.description = description
    }

    init(_ code: rd_kafka_resp_err_t, context: String) {
        self.code = code.rawValue
        self.description = "\(context): \(KafkaError.text(code))"
    }

    /// librdkafka's text for an error code.
    static func text(_ code: rd_kafka_resp_err_t) -> String {
        String(cString: rd_kafka_err2str(code))
    }
}
