// libFuzzer target: an NTLM CHALLENGE_MESSAGE from a DC's bind_ack.
import DRSClient
import Foundation

func fuzz(_ data: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
    DRSFuzzEntry.ntlmChallenge(Array(UnsafeBufferPointer(start: data, count: count)))
    return 0
}

// libFuzzer's own main is not linked in (this file's main is there first): hand it the callback.
@_silgen_name("LLVMFuzzerRunDriver")
func runDriver(_ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
               _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32

var argc = CommandLine.argc
var argv = CommandLine.unsafeArgv
exit(runDriver(&argc, &argv) { data, count in fuzz(data, count) })
