import Foundation
import Glibc
import Testing
@testable import HeartbeatRuntime

@Suite struct StateFilesTests {
    private func temporaryDirectory() -> String {
        var template = Array("/tmp/hb-state-XXXXXX".utf8CString)
        return template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
    }

    @Test func generationStartsFromClockThenIncrementsIn3_0_6Format() throws {
        let state = StateFiles(directory: temporaryDirectory())
        let first = try state.bumpGeneration(wallClockSeconds: 1_700_000_000)
        #expect(first.generation == 1_700_000_001)
        #expect(first.note?.1 == "No Previous generation - starting at 1700000001")
        let second = try state.bumpGeneration(wallClockSeconds: 5)
        #expect(second.generation == 1_700_000_002)
        #expect(second.note == nil)
        let text = String(decoding: readSmallFile(state.generationPath) ?? [], as: UTF8.self)
        #expect(text == "     1700000002\n")
    }

    @Test func brokenOrTornGenerationMovesOnToTheClockNeverBack() throws {
        let state = StateFiles(directory: temporaryDirectory())
        for broken in ["garbage\n", "", "\0\0\0", "   12", "99999999999999999999999\n"] {
            try writeDurably(Array(broken.utf8), to: state.generationPath, mode: 0o644)
            let result = try state.bumpGeneration(wallClockSeconds: 1_700_000_000)
            #expect(result.generation == 1_700_000_001, "after \(broken.debugDescription)")
            #expect(result.note?.0 == .error)
            #expect(result.note?.1.contains("BROKEN previous generation") == true)
        }
        // The file is whole again afterwards and counts on from there.
        #expect(try state.bumpGeneration(wallClockSeconds: 5).generation == 1_700_000_002)
    }

    @Test func unwritableStateDirectoryIsAnErrorNotAReusedGeneration() throws {
        let state = StateFiles(directory: temporaryDirectory() + "/missing")
        #expect(throws: SystemError.self) { try state.bumpGeneration(wallClockSeconds: 1) }
    }

    @Test func uuidIsCreatedOnceAndKept() throws {
        let state = StateFiles(directory: temporaryDirectory())
        let (uuid, note) = try state.loadOrCreateUUID()
        #expect(uuid.count == 16)
        #expect(uuid[6] >> 4 == 4)
        #expect(note == nil)
        let again = try state.loadOrCreateUUID()
        #expect(again.uuid == uuid && again.note == nil)
    }

    @Test func truncatedUUIDIsReplacedAndSaid() throws {
        let state = StateFiles(directory: temporaryDirectory())
        #expect(FileManager.default.createFile(atPath: state.uuidPath, contents: Data([1, 2, 3, 4, 5, 6, 7])))
        let (uuid, note) = try state.loadOrCreateUUID()
        #expect(uuid.count == 16)
        #expect(note?.0 == .error)
        #expect(note?.1.contains("BROKEN node UUID in \(state.uuidPath) (7 bytes, not 16)") == true)
        #expect(try state.loadOrCreateUUID().uuid == uuid)
    }
}
