import Foundation
import Testing
@testable import AADKerbCore
import TenantAPI
import Basics

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
        let d = GeneralizedTime.date("20261124224352.0Z")
        #expect(d.map { ISO8601DateFormatter().string(from: $0) } == "2026-11-24T22:43:52Z")
        #expect(GeneralizedTime.date("2026112422") == nil)
        #expect(GeneralizedTime.date("2026a124224352.0Z") == nil)
        #expect(GeneralizedTime.date("20261324224352.0Z") == nil)      // month 13
        #expect(GeneralizedTime.date("20260231000000.0Z") == nil)      // 31 February
        #expect(GeneralizedTime.date("2026112٤224352.0Z") == nil)      // a digit, not an ASCII one
        #expect(GeneralizedTime.date("19700101000000.0Z") == Date(timeIntervalSince1970: 0))
    }
}

/// aadkerb's own UTC timestamps (no ICU): checked against fixed vectors and against Foundation's
/// ISO8601DateFormatter over a sweep of dates.
@Suite struct ISO8601Tests {
    @Test func fixedVectors() {
        let vectors: [(Double, String)] = [
            (0, "1970-01-01T00:00:00Z"), (-1, "1969-12-31T23:59:59Z"), (951_782_400, "2000-02-29T00:00:00Z"),
            (951_868_800, "2000-03-01T00:00:00Z"), (4_107_542_400, "2100-03-01T00:00:00Z"),
            (1_795_567_273, "2026-11-25T00:41:13Z"), (253_402_300_799, "9999-12-31T23:59:59Z"),
            (-2_208_988_800, "1900-01-01T00:00:00Z"),
        ]
        for (seconds, text) in vectors {
            #expect(ISO8601.string(Date(timeIntervalSince1970: seconds)) == text)
            #expect(ISO8601.date(text) == Date(timeIntervalSince1970: seconds), "\(text)")
        }
        #expect(ISO8601.string(Date(timeIntervalSince1970: 1.5), fractional: true) == "1970-01-01T00:00:01.500Z")
        #expect(ISO8601.string(Date(timeIntervalSince1970: -0.25), fractional: true) == "1969-12-31T23:59:59.750Z")
        // not exactly representable: to the nearest millisecond, carrying into the second
        #expect(ISO8601.string(Date(timeIntervalSince1970: 1.001), fractional: true) == "1970-01-01T00:00:01.001Z")
        #expect(ISO8601.string(Date(timeIntervalSince1970: 1.9996), fractional: true) == "1970-01-01T00:00:02.000Z")
    }

    @Test func agreesWithFoundationOverASweep() {
        let foundation = ISO8601DateFormatter()
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<5000 {
            let date = Date(timeIntervalSince1970: Double(Int64.random(in: -2_208_988_800...7_258_118_400, using: &generator)))
            let ours = ISO8601.string(date)
            #expect(ours == foundation.string(from: date))
            #expect(ISO8601.date(ours) == date)
        }
    }

    @Test func parsesOffsetsAndFractionsAndRejectsTheRest() {
        #expect(ISO8601.date("2026-11-24T21:05:14+01:00") == ISO8601.date("2026-11-24T20:05:14Z"))
        #expect(ISO8601.date("2026-11-24T19:35:14-00:30") == ISO8601.date("2026-11-24T20:05:14Z"))
        #expect(ISO8601.date("2026-11-24t20:05:14z") == ISO8601.date("2026-11-24T20:05:14Z"))
        #expect(ISO8601.date("2026-11-24T20:05:14.25Z")?.timeIntervalSince1970 == ISO8601.date("2026-11-24T20:05:14Z")!.timeIntervalSince1970 + 0.25)
        for bad in ["", "2026-11-24", "2026-11-24T20:05:14", "2026-11-24 20:05:14Z", "2026-02-30T00:00:00Z", "2025-02-29T00:00:00Z",
                    "2026-13-01T00:00:00Z", "2026-11-24T24:00:00Z", "2026-11-24T20:05:14.Z", "2026-11-24T20:05:14Zjunk",
                    "2026-11-24T20:05:14+0100", "2026-11-24T20:05:14+01:60", "２０２６-11-24T20:05:14Z",
                    "2026-11-24T20:05:60Z"] {
            #expect(ISO8601.date(bad) == nil, "\(bad)")
        }
        #expect(ISO8601.date("2024-02-29T00:00:00Z") != nil)
        #expect(ISO8601.date("2016-12-31T23:59:60Z") == ISO8601.date("2017-01-01T00:00:00Z"))  // a leap second
    }
}
