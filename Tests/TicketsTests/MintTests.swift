import Foundation
import Basics
import SwiftASN1
import Testing
@testable import Tickets

extension TicketsSuites {
@Suite struct MintTests {
    let sid = try! SecurityIdentifier("S-1-5-21-1004336348-1177238915-682003330-1105")

    func mint(now: Date = Date(timeIntervalSince1970: 1_750_000_000)) throws -> PartialTGT {
        try PartialTGT.mint(realm: "contoso.test", userName: "alice", userSID: sid, rodcNumber: 12944, keyVersion: 1,
                            key: Support.testKey, lifetime: .seconds(36000), now: now)
    }

    @Test func securityIdentifiers() throws {
        #expect(sid.description == "S-1-5-21-1004336348-1177238915-682003330-1105")
        #expect(sid.split?.rid == 1105)
        #expect(sid.split?.domain.description == "S-1-5-21-1004336348-1177238915-682003330")
        #expect(sid.bytes.count == 28 && sid.bytes.prefix(8) == [1, 5, 0, 0, 0, 0, 0, 5])
        #expect(throws: TicketsError.self) { try SecurityIdentifier("S-1-5-x") }
        #expect(throws: TicketsError.self) { try SecurityIdentifier("alice") }
    }

    @Test func argumentsAreChecked() throws {
        #expect(throws: TicketsError.self) {
            try PartialTGT.mint(realm: "C.TEST", userName: "a", userSID: sid, rodcNumber: 0, keyVersion: 1, key: Support.testKey)
        }
        #expect(throws: TicketsError.self) {
            try PartialTGT.mint(realm: "C.TEST", userName: "a", userSID: sid, rodcNumber: 1, keyVersion: 70000, key: Support.testKey)
        }
        #expect(throws: TicketsError.self) {
            try PartialTGT.mint(realm: "C.TEST", userName: "a", userSID: sid, rodcNumber: 1, keyVersion: 1, key: Secret(bytes: [1, 2, 3]))
        }
        #expect(throws: TicketsError.self) {
            try PartialTGT.mint(realm: "C.TEST", userName: "a", userSID: SecurityIdentifier("S-1-5"), rodcNumber: 1, keyVersion: 1, key: Support.testKey)
        }
    }

    @Test func ticketShapeAndRoundTrip() throws {
        let tgt = try mint()
        #expect(tgt.realm == "CONTOSO.TEST")
        #expect(tgt.kvno == 12944 << 16 | 1 && tgt.rodcNumber == 12944 && tgt.keyVersion == 1)
        #expect(tgt.sessionKey.count == 32)
        #expect(tgt.endTime.timeIntervalSince(tgt.authTime) == 36000)
        #expect(!tgt.description.contains("Secret") && tgt.description.contains("alice@CONTOSO.TEST"))

        let ticket = try Ticket(der: try KDER.parse(tgt.ticket))
        #expect(ticket.realm == "CONTOSO.TEST")
        #expect(ticket.sname == PrincipalName(nameType: 2, components: ["krbtgt", "CONTOSO.TEST"]))
        #expect(ticket.encPart.etype == 18 && ticket.encPart.kvno == Int(tgt.kvno))
        #expect(try ticket.der() == tgt.ticket)  // DER re-encodes byte for byte

        let krb = try Krb5()
        let plain = try krb.decrypt(ticket.encPart.cipher, key: Support.testKey, usage: 2)
        let bytes = plain.withUnsafeBytes { Array($0) }
        let part = try EncTicketPart(der: bytes)
        #expect(try part.der() == bytes)
        #expect(part.flags == PartialTGT.defaultFlags)
        #expect(part.keyType == 18 && Secret(bytes: part.key).withUnsafeBytes { Array($0) } == tgt.sessionKey.withUnsafeBytes { Array($0) })
        #expect(part.crealm == "CONTOSO.TEST" && part.cname.components == ["alice"] && part.cname.nameType == 1)
        #expect(part.authTime == tgt.authTime && part.endTime == tgt.endTime && part.renewTill == tgt.renewTill)
        #expect(GeneralizedTime.string(part.authTime) == "20250615150640Z")
        #expect(try AuthorizationElement.pac(in: part.authorizationData) != nil)
        // The wrong key or usage does not open it.
        #expect(throws: Krb5Failure.self) { try krb.decrypt(ticket.encPart.cipher, key: Support.testKey, usage: 3) }
    }

    @Test func asRepOpensWithTheSessionKey() throws {
        let tgt = try mint()
        let rep = try KDCReply(der: try KDER.parse(tgt.asRep), messageType: 11)
        #expect(rep.ticketDER == tgt.ticket && rep.crealm == "CONTOSO.TEST" && rep.cname.components == ["alice"])
        #expect(rep.encPart.etype == 18 && rep.encPart.kvno == nil)
        #expect(try rep.der() == tgt.asRep)
        let plain = try Krb5().decrypt(rep.encPart.cipher, key: tgt.sessionKey, usage: 3)
        let part = try EncKDCRepPart(der: plain.withUnsafeBytes { Array($0) })
        #expect(part.key == tgt.sessionKey.withUnsafeBytes { Array($0) })
        #expect(part.sname == .krbtgt(realm: "CONTOSO.TEST") && part.srealm == "CONTOSO.TEST" && part.endTime == tgt.endTime)
    }

    @Test func logonInfoIsPaddedNDR() throws {
        let blob = try PACBuffers.logonInfo(userName: "alice", userSID: sid, logonDomainName: "CONTOSO", logonTime: Date(timeIntervalSince1970: 0))
        #expect(blob.count % 8 == 0)
        #expect(Array(blob.prefix(8)) == [0x01, 0x10, 0x08, 0x00, 0xcc, 0xcc, 0xcc, 0xcc])
        let length = Int(blob[8]) | Int(blob[9]) << 8 | Int(blob[10]) << 16 | Int(blob[11]) << 24
        #expect(length == blob.count - 16)
    }

    /// The PAC checked by impacket (an independent implementation): decrypting the ticket with
    /// the krbtgt key, finding the PAC in AD-IF-RELEVANT, verifying both signatures, parsing LOGON_INFO.
    @Test func pacMatchesImpacket() async throws {
        let tgt = try mint()
        let o = try await Support.oracle("ticket", der: tgt.ticket, key: Support.testKey, as: Support.TicketReport.self)
        #expect(o.realm == "CONTOSO.TEST")
        #expect(o.sname == "krbtgt/CONTOSO.TEST")
        #expect(o.kvno == Int(tgt.kvno) && o.etype == 18)
        #expect(o.cname == "alice" && o.crealm == "CONTOSO.TEST")
        #expect(o.session_key_type == 18 && o.session_key_length == 32)
        #expect(o.pac_count == 1)
        let pac = try #require(o.pac)
        let types = pac.buffers.map(\.type)
        #expect(Set(types) == [1, 6, 7, 10, 18], "PAC buffer types \(types)")
        #expect(pac.offsets_aligned)
        let logonInfoSize = try #require(pac.logon_info_size)
        #expect(logonInfoSize % 8 == 0)
        let logon = try #require(pac.logon)
        #expect(logon.user_sid == sid.description)
        #expect(logon.effective_name == "alice")
        #expect(logon.user_id == 1105)
        #expect(logon.primary_group_id == 513)
        #expect(logon.groups == [513])
        #expect(logon.sid_count == 0)
        #expect(logon.logon_domain_name == "CONTOSO")
        #expect(logon.logon_domain_id == "S-1-5-21-1004336348-1177238915-682003330")
        #expect(pac.requestor_sid == sid.description)
        #expect(pac.client_info_name == "alice")
        let server = try #require(pac.server_signature)
        let kdc = try #require(pac.kdc_signature)
        #expect(server.type == 16 && server.length == 12)
        // The KDC signature buffer: type and signature only, no RODCIdentifier (Samba refuses one).
        #expect(kdc.type == 16 && kdc.buffer_size == 16)
        #expect(pac.server_signature_valid == true)
        #expect(pac.kdc_signature_valid == true)
    }

    /// The AS-REP opened as ROADtools and impacket's CCache.fromTGT do: session key, key usage 3.
    @Test func asRepMatchesImpacket() async throws {
        let tgt = try mint()
        let o = try await Support.oracle("asrep", der: tgt.asRep, key: tgt.sessionKey, as: Support.ASRepReport.self)
        #expect(o.key_matches)
        #expect(o.key_type == 18)
        #expect(o.cname == "alice" && o.crealm == "CONTOSO.TEST")
        #expect(o.sname == "krbtgt/CONTOSO.TEST" && o.ticket_sname == "krbtgt/CONTOSO.TEST")
        #expect(o.ticket_kvno == Int(tgt.kvno))
    }

    @Test func tgsRequestShape() throws {
        let tgt = try mint()
        let krb = try Krb5()
        let req = try TGSRequest.build(tgt: tgt, service: PrincipalName("ldap/dc1.contoso.test"), nonce: 4242, keyList: true, now: Date(), krb: krb)
        let f = try KDER.fields(try KDER.parse(req), KDER.application(12), what: "TGS-REQ", required: [1, 2, 3, 4])
        #expect(try KDER.int(f[1], what: "") == 5 && KDER.int(f[2], what: "") == 12)
        let padata = try PAData.decode(f[3], what: "padata")
        #expect(padata.map(\.type) == [1, 161])
        #expect(padata[1].value == [0x30, 0x03, 0x02, 0x01, 0x17])  // SEQUENCE OF INTEGER { 23 }
        // The authenticator's checksum covers the req-body exactly as sent.
        let body = Array(f[4]!.encodedBytes)
        let ap = try KDER.fields(try KDER.parse(padata[0].value), KDER.application(14), what: "AP-REQ", required: [0, 1, 2, 3, 4])
        #expect(Array(ap[3]!.encodedBytes) == tgt.ticket)
        let sealed = try EncryptedData(der: ap[4], what: "authenticator")
        let plain = try krb.decrypt(sealed.cipher, key: tgt.sessionKey, usage: 7).withUnsafeBytes { Array($0) }
        let auth = try KDER.fields(try KDER.parse(plain), KDER.application(2), what: "Authenticator", required: [0, 1, 2, 3, 4, 5])
        let cksum = try KDER.fields(auth[3]!, what: "Checksum", required: [0, 1])
        #expect(try KDER.int(cksum[0], what: "") == 16)
        #expect(try KDER.octets(cksum[1], what: "") == krb.checksum(body, key: tgt.sessionKey, usage: 6))
        let b = try KDER.fields(f[4]!, what: "req-body", required: [0, 2, 3, 5, 7, 8])
        #expect(try PrincipalName(der: b[3], what: "sname") == PrincipalName(nameType: 2, components: ["ldap", "dc1.contoso.test"]))
        #expect(try KDER.int(b[7], what: "") == 4242)
    }

    @Test func errorCodesHaveNames() {
        #expect(KerberosErrorCode.tgtRevoked.description == "KDC_ERR_TGT_REVOKED (20)")
        #expect(KerberosErrorCode(44) == .badKeyVersion && KerberosErrorCode(44).name == "KRB_AP_ERR_BADKEYVER")
        #expect(KerberosErrorCode(35).name == "KRB_AP_ERR_NOT_US" && KerberosErrorCode(12).name == "KDC_ERR_POLICY")
        #expect(KerberosErrorCode(999).name == "KRB_ERROR_999")
    }
}
}
