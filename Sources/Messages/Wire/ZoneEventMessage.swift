import Foundation

/// An events-topic message as consumers read it (the counterpart of `FrameMessageEncoder.encode(_:of:)`); fields
/// it does not know are ignored.
public struct ZoneEventMessage: Decodable, Sendable, Equatable {
    public var stream: String
    public var run_id: String?
    public var event: String
    public var zone: String?
    public var line: String?
    public var track_id: Int
    public var class_id: Int?
    public var class_name: String?
    public var direction: String?
    public var duration_s: Double?
    public var frame_id: Int64
    public var timestamp_ms: Int64

    /// The zone's or the line's name.
    public var name: String? { zone ?? line }

    /// The message in `bytes`, or nil when it is not an event message.
    public static func decode(_ bytes: some Collection<UInt8>) -> ZoneEventMessage? {
        guard let message = try? JSONDecoder().decode(ZoneEventMessage.self, from: Data(bytes)), message.name != nil
        else { return nil }
        return message
    }
}
