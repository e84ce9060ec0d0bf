import Foundation
import Testing
@testable import TenantClient

/// The client secret is percent-encoded byte by byte straight from its Secret (no String copy);
/// the result must be what a form decoder reads back as the same bytes.
@Suite struct FormEncodingTests {
    @Test(arguments: ["plain-Secret_1.2~", "a&b=c+d e/f?g#h%i", "ümlaut-é-😀", "\u{0}\u{7f}\u{ff}"])
    func bytesRoundTripThroughAFormDecoder(_ secret: String) async throws {
        var out: [UInt8] = []
        Array(secret.utf8).withUnsafeBytes { TenantClient.formEncode($0, into: &out) }
        let encoded = String(decoding: out, as: UTF8.self)
        #expect(encoded.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-._~%".contains($0)) }, "\(encoded)")
        #expect(encoded.removingPercentEncoding == secret)
        if secret.allSatisfy({ $0.isASCII }) { #expect(encoded == TenantClient.formEncode(secret)) }
    }
}
