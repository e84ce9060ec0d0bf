import Foundation
import Basics

/// What can go wrong in Tickets other than a KDC's refusal (that is an `ExchangeOutcome`).
public enum TicketsError: Error, Sendable, CustomStringConvertible, Equatable {
    /// An argument out of range: a key of the wrong size, a kvno part above 16 bits, a bad SID or address.
    case invalidArgument(String)
    /// MIT krb5 failed (context, crypto, PAC signing): what was done and krb5's message.
    case kerberosLibrary(String)
    /// No TCP connection to the KDC (refused, no route, bad address).
    case unreachable(String)
    /// The KDC did not answer within the timeout (connect, send or receive).
    case timedOut(String)
    /// The KDC answered something that is not a well-formed reply to this request: truncated,
    /// not DER, the wrong message, a reply that does not decrypt with the session key, a nonce mismatch.
    case malformedReply(String)

    public var description: String {
        switch self {
        case .invalidArgument(let m): "invalid argument: \(m)"
        case .kerberosLibrary(let m): "Kerberos library: \(m)"
        case .unreachable(let m): "KDC unreachable: \(m)"
        case .timedOut(let m): "KDC timed out: \(m)"
        case .malformedReply(let m): "malformed KDC reply: \(m)"
        }
    }
}

/// The TGT Entra ID hands a Windows device for its on-premises realm ("partial TGT", "cloud TGT"):
/// `krbtgt/REALM@REALM`, AES-256, encrypted with the key of krbtgt_AzureAD under
/// `kvno = (rodcNumber << 16) | keyVersion`, so a DC treats it as issued by the read-only DC
/// the AzureADKerberos object stands for. Its PAC holds only the user's SID and name.
///
/// `sessionKey` and `ticket` are a credential together; `description` shows neither.
public struct PartialTGT: Sendable, CustomStringConvertible {
    /// The AD realm (upper case).
    public let realm: String
    /// The client: the user's sAMAccountName, NT-PRINCIPAL.
    public let client: PrincipalName
    public let userSID: SecurityIdentifier
    /// `(rodcNumber << 16) | keyVersion`, as written in the ticket's enc-part.
    public let kvno: UInt32
    /// The Ticket, DER ([APPLICATION 1]).
    public let ticket: [UInt8]
    /// The ticket's session key (AES-256, etype 18).
    public let sessionKey: Secret
    /// TicketFlags as a 32-bit value, bit 0 the most significant: forwardable, renewable, initial, pre-authent.
    public let flags: UInt32
    public let authTime: Date
    public let startTime: Date
    public let endTime: Date
    public let renewTill: Date
    /// A KRB-AS-REP carrying `ticket`, DER ([APPLICATION 11]): the shape of the cloud's
    /// `tgt_message_buffer` as public decoders (ROADtools, impacket's CCache.fromTGT) read it.
    /// Its enc-part, an EncASRepPart ([APPLICATION 25]) holding the session key, is encrypted
    /// with the session key itself, key usage 3 (AS-REP encrypted part): in the real protocol
    /// the device learns the session key separately (`tgt_client_key`, encrypted to the device)
    /// and opens the message buffer with it.
    public let asRep: [UInt8]

    public var rodcNumber: Int { Int(kvno >> 16) }
    public var keyVersion: Int { Int(kvno & 0xffff) }

    public var description: String {
        "PartialTGT(\(client)@\(realm), \(userSID), kvno \(rodcNumber)<<16|\(keyVersion), ends \(endTime))"
    }

    static let defaultFlags: UInt32 = 0x40e0_0000  // forwardable(1), renewable(8), initial(9), pre-authent(10)

    /// Mints the partial TGT for `userName` (sAMAccountName) with SID `userSID` in `realm`, as the
    /// cloud does: encrypted with `key` (krbtgt_AzureAD's AES-256 key, 32 bytes) under kvno
    /// `(rodcNumber << 16) | keyVersion`. The PAC: LOGON_INFO (the user's SID as domain SID + RID,
    /// the name, primary group 513 and no other group), REQUESTOR (the SID), CLIENT_INFO, and the
    /// server and KDC signatures, both HMAC-SHA1-96-AES256 with `key` (no RODCIdentifier in the
    /// KDC signature: Samba refuses the server signature otherwise).
    ///
    /// - Parameters:
    ///   - realm: the AD realm, the DNS domain name (upper-cased here).
    ///   - rodcNumber: msDS-SecondaryKrbTgtNumber of krbtgt_AzureAD (1...65535).
    ///   - keyVersion: its msDS-KeyVersionNumber (0...65535).
    ///   - lifetime: from `now` to the end time; renewable for `renewableLifetime` from `now`.
    ///   - logonDomainName: LOGON_INFO's LogonDomainName, the NetBIOS domain; default the realm's first label.
    public static func mint(realm: String, userName: String, userSID: SecurityIdentifier, rodcNumber: Int, keyVersion: Int,
                            key: Secret, lifetime: Duration = .seconds(10 * 3600), renewableLifetime: Duration = .seconds(7 * 86400),
                            now: Date = Date(), logonDomainName: String? = nil) throws -> PartialTGT {
        let realm = realm.uppercased()
        guard !realm.isEmpty, !userName.isEmpty else { throw TicketsError.invalidArgument("empty realm or user name") }
        guard (1...0xffff).contains(rodcNumber) else { throw TicketsError.invalidArgument("RODC number \(rodcNumber) is not in 1...65535") }
        guard (0...0xffff).contains(keyVersion) else { throw TicketsError.invalidArgument("key version \(keyVersion) is not in 0...65535") }
        guard key.count == 32 else { throw TicketsError.invalidArgument("an AES-256 key has 32 bytes, not \(key.count)") }
        guard lifetime > .zero, renewableLifetime >= lifetime else { throw TicketsError.invalidArgument("lifetime must be positive and at most the renewable lifetime") }
        guard userSID.split != nil else { throw TicketsError.invalidArgument("the user SID \(userSID) has no RID") }
        let kvno = UInt32(rodcNumber) << 16 | UInt32(keyVersion)
        let authTime = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down))
        let endTime = authTime.addingTimeInterval(TimeInterval(lifetime.components.seconds))
        let renewTill = authTime.addingTimeInterval(TimeInterval(renewableLifetime.components.seconds))
        let client = PrincipalName(nameType: 1, components: [userName])
        let tgs = PrincipalName.krbtgt(realm: realm)

        do {
            let krb = try Krb5()
            let sessionKey = try krb.randomKey()
            let logonInfo = try PACBuffers.logonInfo(userName: userName, userSID: userSID,
                                                     logonDomainName: logonDomainName ?? String(realm.prefix { $0 != "." }),
                                                     logonTime: authTime)
            let pac = try krb.signedPAC(buffers: [(PACBuffers.logonInfo, logonInfo), (PACBuffers.requestor, PACBuffers.requestor(userSID))],
                                        clientName: userName, realm: realm, authTime: Int32(truncatingIfNeeded: Int64(authTime.timeIntervalSince1970)),
                                        key: key)
            var sessionKeyBytes = sessionKey.withUnsafeBytes { Array($0) }
            defer { wipe(&sessionKeyBytes) }

            var encTicketPart = try EncTicketPart(
                flags: defaultFlags, keyType: Int(Krb5.aes256), key: sessionKeyBytes, crealm: realm, cname: client,
                authTime: authTime, startTime: authTime, endTime: endTime, renewTill: renewTill,
                authorizationData: AuthorizationElement.wrappingPAC(pac)).der()
            defer { wipe(&encTicketPart) }
            let ticket = Ticket(realm: realm, sname: tgs,
                                encPart: EncryptedData(etype: Int(Krb5.aes256), kvno: Int(kvno),
                                                       cipher: try krb.encrypt(encTicketPart, key: key, usage: KeyUsage.ticket)))
            let ticketDER = try ticket.der()

            var encASRepPart = try EncKDCRepPart(
                keyType: Int(Krb5.aes256), key: sessionKeyBytes, nonce: Int(UInt32.random(in: 1...0x7fff_ffff)), flags: defaultFlags,
                authTime: authTime, startTime: authTime, endTime: endTime, renewTill: renewTill, srealm: realm, sname: tgs
            ).der(application: 25)
            defer { wipe(&encASRepPart) }
            let asRep = try KDCReply(messageType: 11, padata: [], crealm: realm, cname: client, ticket: ticket, ticketDER: ticketDER,
                                     encPart: EncryptedData(etype: Int(Krb5.aes256), kvno: nil,
                                                            cipher: try krb.encrypt(encASRepPart, key: sessionKey, usage: KeyUsage.asRepEncPart))).der()

            return PartialTGT(realm: realm, client: client, userSID: userSID, kvno: kvno, ticket: ticketDER, sessionKey: sessionKey,
                              flags: defaultFlags, authTime: authTime, startTime: authTime, endTime: endTime, renewTill: renewTill, asRep: asRep)
        } catch let error as Krb5Failure {
            throw TicketsError.kerberosLibrary(error.description)
        } catch let error as TicketsError {
            throw error
        } catch {
            throw TicketsError.kerberosLibrary("encoding the ticket: \(error)")
        }
    }
}

/// RFC 4120 7.5.1 key usage numbers.
enum KeyUsage {
    static let ticket: Int32 = 2
    static let asRepEncPart: Int32 = 3
    static let tgsReqAuthenticatorChecksum: Int32 = 6
    static let tgsReqAuthenticator: Int32 = 7
    static let tgsRepEncPartSessionKey: Int32 = 8
}
