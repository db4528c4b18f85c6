/// A colour as the three I420 sample values: luma, then the blue- and red-difference chroma.
struct YUVColor: Sendable, Equatable {
    var luma: UInt8
    var cb: UInt8
    var cr: UInt8

    /// Converts RGB to BT.601 limited range (Y 16...235, Cb/Cr 16...240): the range of the decoded video the
    /// overlay is drawn on, so boxes look the same relative to the scene whatever a viewer makes of that range.
    init(red: Int, green: Int, blue: Int) {
        let r = Double(red), g = Double(green), b = Double(blue)
        luma = Self.sample(16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255)
        cb = Self.sample(128 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255)
        cr = Self.sample(128 + (112.0 * r - 93.786 * g - 18.214 * b) / 255)
    }

    private static func sample(_ value: Double) -> UInt8 {
        UInt8(min(max(value.rounded(), 0), 255))
    }

    /// Label text: near-white, neutral chroma.
    static let labelText = YUVColor(red: 245, green: 245, blue: 245)

    /// Box colours, picked by class id. Saturated and mid-dark, so each stands out from typical scenes and light
    /// label text on a box-coloured background stays legible.
    static let palette: [YUVColor] = [
        YUVColor(red: 220, green: 50, blue: 47),  // red
        YUVColor(red: 40, green: 160, blue: 60),  // green
        YUVColor(red: 38, green: 110, blue: 230),  // blue
        YUVColor(red: 230, green: 120, blue: 0),  // orange
        YUVColor(red: 150, green: 60, blue: 200),  // purple
        YUVColor(red: 0, green: 150, blue: 160),  // teal
        YUVColor(red: 210, green: 40, blue: 140),  // magenta
        YUVColor(red: 120, green: 120, blue: 30),  // olive
    ]

    /// The box colour of a class; any id, negative ones included, maps into the palette.
    static func forClass(_ classID: Int) -> YUVColor {
        let count = palette.count
        return palette[((classID % count) + count) % count]
    }
}
