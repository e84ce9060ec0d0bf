import WCFBinary

/// The WCF binary XML decoder under libFuzzer (docs/testing.md):
///
///     swift build -c release --product wcfbinary-fuzz -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING -Xswiftc -use-ld=lld
///     .build/release/wcfbinary-fuzz Fuzz/WCFBinaryFuzz-corpus -max_total_time=300
///
/// Each input goes through both decoders (msbin1, and msbinsession1 with a string table); what
/// decodes must encode and decode again to the same tree. A crash, a sanitizer report or a broken
/// round trip stops the run with the input saved.
///
/// Built without -DFUZZING (as `swift build` does), the same file is a replayer: it runs the
/// same checks on the files named on the command line (a saved crash, the corpus).
func check(_ bytes: [UInt8]) {
    var roomy = WCFBinaryLimits()
    roomy.maxBytes = 64 << 20
    roomy.maxNodes = 1 << 22
    if let tree = try? WCFBinaryDecoder().decode(bytes) {
        let again = try? WCFBinaryDecoder(limits: roomy).decode(WCFBinaryEncoder().encode(tree))
        precondition(again == tree, "the decoded tree does not survive encode + decode")
    }
    var session = SessionDictionary()
    if let tree = try? WCFBinaryDecoder().decodeSession(bytes, session: &session) {
        var tx = SessionDictionary(), rx = SessionDictionary()
        let again = try? WCFBinaryDecoder(limits: roomy).decodeSession(WCFBinaryEncoder().encodeSession(tree, session: &tx), session: &rx)
        precondition(again == tree, "the decoded session message does not survive encode + decode")
    }
}

import Foundation

#if FUZZING
/// libFuzzer's driver (in the -sanitize=fuzzer runtime). SwiftPM links an executable's main as
/// <module>_main, so libFuzzer's own main is not used: this one hands it the callback.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<Int32>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32
#endif

@main
struct WCFBinaryFuzz {
    static func main() throws {
        #if FUZZING
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in
            guard let data else { return 0 }
            check(Array(UnsafeBufferPointer(start: data, count: size)))
            return 0
        })
        #else
        var files = 0
        for path in CommandLine.arguments.dropFirst() {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
            let paths = isDirectory.boolValue ? try FileManager.default.contentsOfDirectory(atPath: path).map { path + "/" + $0 } : [path]
            for p in paths {
                check(Array(try Data(contentsOf: URL(fileURLWithPath: p))))
                files += 1
            }
        }
        print("wcfbinary-fuzz: \(files) inputs replayed, no failure")
        #endif
    }
}
