import Foundation
import Basics

extension PartialTGT {
    /// A partial TGT as the cloud hands it to a device: `tgt_message_buffer` (a KRB-AS-REP
    /// carrying the ticket) and `tgt_client_key` (the session key, which also opens the AS-REP's
    /// enc-part, key usage 3). The enc-part must decrypt with the key and name the same key, and
    /// the ticket must be an AES-256 `krbtgt/REALM` ticket under an RODC kvno (Id in the high 16 bits).
    /// `userSID` is the SID the caller asked for (the AS-REP does not carry it).
    public init(messageBuffer: [UInt8], clientKey: Secret, userSID: SecurityIdentifier) throws {
        guard clientKey.count == 32 else { throw TicketsError.invalidArgument("tgt_client_key: an AES-256 key has 32 bytes, not \(clientKey.count)") }
        do {
            let node = try KDER.parse(messageBuffer)
            guard node.identifier.tagClass == .application, node.identifier.tagNumber == 11 else {
                throw KerberosDecodingError("tgt_message_buffer is not a KRB-AS-REP (\(node.identifier))")
            }
            let rep = try KDCReply(der: node, messageType: 11)
            let krb = try Krb5()
            guard rep.encPart.etype == Int(Krb5.aes256), rep.ticket.encPart.etype == Int(Krb5.aes256) else {
                throw KerberosDecodingError("the AS-REP is not AES-256 (enc-part etype \(rep.encPart.etype), ticket etype \(rep.ticket.encPart.etype))")
            }
            guard rep.ticket.sname.components.first?.lowercased() == "krbtgt" else {
                throw KerberosDecodingError("the ticket is for \(rep.ticket.sname), not krbtgt/\(rep.crealm)")
            }
            guard let kvno = rep.ticket.encPart.kvno, kvno > 0xffff, kvno <= 0xffff_ffff else {  // read back unsigned
                throw KerberosDecodingError("the ticket's kvno \(rep.ticket.encPart.kvno.map(String.init) ?? "none") carries no RODC number")
            }
            let plain: Secret
            do { plain = try krb.decrypt(rep.encPart.cipher, key: clientKey, usage: KeyUsage.asRepEncPart) } catch let e as Krb5Failure {
                throw KerberosDecodingError("the AS-REP does not decrypt with tgt_client_key: \(e.text)")
            }
            var part = try EncKDCRepPart(der: plain.withUnsafeBytes { Array($0) })
            defer { wipe(&part.key) }
            guard part.key == clientKey.withUnsafeBytes({ Array($0) }) else {
                throw KerberosDecodingError("the AS-REP names another session key than tgt_client_key")
            }
            self.init(realm: rep.crealm.uppercased(), client: rep.cname, userSID: userSID, kvno: UInt32(kvno), ticket: rep.ticketDER,
                      sessionKey: clientKey, flags: part.flags, authTime: part.authTime, startTime: part.startTime ?? part.authTime,
                      endTime: part.endTime, renewTill: part.renewTill ?? part.endTime, asRep: messageBuffer)
        } catch let error as KerberosDecodingError {
            throw TicketsError.malformedReply(error.reason)
        } catch let error as Krb5Failure {
            throw TicketsError.kerberosLibrary(error.description)
        }
    }
}
