// libFuzzer target: a DNS answer to the SRV query for a domain's DCs (UDP can be spoofed).
import DNSClient
import Foundation

func fuzz(_ data: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
    // the question the seeds were captured for (scripts/fuzz --capture); mutations of it are refused early
    _ = try? SRVLookup.parse(Array(UnsafeBufferPointer(start: data, count: count)), name: "_ldap._tcp.dc._msdcs.contoso.corp.com")
    return 0
}

// libFuzzer's own main is not linked in (this file's main is there first): hand it the callback.
@_silgen_name("LLVMFuzzerRunDriver")
func runDriver(_ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
               _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32

var argc = CommandLine.argc
var argv = CommandLine.unsafeArgv
exit(runDriver(&argc, &argv) { data, count in fuzz(data, count) })
