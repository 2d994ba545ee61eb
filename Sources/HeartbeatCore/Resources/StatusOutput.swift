/// 3.0.6 decides whether a resource runs from the text its `status` operation prints, not from
/// the exit code (spec §6.2, sharp edge §10.4). We keep the rule so existing scripts behave alike:
/// output matching the shell glob `*[Nn][Oo][Tt] *[Rr]unning*` means stopped; otherwise output
/// matching `*[Rr]unning*` or `*OK*` means running; anything else means stopped.
public enum StatusOutput {
    public static func saysRunning(_ output: String) -> Bool {
        let bytes = Array(output.utf8)
        if matchesNotRunning(bytes) { return false }
        return containsRunning(bytes[...]) || contains(bytes[...], Array("OK".utf8))
    }

    /// `*[Nn][Oo][Tt] *[Rr]unning*`: "not" in any case, one space, then "[Rr]unning" later on.
    static func matchesNotRunning(_ bytes: [UInt8]) -> Bool {
        guard bytes.count >= 4 else { return false }
        for start in 0...(bytes.count - 4) {
            let word = bytes[start..<(start + 3)].map { $0 | 0x20 }
            if word == Array("not".utf8), bytes[start + 3] == UInt8(ascii: " "),
               containsRunning(bytes[(start + 4)...]) {
                return true
            }
        }
        return false
    }

    /// `*[Rr]unning*`: only the first letter may be upper case.
    static func containsRunning(_ bytes: ArraySlice<UInt8>) -> Bool {
        contains(bytes, Array("running".utf8)) || contains(bytes, Array("Running".utf8))
    }

    static func contains(_ haystack: ArraySlice<UInt8>, _ needle: [UInt8]) -> Bool {
        guard haystack.count >= needle.count else { return false }
        var index = haystack.startIndex
        while index + needle.count <= haystack.endIndex {
            if haystack[index..<(index + needle.count)].elementsEqual(needle) { return true }
            index += 1
        }
        return false
    }
}
