/// What every fuzz target's main.swift calls (Fuzz/, scripts/fuzz, docs/testing.md): hands
/// libFuzzer the check to run on each input and never returns.
///
/// The targets are built with `-sanitize=fuzzer,address`, which links libFuzzer's runtime. Its own
/// `main` is not used: SwiftPM links an executable target's main.swift as `<module>_main` behind
/// the real `main`, so the target's top-level code runs first and calls `LLVMFuzzerRunDriver`
/// (libFuzzer's documented entry for programs with their own main) with this module's callback.
/// The same binary replays saved inputs: `fuzz-TARGET FILE...` runs each file once.
#if canImport(Glibc)
import Glibc
#endif

@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<Int32>,
                                 _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                                 _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32

/// The target's check; a C callback captures nothing, so it reads it from here. Set once, before
/// libFuzzer starts, and only read afterwards (libFuzzer calls back on one thread).
nonisolated(unsafe) private var check: ([UInt8]) -> Void = { _ in }

/// Runs libFuzzer with the command line's options and corpus directories, `body` called on every
/// input. `body` must return for any input: a trap, a sanitizer report or a timeout is the finding.
public func fuzz(_ body: @escaping ([UInt8]) -> Void) -> Never {
    check = body
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in
        check(size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
        return 0
    })
}
