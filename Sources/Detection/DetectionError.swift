/// A detector problem a user can act on (bad model file, unsupported output layout, failed pre-processing).
public struct DetectionError: Error, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}
