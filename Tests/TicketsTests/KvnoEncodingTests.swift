import Foundation
import Basics
import SwiftASN1
import Testing
@testable import Tickets

/// An RODC number of 32768 or more sets the kvno's top bit. Windows writes such a kvno as a
/// 4-byte negative INTEGER and Samba's Heimdal refuses the 5-byte unsigned form (measured:
/// "ASN.1 encoding ended unexpectedly" from a DC whose Id was 53568).
extension TicketsSuites {
@Suite struct KvnoEncodingTests {
    let sid = try! SecurityIdentifier("S-1-5-21-1004336348-1177238915-682003330-1105")

    @Test(arguments: [1, 32767, 32768, 53568, 65535])
    func aHighRODCNumberIsWrittenAsWindowsWritesItAndReadBack(_ id: Int) throws {
        let tgt = try PartialTGT.mint(realm: "contoso.test", userName: "alice", userSID: sid, rodcNumber: id, keyVersion: 3,
                                      key: Support.testKey)
        let ticket = try Ticket(der: try KDER.parse(tgt.ticket))
        #expect(ticket.encPart.kvno == id << 16 | 3)  // read back unsigned
        // the kvno field: [1] { INTEGER } with 4 content bytes at most, the sign bit the kvno's top bit
        var serializer = DER.Serializer()
        try EncryptedData(etype: 18, kvno: id << 16 | 3, cipher: []).encode(&serializer, 0)
        let bytes = serializer.serializedBytes
        let kvnoField = try #require(bytes.firstRange(of: [0xa1]), "\(bytes)")
        let length = Int(bytes[kvnoField.lowerBound + 3])  // A1 len 02 len value...
        #expect(bytes[kvnoField.lowerBound + 2] == 0x02 && length <= 4, "kvno \(id << 16 | 3) encoded as \(bytes)")
        #expect((bytes[kvnoField.lowerBound + 4] & 0x80 != 0) == (id >= 32768), "the sign bit is the kvno's top bit: \(bytes)")
        // the cloud's answer, read back: the same kvno
        let back = try PartialTGT(messageBuffer: tgt.asRep, clientKey: tgt.sessionKey, userSID: sid)
        #expect(back.kvno == tgt.kvno && back.ticket == tgt.ticket && back.realm == "CONTOSO.TEST")
    }

    @Test func aMessageBufferThatDoesNotOpenWithTheClientKeyIsRefused() throws {
        let tgt = try PartialTGT.mint(realm: "contoso.test", userName: "alice", userSID: sid, rodcNumber: 40000, keyVersion: 1, key: Support.testKey)
        #expect(throws: TicketsError.self) { try PartialTGT(messageBuffer: tgt.asRep, clientKey: Support.testKey, userSID: sid) }
        #expect(throws: TicketsError.self) { try PartialTGT(messageBuffer: Array(tgt.asRep.prefix(40)), clientKey: tgt.sessionKey, userSID: sid) }
        #expect(throws: TicketsError.self) { try PartialTGT(messageBuffer: tgt.ticket, clientKey: tgt.sessionKey, userSID: sid) }
    }
}
}
