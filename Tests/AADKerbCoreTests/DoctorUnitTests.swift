import Foundation
import Testing
@testable import AADKerbCore

@Suite struct SIDAndTimeTests {
    @Test func sidRoundTrips() {
        for sid in ["S-1-5-32-544", "S-1-5-21-3623811015-3361044348-30300820-1013", "S-1-1-0", "S-1-5-18"] {
            let bytes = parseSID(sid)
            #expect(bytes != nil)
            #expect(bytes.flatMap(formatSID) == sid)
        }
        // the well-known Administrators SID, byte for byte (MS-DTYP 2.4.2.2)
        #expect(parseSID("S-1-5-32-544") == [1, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0, 0x20, 2, 0, 0])
        for bad in ["", "S", "S-1", "S-2-5-32", "S-1-x-1", "S-1-5-4294967296", "X-1-5-32", "S-1-5--1", "S-1-281474976710656"] {
            #expect(parseSID(bad) == nil, "\(bad)")
        }
    }

    @Test func generalizedTimeParses() {
        let d = Doctor.generalizedTime("20261124224352.0Z")
        #expect(d.map { ISO8601DateFormatter().string(from: $0) } == "2026-11-24T22:43:52Z")
        #expect(Doctor.generalizedTime("2026112422") == nil)
        #expect(Doctor.generalizedTime("2026a124224352.0Z") == nil)
    }
}
