import ImageCodecs

/// A 5×8-pixel bitmap font of printable ASCII, drawn into `RGBImage`s: enough to
/// caption a sample grid with its prompts and rewards for TensorBoard, which shows
/// images but no per-image text. No font file or rasteriser is needed, so every
/// machine draws the same pixels.
///
/// Glyphs are 5 columns by 8 rows: capitals and digits on rows 0–6, row 7 for the
/// descenders of g, j, p, q, y. A character cell is one column wider and two rows
/// taller, so neighbouring glyphs and lines never touch. Characters outside printable
/// ASCII (and outside the few extras below) are drawn as a hollow box, so a missing
/// glyph shows rather than vanishing.
public enum BitmapFont {
    public static let glyphWidth = 5
    public static let glyphHeight = 8
    /// Horizontal distance from one character to the next, at scale 1.
    public static let advance = 6
    /// Vertical distance from one line to the next, at scale 1.
    public static let lineHeight = 10

    /// Draws `text` on one line with its top-left corner at (`x`, `y`), each font
    /// pixel `scale` × `scale` image pixels; what falls outside the image is clipped.
    public static func draw(
        _ text: String, into image: inout RGBImage, x: Int, y: Int, scale: Int = 1,
        color: (red: UInt8, green: UInt8, blue: UInt8)
    ) {
        precondition(scale >= 1, "BitmapFont.draw: scale \(scale)")
        var left = x
        for character in text {
            let rows = glyph(character)
            for (row, bits) in rows.enumerated() {
                for column in 0..<glyphWidth where bits & (1 << (glyphWidth - 1 - column)) != 0 {
                    fill(
                        &image, x: left + column * scale, y: y + row * scale, size: scale,
                        color: color)
                }
            }
            left += advance * scale
        }
    }

    /// The width in pixels of `text` on one line (the last character's gap included).
    public static func width(of text: String, scale: Int = 1) -> Int {
        text.count * advance * scale
    }

    /// The rows of `character`'s glyph, top first, the leftmost column in bit 4.
    static func glyph(_ character: Character) -> [UInt8] {
        glyphs[character] ?? glyphs[missing]!
    }

    /// Drawn for characters the font lacks.
    static let missing: Character = "\u{FFFD}"

    private static func fill(
        _ image: inout RGBImage, x: Int, y: Int, size: Int, color: (red: UInt8, green: UInt8, blue: UInt8)
    ) {
        // Clipped to the image; empty when the pixel lies wholly outside it.
        let top = max(0, y)
        let left = max(0, x)
        let rows = top..<max(top, min(image.height, y + size))
        let columns = left..<max(left, min(image.width, x + size))
        for row in rows {
            for column in columns {
                let offset = (row * image.width + column) * 3
                image.pixels[offset] = color.red
                image.pixels[offset + 1] = color.green
                image.pixels[offset + 2] = color.blue
            }
        }
    }

    /// Parsed once from `table`.
    private static let glyphs: [Character: [UInt8]] = {
        var result: [Character: [UInt8]] = [:]
        for (character, picture) in table {
            let rows = picture.split(separator: " ")
            precondition(
                rows.count == glyphHeight && rows.allSatisfy { $0.count == glyphWidth },
                "BitmapFont: glyph '\(character)' is not \(glyphWidth)×\(glyphHeight)")
            result[character] = rows.map { row in
                row.reduce(UInt8(0)) { bits, pixel in bits << 1 | (pixel == "#" ? 1 : 0) }
            }
        }
        return result
    }()

    /// Each glyph as its 8 rows, top first, "#" for an inked pixel. Drawn for this
    /// project: plain shapes, readable at 1:1 on a screen.
    private static let table: [Character: String] = [
        " ": "..... ..... ..... ..... ..... ..... ..... .....",
        "!": "..#.. ..#.. ..#.. ..#.. ..#.. ..... ..#.. .....",
        "\"": ".#.#. .#.#. .#.#. ..... ..... ..... ..... .....",
        "#": ".#.#. .#.#. ##### .#.#. ##### .#.#. .#.#. .....",
        "$": "..#.. .#### #.#.. .###. ..#.# ####. ..#.. .....",
        "%": "##... ##..# ...#. ..#.. .#... #..## ...## .....",
        "&": ".##.. #..#. #.#.. .#... #.#.# #..#. .##.# .....",
        "'": "..#.. ..#.. .#... ..... ..... ..... ..... .....",
        "(": "...#. ..#.. .#... .#... .#... ..#.. ...#. .....",
        ")": ".#... ..#.. ...#. ...#. ...#. ..#.. .#... .....",
        "*": "..... ..#.. #.#.# .###. #.#.# ..#.. ..... .....",
        "+": "..... ..#.. ..#.. ##### ..#.. ..#.. ..... .....",
        ",": "..... ..... ..... ..... ..... .##.. ..#.. .#...",
        "-": "..... ..... ..... ##### ..... ..... ..... .....",
        ".": "..... ..... ..... ..... ..... .##.. .##.. .....",
        "/": "..... ....# ...#. ..#.. .#... #.... ..... .....",
        "0": ".###. #...# #..## #.#.# ##..# #...# .###. .....",
        "1": "..#.. .##.. ..#.. ..#.. ..#.. ..#.. .###. .....",
        "2": ".###. #...# ....# ...#. ..#.. .#... ##### .....",
        "3": "##### ...#. ..#.. ...#. ....# #...# .###. .....",
        "4": "...#. ..##. .#.#. #..#. ##### ...#. ...#. .....",
        "5": "##### #.... ####. ....# ....# #...# .###. .....",
        "6": "..##. .#... #.... ####. #...# #...# .###. .....",
        "7": "##### ....# ...#. ..#.. .#... .#... .#... .....",
        "8": ".###. #...# #...# .###. #...# #...# .###. .....",
        "9": ".###. #...# #...# .#### ....# ...#. .##.. .....",
        ":": "..... .##.. .##.. ..... .##.. .##.. ..... .....",
        ";": "..... .##.. .##.. ..... .##.. ..#.. .#... .....",
        "<": "...#. ..#.. .#... #.... .#... ..#.. ...#. .....",
        "=": "..... ..... ##### ..... ##### ..... ..... .....",
        ">": ".#... ..#.. ...#. ....# ...#. ..#.. .#... .....",
        "?": ".###. #...# ....# ...#. ..#.. ..... ..#.. .....",
        "@": ".###. #...# ....# .##.# #.#.# #.#.# .###. .....",
        "A": ".###. #...# #...# ##### #...# #...# #...# .....",
        "B": "####. #...# #...# ####. #...# #...# ####. .....",
        "C": ".###. #...# #.... #.... #.... #...# .###. .....",
        "D": "###.. #..#. #...# #...# #...# #..#. ###.. .....",
        "E": "##### #.... #.... ####. #.... #.... ##### .....",
        "F": "##### #.... #.... ####. #.... #.... #.... .....",
        "G": ".###. #...# #.... #.### #...# #...# .#### .....",
        "H": "#...# #...# #...# ##### #...# #...# #...# .....",
        "I": ".###. ..#.. ..#.. ..#.. ..#.. ..#.. .###. .....",
        "J": "..### ...#. ...#. ...#. ...#. #..#. .##.. .....",
        "K": "#...# #..#. #.#.. ##... #.#.. #..#. #...# .....",
        "L": "#.... #.... #.... #.... #.... #.... ##### .....",
        "M": "#...# ##.## #.#.# #.#.# #...# #...# #...# .....",
        "N": "#...# #...# ##..# #.#.# #..## #...# #...# .....",
        "O": ".###. #...# #...# #...# #...# #...# .###. .....",
        "P": "####. #...# #...# ####. #.... #.... #.... .....",
        "Q": ".###. #...# #...# #...# #.#.# #..#. .##.# .....",
        "R": "####. #...# #...# ####. #.#.. #..#. #...# .....",
        "S": ".#### #.... #.... .###. ....# ....# ####. .....",
        "T": "##### ..#.. ..#.. ..#.. ..#.. ..#.. ..#.. .....",
        "U": "#...# #...# #...# #...# #...# #...# .###. .....",
        "V": "#...# #...# #...# #...# #...# .#.#. ..#.. .....",
        "W": "#...# #...# #...# #.#.# #.#.# #.#.# .#.#. .....",
        "X": "#...# #...# .#.#. ..#.. .#.#. #...# #...# .....",
        "Y": "#...# #...# .#.#. ..#.. ..#.. ..#.. ..#.. .....",
        "Z": "##### ....# ...#. ..#.. .#... #.... ##### .....",
        "[": ".###. .#... .#... .#... .#... .#... .###. .....",
        "\\": "..... #.... .#... ..#.. ...#. ....# ..... .....",
        "]": ".###. ...#. ...#. ...#. ...#. ...#. .###. .....",
        "^": "..#.. .#.#. #...# ..... ..... ..... ..... .....",
        "_": "..... ..... ..... ..... ..... ..... ..... #####",
        "`": ".#... ..#.. ..... ..... ..... ..... ..... .....",
        "a": "..... ..... .###. ....# .#### #...# .#### .....",
        "b": "#.... #.... #.##. ##..# #...# #...# ####. .....",
        "c": "..... ..... .###. #.... #.... #...# .###. .....",
        "d": "....# ....# .##.# #..## #...# #...# .#### .....",
        "e": "..... ..... .###. #...# ##### #.... .###. .....",
        "f": "..##. .#..# .#... ###.. .#... .#... .#... .....",
        "g": "..... ..... .#### #...# #...# .#### ....# .###.",
        "h": "#.... #.... #.##. ##..# #...# #...# #...# .....",
        "i": "..#.. ..... .##.. ..#.. ..#.. ..#.. .###. .....",
        "j": "...#. ..... ..##. ...#. ...#. ...#. #..#. .##..",
        "k": "#.... #.... #..#. #.#.. ##... #.#.. #..#. .....",
        "l": ".##.. ..#.. ..#.. ..#.. ..#.. ..#.. .###. .....",
        "m": "..... ..... ##.#. #.#.# #.#.# #...# #...# .....",
        "n": "..... ..... #.##. ##..# #...# #...# #...# .....",
        "o": "..... ..... .###. #...# #...# #...# .###. .....",
        "p": "..... ..... ####. #...# #...# ####. #.... #....",
        "q": "..... ..... .##.# #..## #...# .#### ....# ....#",
        "r": "..... ..... #.##. ##..# #.... #.... #.... .....",
        "s": "..... ..... .###. #.... .###. ....# ####. .....",
        "t": ".#... .#... ###.. .#... .#... .#..# ..##. .....",
        "u": "..... ..... #...# #...# #...# #..## .##.# .....",
        "v": "..... ..... #...# #...# #...# .#.#. ..#.. .....",
        "w": "..... ..... #...# #...# #.#.# #.#.# .#.#. .....",
        "x": "..... ..... #...# .#.#. ..#.. .#.#. #...# .....",
        "y": "..... ..... #...# #...# #...# .#### ....# .###.",
        "z": "..... ..... ##### ...#. ..#.. .#... ##### .....",
        "{": "...#. ..#.. ..#.. .#... ..#.. ..#.. ...#. .....",
        "|": "..#.. ..#.. ..#.. ..#.. ..#.. ..#.. ..#.. .....",
        "}": ".#... ..#.. ..#.. ...#. ..#.. ..#.. .#... .....",
        "~": "..... ..... .#... #.#.# ...#. ..... ..... .....",
        // Extras that captions write: the ellipsis of a cut prompt, the minus sign.
        "…": "..... ..... ..... ..... ..... ..... #.#.# .....",
        "−": "..... ..... ..... ##### ..... ..... ..... .....",
        "\u{FFFD}": "##### #...# #...# #...# #...# #...# ##### ....."
    ]
}
