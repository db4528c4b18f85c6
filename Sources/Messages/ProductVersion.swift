/// The release every executable reports with `--version` (with the message schema it writes).
public enum ProductVersion {
    public static let number = "0.7.0"
    public static var description: String { "\(number) (message schema \(FrameMessageEncoder.schemaVersion))" }
}
