@testable import DRSClient
import Basics

/// Hex literal for test vectors (spaces allowed); traps on a typo.
func h(_ s: String) -> [UInt8] {
    guard let b = [UInt8](hex: s) else { fatalError("bad hex in test: \(s)") }
    return b
}
