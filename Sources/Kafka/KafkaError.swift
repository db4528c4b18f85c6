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

    /// Text of a NUL-terminated C buffer (librdkafka's error-string out-parameters).
    static func text(of buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// `rd_kafka_new` with `conf` (consumed on success, destroyed on failure); a failure becomes one line.
    static func newClient(
        _ type: rd_kafka_type_t, conf: OpaquePointer, role: String
    ) throws(KafkaError) -> OpaquePointer {
        var errorText = [CChar](repeating: 0, count: 512)
        guard let handle = rd_kafka_new(type, conf, &errorText, errorText.count) else {
            rd_kafka_conf_destroy(conf)
            throw KafkaError("cannot create the Kafka \(role): \(text(of: errorText))")
        }
        return handle
    }

    /// librdkafka's text for an error code.
    static func text(_ code: rd_kafka_resp_err_t) -> String {
        String(cString: rd_kafka_err2str(code))
    }
}
