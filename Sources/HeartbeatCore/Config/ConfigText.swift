/// What Windows editors leave in config files. Both are accepted, as an admin copying a file
/// through a Windows machine expects, but each gets a warning so the file can be cleaned up:
/// a UTF-8 byte-order mark is removed (3.0.6 would read it as part of the first word and refuse
/// the line), and CRLF line ends are read as LF (3.0.6 treats the CR as whitespace too).
enum ConfigText {
    static func normalized(_ text: String, file: String) -> (String, [Diagnostic]) {
        var text = text
        var diagnostics: [Diagnostic] = []
        if text.unicodeScalars.first == "\u{FEFF}" {
            text = String(String.UnicodeScalarView(text.unicodeScalars.dropFirst()))
            diagnostics.append(Diagnostic(.warning, file: file, line: 1, "UTF-8 byte-order mark ignored",
                                          hint: "save the file without a BOM; Heartbeat 3.0.6 refuses it"))
        }
        let bytes = Array(text.utf8)
        if let crlf = bytes.indices.dropLast().first(where: { bytes[$0] == 13 && bytes[$0 + 1] == 10 }) {
            let line = bytes[..<crlf].count(where: { $0 == 10 }) + 1
            diagnostics.append(Diagnostic(.warning, file: file, line: line, "Windows (CRLF) line ends, read as plain newlines",
                                          hint: "convert the file with dos2unix or sed -i 's/\\r$//'"))
        }
        return (text, diagnostics)
    }
}
