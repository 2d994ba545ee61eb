/// Reads `authkeys` (spec §2.1) into `AuthKeys`.
///
/// Unlike 3.0.6, `auth N` may come after the line defining key N; we warn because a 3.0.6 node
/// given the same file fails to start.
public enum AuthKeysParser {
    /// - Parameters:
    ///   - text: the file's contents.
    ///   - file: the path used in diagnostics and in the permissions message.
    ///   - mode: the file's permission bits (`st_mode & 0o7777`), or nil when unknown.
    /// - Returns: the keys when there were no errors, and every problem found.
    public static func parse(_ text: String, file: String, mode: UInt32?) -> (AuthKeys?, [Diagnostic]) {
        var diagnostics: [Diagnostic] = []
        func error(_ line: Int, _ message: String, _ hint: String) {
            diagnostics.append(Diagnostic(.error, file: file, line: line, message, hint: hint))
        }
        func warning(_ line: Int, _ message: String, _ hint: String) {
            diagnostics.append(Diagnostic(.warning, file: file, line: line, message, hint: hint))
        }

        // 3.0.6 refuses a group- or other-readable key file; write bits it does not check.
        if let mode {
            if mode & 0o044 != 0 {
                error(0, "Bad permissions on keyfile [\(file)], 600 recommended.", "chmod 600 \(file)")
            } else if mode & 0o022 != 0 {
                warning(0, "keyfile [\(file)] is writable by group or others", "chmod 600 \(file)")
            }
        }

        let (text, notes) = ConfigText.normalized(text, file: file)
        diagnostics += notes

        var slots: [Int: AuthKey] = [:]
        var slotLines: [Int: Int] = [:]
        var active: (slot: Int, line: Int)?
        let keyUsage = "write '<n> <method> [<key>]', e.g. '1 sha1 <secret>'"

        for (index, raw) in HaCfParser.splitLines(text).enumerated() {
            let number = index + 1
            let words = raw.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard let first = words.first else { continue }
            if raw.hasPrefix("#") { continue }
            if raw.first == " " || raw.first == "\t" {
                warning(number, "line starts with whitespace, which a 3.0.6 node cannot read",
                        first.hasPrefix("#") ? "put '#' in the first column" : "remove the leading whitespace")
                if first.hasPrefix("#") { continue }
            }

            if first == "auth" {
                guard words.count >= 2, let slot = ConfigValues.integer(words[1]) else {
                    error(number, "Invalid auth line [\(raw)]", "write 'auth <n>' with n from 0 to 15")
                    continue
                }
                guard AuthKeys.slotRange.contains(slot) else {
                    error(number, "auth slot [\(slot)] is out of range", "use a key number from 0 to 15")
                    continue
                }
                if words.count > 2 {
                    warning(number, "text after 'auth \(slot)' is ignored", "remove it")
                }
                if let earlier = active {
                    warning(number, "auth given again (also on line \(earlier.line)); this one is used",
                            "keep one auth line")
                }
                active = (slot, number)
                continue
            }

            guard let slot = ConfigValues.integer(first) else {
                error(number, "Invalid authkeys line [\(raw)]", keyUsage)
                continue
            }
            guard AuthKeys.slotRange.contains(slot) else {
                error(number, "Invalid authnum [\(first)]", "use a key number from 0 to 15")
                continue
            }
            guard words.count >= 2 else {
                error(number, "key \(slot) has no method", keyUsage)
                continue
            }
            guard let method = AuthMethod(rawValue: words[1]) else {
                error(number, "Invalid authtype [\(words[1])]",
                      "use sha1 or md5 (crc gives no security; sha256 works only between nodes of this implementation)")
                continue
            }
            let key = words.count >= 3 ? words[2] : nil
            if words.count > 3 {
                warning(number, "text after the key is ignored; a key is a single word",
                        "remove the text after the key (keys cannot contain spaces)")
            }
            var good = true
            switch (method.needsKey, key) {
            case (false, .some):
                error(number, "Auth method [\(method.rawValue)] doesn't use a key", "write '\(slot) crc' with no key")
                good = false
            case (true, .none):
                error(number, "Auth method [\(method.rawValue)] requires a key", "write '\(slot) \(method.rawValue) <secret>'")
                good = false
            default:
                break
            }
            switch method {
            case .crc:
                warning(number, "crc only detects corruption: anyone on the network can forge heartbeats",
                        "use '\(slot) sha1 <secret>'")
            case .sha256:
                warning(number, "sha256 is an extension of this implementation; 3.0.6 peers cannot verify it",
                        "use sha1 if any node runs Heartbeat 3.0.6")
            case .md5, .sha1:
                break
            }
            if let earlier = slotLines[slot] {
                error(number, "key \(slot) is defined twice (also on line \(earlier))", "give each key a unique number")
                continue
            }
            slotLines[slot] = number
            if good {
                slots[slot] = AuthKey(slot: slot, method: method, secret: Array((key ?? "").utf8))
            }
        }

        if let active {
            if let keyLine = slotLines[active.slot] {
                if keyLine < active.line {
                    warning(active.line, "'auth \(active.slot)' comes after key \(active.slot) (line \(keyLine)); a 3.0.6 node would not find the key",
                            "move the auth line to the top of the file")
                }
            } else {
                error(active.line, "Auth Key [\(active.slot)] not found", "add a line '\(active.slot) sha1 <secret>'")
            }
        } else {
            error(0, "No authentication specified.", "add 'auth 1' and a key line such as '1 sha1 <secret>'")
        }

        guard !diagnostics.hasErrors, let active, slots[active.slot] != nil else { return (nil, diagnostics) }
        return (AuthKeys(slots: slots, activeSlot: active.slot), diagnostics)
    }
}
