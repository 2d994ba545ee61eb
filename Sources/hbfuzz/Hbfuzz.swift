// `hbfuzz`: the libFuzzer targets of the parsers hostile input reaches (see FuzzTargets.swift).
//
// Fuzzing build (`make fuzz`): swift build --product hbfuzz -Xswiftc -sanitize=fuzzer,address
// -Xswiftc -parse-as-library -Xswiftc -DFUZZING; libFuzzer's driver runs the target HBFUZZ_TARGET names.
// Ordinary build: `hbfuzz TARGET FILE...` runs files through a target once (to replay a finding);
// `hbfuzz seeds DIR` writes signed classic messages the captures lack into DIR/{wire,serial,fifo}.
import Glibc
import HeartbeatCore

#if FUZZING
nonisolated(unsafe) private var selected: FuzzTarget?

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    if selected == nil {
        let name = getenv("HBFUZZ_TARGET").map { String(cString: $0) } ?? ""
        guard let target = FuzzTarget(rawValue: name) else {
            fatalError("set HBFUZZ_TARGET to one of: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: " "))")
        }
        selected = target
    }
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    selected!.run(bytes)
    return 0
}

/// libFuzzer's driver, for programs that keep their own `main` (compiler-rt's FuzzerDriver).
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32

/// SwiftPM links an executable's `main` to `<module>_main`, so libFuzzer's own `main` is not used.
@_cdecl("hbfuzz_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var count = argc
    var vector = argv
    return LLVMFuzzerRunDriver(&count, &vector) { data, size in fuzzOne(data, size) }
}
#else
/// The ordinary build's entry point: replaying files, writing seeds.
@main
struct Replay {
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.count == 2, arguments[0] == "seeds" {
            exit(writeSeeds(into: arguments[1]))
        }
        guard let name = arguments.first, let target = FuzzTarget(rawValue: name), arguments.count > 1 else {
            print("usage: hbfuzz {\(FuzzTarget.allCases.map(\.rawValue).joined(separator: "|"))} FILE...")
            exit(2)
        }
        for path in arguments.dropFirst() {
            guard let file = fopen(path, "rb") else {
                print("hbfuzz: cannot open \(path)")
                exit(1)
            }
            var bytes: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = fread(&chunk, 1, chunk.count, file)
                if count == 0 { break }
                bytes += chunk[0..<count]
            }
            fclose(file)
            target.run(bytes)
            print("\(path): ok")
        }
    }
}
#endif

#if !FUZZING
/// Classic messages as 3.0.6 sends them on serial links and scripts write to the FIFO.
func writeSeeds(into directory: String) -> Int32 {
    let messages = [
        Message(type: .status, ("st", "active"), ("dt", "7530"), ("protocol", "1"), ("src", "node1"),
                ("srcuuid", "AAECAwQFBgcICQoLDA0ODw=="), ("hg", "4a1b2c3d"), ("seq", "1f"), ("hbgen", "3"),
                ("ts", "65f0a1b2"), ("ld", "0.10 0.05 0.01 1/100 1234"), ("ttl", "3")),
        Message(type: .askResources, ("rsc_hold", "foreign"), ("info", "me"), ("src", "node2"), ("seq", "2a")),
    ]
    var files: [(String, [UInt8])] = []
    for (index, message) in messages.enumerated() {
        for slot in FuzzTarget.keys.slots.keys.sorted() {
            let keys = AuthKeys(slots: FuzzTarget.keys.slots, activeSlot: slot)
            guard let classic = try? Wire.encodeClassic(message, signedWith: keys) else { continue }
            files.append(("wire/classic-\(index)-slot\(slot)", classic))
            files.append(("serial/classic-\(index)-slot\(slot)", Array("noise\n".utf8) + classic + classic))
            if let netstring = try? Wire.encodeNetstring(message, signedWith: keys) {
                files.append(("wire/netstring-\(index)-slot\(slot)", netstring))
            }
        }
        if let plain = try? Wire.encodeClassic(message) { files.append(("fifo/classic-\(index)", plain + plain)) }
    }
    for (name, bytes) in files {
        guard let file = fopen(directory + "/" + name, "wb") else {
            print("hbfuzz: cannot write \(directory)/\(name)")
            return 1
        }
        _ = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
        fclose(file)
    }
    return 0
}
#endif
