/// A 5x7 pixel font for labels: digits, lowercase letters (uppercase is drawn as lowercase), space and a few
/// punctuation marks; anything else is drawn as a hollow box, one per Unicode scalar.
///
/// Glyphs sit in 5x8 cells: seven rows down to the baseline plus one below it for the descenders of g, j, p, q, y
/// and the comma. They are 40-bit masks (bit `row * 5 + column`, row 0 at the top) looked up by ASCII code in a
/// table built once from the readable designs below.
enum BitmapFont {
    static let glyphWidth = 5
    /// Cell height, descender row included.
    static let glyphHeight = 8
    /// Horizontal distance between glyph origins: the glyph and one column of spacing.
    static let advance = 6

    /// Number of glyphs `text` (UTF-8) draws: one per scalar, continuation bytes draw nothing.
    static func glyphCount(_ text: UnsafeBufferPointer<UInt8>) -> Int {
        text.reduce(0) { count, byte in isContinuation(byte) ? count : count + 1 }
    }

    /// Draws `text` (UTF-8) with its top-left corner at `x`, `y`, each font pixel a `scale` x `scale` square of
    /// `color`. With `chroma`, glyph pixels also take the colour's chroma (worth it when they cover whole chroma
    /// samples: scale 2 from even coordinates); otherwise only their luma is written.
    static func draw(
        _ text: UnsafeBufferPointer<UInt8>, on canvas: I420Canvas, x: Int, y: Int, scale: Int, color: YUVColor,
        chroma: Bool
    ) {
        var penX = x
        for byte in text where !isContinuation(byte) {
            guard penX < canvas.width else { return }
            let mask = glyph(for: byte)
            for row in 0..<glyphHeight {
                for column in 0..<glyphWidth where mask & (1 << UInt64(row * glyphWidth + column)) != 0 {
                    let px = penX + column * scale, py = y + row * scale
                    if chroma {
                        canvas.fill(x0: px, y0: py, x1: px + scale, y1: py + scale, color: color)
                    } else {
                        canvas.fillLuma(x0: px, y0: py, x1: px + scale, y1: py + scale, value: color.luma)
                    }
                }
            }
            penX += advance * scale
        }
    }

    private static func isContinuation(_ byte: UInt8) -> Bool {
        byte & 0b1100_0000 == 0b1000_0000
    }

    private static func glyph(for byte: UInt8) -> UInt64 {
        guard byte < 128 else { return box }
        let lowercased = (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte + 32 : byte
        return masks[Int(lowercased)]
    }

    /// Masks by ASCII code; codes without a design get the box.
    private static let masks: [UInt64] = {
        var table = [UInt64](repeating: box, count: 128)
        for (character, rows) in designs {
            table[Int(character.asciiValue!)] = mask(rows)
        }
        return table
    }()

    private static let box = mask("##### #...# #...# #...# #...# #...# #####")

    /// Parses a design: rows of five cells separated by spaces, `#` for ink; seven rows, or eight for glyphs that
    /// reach below the baseline.
    private static func mask(_ rows: String) -> UInt64 {
        var mask: UInt64 = 0
        var bit: UInt64 = 0
        for cell in rows.utf8 where cell != UInt8(ascii: " ") {
            if cell == UInt8(ascii: "#") { mask |= 1 << bit }
            bit += 1
        }
        precondition(bit == 35 || bit == 40, "a glyph design needs 7 or 8 rows of 5 cells")
        return mask
    }

    private static let designs: [(Character, String)] = [
        (" ", "..... ..... ..... ..... ..... ..... ....."),
        ("0", ".###. #...# #..## #.#.# ##..# #...# .###."),
        ("1", "..#.. .##.. ..#.. ..#.. ..#.. ..#.. .###."),
        ("2", ".###. #...# ....# ...#. ..#.. .#... #####"),
        ("3", "####. ....# ....# .###. ....# ....# ####."),
        ("4", "...#. ..##. .#.#. #..#. ##### ...#. ...#."),
        ("5", "##### #.... ####. ....# ....# #...# .###."),
        ("6", "..##. .#... #.... ####. #...# #...# .###."),
        ("7", "##### ....# ...#. ..#.. .#... .#... .#..."),
        ("8", ".###. #...# #...# .###. #...# #...# .###."),
        ("9", ".###. #...# #...# .#### ....# ...#. .##.."),
        ("a", "..... ..... .###. ....# .#### #...# .####"),
        ("b", "#.... #.... #.##. ##..# #...# #...# ####."),
        ("c", "..... ..... .###. #.... #.... #...# .###."),
        ("d", "....# ....# .##.# #..## #...# #...# .####"),
        ("e", "..... ..... .###. #...# ##### #.... .###."),
        ("f", "..##. .#..# .#... ###.. .#... .#... .#..."),
        ("g", "..... ..... .#### #...# #...# .#### ....# .###."),
        ("h", "#.... #.... #.##. ##..# #...# #...# #...#"),
        ("i", "..#.. ..... .##.. ..#.. ..#.. ..#.. .###."),
        ("j", "...#. ..... ..##. ...#. ...#. ...#. #..#. .##.."),
        ("k", "#.... #.... #..#. #.#.. ##... #.#.. #..#."),
        ("l", ".##.. ..#.. ..#.. ..#.. ..#.. ..#.. .###."),
        ("m", "..... ..... ##.#. #.#.# #.#.# #...# #...#"),
        ("n", "..... ..... #.##. ##..# #...# #...# #...#"),
        ("o", "..... ..... .###. #...# #...# #...# .###."),
        ("p", "..... ..... ####. #...# #...# ####. #.... #...."),
        ("q", "..... ..... .#### #...# #...# .#### ....# ....#"),
        ("r", "..... ..... #.##. ##..# #.... #.... #...."),
        ("s", "..... ..... .###. #.... .###. ....# ####."),
        ("t", ".#... .#... ###.. .#... .#... .#..# ..##."),
        ("u", "..... ..... #...# #...# #...# #..## .##.#"),
        ("v", "..... ..... #...# #...# #...# .#.#. ..#.."),
        ("w", "..... ..... #...# #...# #.#.# #.#.# .#.#."),
        ("x", "..... ..... #...# .#.#. ..#.. .#.#. #...#"),
        ("y", "..... ..... #...# #...# #...# .#### ....# .###."),
        ("z", "..... ..... ##### ...#. ..#.. .#... #####"),
        ("-", "..... ..... ..... ##### ..... ..... ....."),
        ("_", "..... ..... ..... ..... ..... ..... ..... #####"),
        (".", "..... ..... ..... ..... ..... .##.. .##.."),
        (",", "..... ..... ..... ..... ..... .##.. ..#.. .#..."),
        (":", "..... .##.. .##.. ..... .##.. .##.. ....."),
        ("/", "..... ....# ...#. ..#.. .#... #.... ....."),
        ("#", ".#.#. .#.#. ##### .#.#. ##### .#.#. .#.#."),
        ("%", "##... ##..# ...#. ..#.. .#... #..## ...##"),
        ("(", "...#. ..#.. .#... .#... .#... ..#.. ...#."),
        (")", ".#... ..#.. ...#. ...#. ...#. ..#.. .#..."),
        ("'", "..#.. ..#.. .#... ..... ..... ..... ....."),
        ("+", "..... ..#.. ..#.. ##### ..#.. ..#.. ....."),
    ]
}
