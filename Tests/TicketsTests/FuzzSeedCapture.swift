import Foundation
import Basics
import Testing
@testable import Tickets

extension TicketsSuites {
/// Not a test of behaviour: `scripts/fuzz --capture` runs it (AADKERB_FUZZ_SEED_DIR set, and the
/// Tickets live DC named as for LiveDCTests) to save the kdc-reply fuzz target's TGS-REP seeds
/// (Fuzz/corpus/kdc-reply/): tkt-alice's partial TGT exchanged for an LDAP ticket at tktlab's DC.
/// The reply as it came holds only ciphertext (the ticket under the DC's service key, the enc-part
/// under the minted TGT's session key, neither saved). Its decrypted EncTGSRepPart is saved too,
/// with the new session key's bytes overwritten in place by counting bytes (no real key).
@Suite(.enabled(if: ProcessInfo.processInfo.environment["AADKERB_FUZZ_SEED_DIR"] != nil
                    && ProcessInfo.processInfo.environment[LiveDC.variable] != nil, "only for scripts/fuzz --capture"))
struct TicketsFuzzSeedCapture {
    @Test func captureTGSReply() async throws {
        let out = URL(fileURLWithPath: try #require(ProcessInfo.processInfo.environment["AADKERB_FUZZ_SEED_DIR"]))
            .appendingPathComponent("kdc-reply")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let f = try await LiveDC.fixture.value
        let tgt = try PartialTGT.mint(realm: f.config.realm, userName: f.alice.name, userSID: f.alice.sid, rodcNumber: f.rodcNumber,
                                      keyVersion: f.keyVersion, key: f.key)
        let krb = try Krb5()
        let nonce = Int(UInt32.random(in: 1...0x7fff_ffff))
        let service = PrincipalName("ldap/\(f.config.fqdn)")
        let request = try TGSRequest.build(tgt: tgt, service: service, nonce: nonce, keyList: false, now: Date(), krb: krb)
        let reply = try KDCTransport.exchange(host: f.config.ip, port: 88, request: request, timeout: .seconds(10))
        // Only a reply the exchange reads as an issued ticket is a TGS-REP seed.
        let outcome = try TicketExchange.interpret(reply, tgt: tgt, nonce: nonce, krb: krb).outcome
        guard case .issued(_, 18, service) = outcome else { Issue.record("not issued: \(outcome)"); return }
        try Data(reply).write(to: out.appendingPathComponent("samba-tgs-rep-ldap.bin"))

        let rep = try KDCReply(der: try KDER.parse(reply), messageType: 13)
        var plain = try krb.decrypt(rep.encPart.cipher, key: tgt.sessionKey, usage: KeyUsage.tgsRepEncPartSessionKey).withUnsafeBytes { Array($0) }
        defer { wipe(&plain) }
        var part = try EncKDCRepPart(der: plain)
        defer { wipe(&part.key) }
        let at = try #require(plain.firstRange(of: part.key), "the session key's bytes in the EncTGSRepPart")
        plain.replaceSubrange(at, with: (0..<part.key.count).map { UInt8($0) })
        let redacted = try EncKDCRepPart(der: plain)
        #expect(redacted.key == (0..<part.key.count).map { UInt8($0) } && redacted.nonce == nonce && redacted.sname == service)
        try Data(plain).write(to: out.appendingPathComponent("samba-enc-tgs-rep-part-synthetic-key.bin"))
    }
}
}
