/// The KDC reply readers, fed raw bytes by a libFuzzer target (Fuzz/, scripts/fuzz).
/// `package`: reachable from this package's fuzz targets only.
package enum TicketsFuzzEntry {
    /// A KDC's reply as `TicketExchange.interpret` reads it before decrypting: KRB-ERROR
    /// [APPLICATION 30] or TGS-REP [APPLICATION 13]; and the same bytes as a decrypted
    /// EncTGSRepPart (the part only the session key opens).
    package static func kdcReply(_ bytes: [UInt8]) {
        if let node = try? KDER.parse(bytes), node.identifier.tagClass == .application {
            switch node.identifier.tagNumber {
            case 30: _ = try? KRBError(der: node)
            case 13: _ = try? KDCReply(der: node, messageType: 13)
            default: break
            }
        }
        _ = try? EncKDCRepPart(der: bytes)
    }
}
