import Foundation

/// RFC 3339 / ISO 8601 timestamps in UTC, by arithmetic on the proleptic Gregorian calendar:
/// Foundation's formatters reach ICU's time-zone data for "UTC", which costs start-up and ~2 MiB
/// of memory in a command-line run (docs/performance.md).
public enum ISO8601 {
    /// `2026-11-24T20:05:14Z`.
    public static func string(_ date: Date) -> String { string(date, fractional: false) }

    /// With `fractional`, milliseconds too: `2026-11-24T20:05:14.123Z`.
    public static func string(_ date: Date, fractional: Bool) -> String {
        let total = date.timeIntervalSince1970
        var seconds = Int64(total.rounded(.down))
        // to the nearest millisecond: 1.001 is 1.00099999... as a Double
        var millis = Int64(((total - Double(seconds)) * 1000).rounded())
        if millis >= 1000 { seconds += 1; millis -= 1000 }
        let (days, secondOfDay) = (floorDiv(seconds, 86400), seconds - floorDiv(seconds, 86400) * 86400)
        let (y, m, d) = civil(days: days)
        var text = "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2))"
        if fractional { text += ".\(pad(millis, 3))" }
        return text + "Z"
    }

    /// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)`; nil for anything else or an impossible date.
    public static func date(_ string: String) -> Date? {
        let b = Array(string.utf8)
        func number(_ range: Range<Int>) -> Int64? {
            guard range.upperBound <= b.count else { return nil }
            var v: Int64 = 0
            for i in range {
                guard b[i] >= 48, b[i] <= 57 else { return nil }
                v = v * 10 + Int64(b[i] - 48)
            }
            return v
        }
        guard b.count >= 20, b[4] == 45, b[7] == 45, b[10] == 84 || b[10] == 116, b[13] == 58, b[16] == 58,
              let y = number(0..<4), let mo = number(5..<7), let d = number(8..<10),
              let h = number(11..<13), let mi = number(14..<16), let s = number(17..<19),
              (1...12).contains(mo), d >= 1, d <= daysIn(month: mo, year: y), h < 24, mi < 60,
              s < 60 || (s == 60 && h == 23 && mi == 59)  // a leap second ends a day only
        else { return nil }
        var i = 19
        var fraction = 0.0
        if b[i] == 46 {  // '.'
            var scale = 0.1
            i += 1
            let start = i
            while i < b.count, b[i] >= 48, b[i] <= 57 { fraction += Double(b[i] - 48) * scale; scale /= 10; i += 1 }
            guard i > start else { return nil }
        }
        var offset: Int64 = 0
        if i == b.count - 1, b[i] == 90 || b[i] == 122 {  // 'Z'
        } else if i == b.count - 6, b[i] == 43 || b[i] == 45, b[i + 3] == 58,
                  let oh = number(i + 1..<i + 3), let om = number(i + 4..<i + 6), oh < 24, om < 60 {
            offset = (oh * 3600 + om * 60) * (b[i] == 45 ? -1 : 1)
        } else {
            return nil
        }
        let seconds = days(year: y, month: mo, day: d) * 86400 + h * 3600 + mi * 60 + s - offset
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
    public static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = floorDiv(y, 400)
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    /// The proleptic Gregorian date of a day count since 1970-01-01 (civil_from_days).
    static func civil(days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719468
        let era = floorDiv(z, 146097)
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    public static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : -((-a + b - 1) / b) }

    static func pad(_ v: Int64, _ width: Int) -> String {
        let digits = String(v)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}

/// GeneralizedTime in UTC: LDAP's (`currentTime`, `whenChanged`: `20261124224352.0Z`) and
/// Kerberos' (KerberosTime, RFC 4120 5.2.3: `20261124224352Z`, whole seconds).
public enum GeneralizedTime {
    /// `YYYYMMDDHHMMSSZ`, whole seconds (KerberosTime).
    public static func string(_ date: Date) -> String {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        let days = ISO8601.floorDiv(seconds, 86400)
        let secondOfDay = seconds - days * 86400
        let (y, m, d) = ISO8601.civil(days: days)
        return ISO8601.pad(y, 4) + ISO8601.pad(m, 2) + ISO8601.pad(d, 2)
            + ISO8601.pad(secondOfDay / 3600, 2) + ISO8601.pad(secondOfDay / 60 % 60, 2) + ISO8601.pad(secondOfDay % 60, 2) + "Z"
    }

    /// `YYYYMMDDHHMMSS`, then a fraction (`.0`, ignored) or none, then `Z`; nil for anything else
    /// or an impossible date. `kerberos`: exactly `YYYYMMDDHHMMSSZ` (no fraction).
    public static func date(_ text: String, kerberos: Bool = false) -> Date? {
        let b = Array(text.utf8)
        guard b.count >= 15, b[0..<14].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), b.last == 0x5a else { return nil }
        if kerberos {
            guard b.count == 15 else { return nil }
        } else if b.count > 15 {
            // a fraction: '.' or ',' and at least one digit
            guard b[14] == 0x2e || b[14] == 0x2c, b.count > 16, b[15..<(b.count - 1)].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        }
        func v(_ i: Int, _ len: Int) -> Int64 { b[i..<(i + len)].reduce(0) { $0 * 10 + Int64($1 - 0x30) } }
        let (year, month, day, hour, minute, second) = (v(0, 4), v(4, 2), v(6, 2), v(8, 2), v(10, 2), v(12, 2))
        guard (1...12).contains(month), day >= 1, day <= ISO8601.daysIn(month: month, year: year), hour < 24, minute < 60, second < 61
        else { return nil }
        return Date(timeIntervalSince1970: Double(ISO8601.days(year: year, month: month, day: day) * 86400 + hour * 3600 + minute * 60 + second))
    }
}
