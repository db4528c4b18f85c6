import AnalyticsCore
import Kafka

extension KafkaConfiguration {
    /// Consumer properties for reading this topic: the product's consumer defaults, then `kafka.properties`
    /// verbatim (SASL/TLS settings apply to consumers as well).
    public func consumerProperties(groupID: String, startAtNewest: Bool) -> KafkaProperties {
        var properties = KafkaConsumer.properties(
            bootstrapServers: bootstrapServers, groupID: groupID, startAtNewest: startAtNewest)
        for (key, value) in self.properties { properties[key] = value }
        return properties
    }
}
