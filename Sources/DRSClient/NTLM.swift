import Foundation
import OpenSSLSupport
import Basics

/// NTLMSSP (MS-NLMP) as a DCE/RPC client needs it: NTLMv2 responses, extended session security,
/// key exchange, and 128-bit sealing and signing (GSS_WrapEx) of every PDU afterwards.

struct NTLMFlags: OptionSet, Sendable {
    let rawValue: UInt32
    static let unicode = NTLMFlags(rawValue: 0x0000_0001)
    static let oem = NTLMFlags(rawValue: 0x0000_0002)
    static let requestTarget = NTLMFlags(rawValue: 0x0000_0004)
    static let sign = NTLMFlags(rawValue: 0x0000_0010)
    static let seal = NTLMFlags(rawValue: 0x0000_0020)
    static let lmKey = NTLMFlags(rawValue: 0x0000_0080)
    static let ntlm = NTLMFlags(rawValue: 0x0000_0200)
    static let alwaysSign = NTLMFlags(rawValue: 0x0000_8000)
    static let extendedSessionSecurity = NTLMFlags(rawValue: 0x0008_0000)
    static let targetInfo = NTLMFlags(rawValue: 0x0080_0000)
    static let version = NTLMFlags(rawValue: 0x0200_0000)
    static let key128 = NTLMFlags(rawValue: 0x2000_0000)
    static let keyExchange = NTLMFlags(rawValue: 0x4000_0000)
    static let key56 = NTLMFlags(rawValue: 0x8000_0000)

    /// What this client asks for (no VERSION, no LM key, no anonymous).
    static let requested: NTLMFlags = [.unicode, .requestTarget, .sign, .seal, .ntlm, .alwaysSign,
                                       .extendedSessionSecurity, .targetInfo, .key128, .keyExchange, .key56]
    /// What it refuses to go without: NTLMv2 session security with a fresh 128-bit key.
    static let required: NTLMFlags = [.unicode, .sign, .seal, .extendedSessionSecurity, .key128, .keyExchange]
}

enum NTLMMessageError: Error, CustomStringConvertible {
    case malformedChallenge(String)
    case missingFlags(NTLMFlags)

    var description: String {
        switch self {
        case let .malformedChallenge(why): return "malformed NTLM CHALLENGE_MESSAGE: \(why)"
        case let .missingFlags(f): return String(format: "the server did not offer NTLMv2 session security with key exchange (missing flags 0x%08x)", f.rawValue)
        }
    }
}

private let ntlmSignature: [UInt8] = Array("NTLMSSP".utf8) + [0]

/// The server's CHALLENGE_MESSAGE (MS-NLMP 2.2.1.2).
struct NTLMChallenge {
    var flags: NTLMFlags
    var serverChallenge: [UInt8]
    var targetInfo: [UInt8]
    /// MsvAvTimestamp from the target info, if the server sent one (FILETIME).
    var timestamp: UInt64?

    init(flags: NTLMFlags, serverChallenge: [UInt8], targetInfo: [UInt8], timestamp: UInt64? = nil) {
        self.flags = flags
        self.serverChallenge = serverChallenge
        self.targetInfo = targetInfo
        self.timestamp = timestamp
    }

    init(parsing message: [UInt8]) throws {
        var r = ByteReader(message)
        do {
            guard try r.take(8, "signature") == ntlmSignature else { throw NTLMMessageError.malformedChallenge("no NTLMSSP signature") }
            guard try r.u32("message type") == 2 else { throw NTLMMessageError.malformedChallenge("not a CHALLENGE_MESSAGE") }
            _ = try r.take(8, "target name fields")
            flags = NTLMFlags(rawValue: try r.u32("flags"))
            serverChallenge = try r.take(8, "server challenge")
            try r.skip(8, "reserved")
            let infoLength = Int(try r.u16("target info length"))
            _ = try r.u16("target info max length")
            let infoOffset = Int(try r.u32("target info offset"))
            guard infoOffset >= 0, infoOffset <= message.count, infoLength <= message.count - infoOffset else {
                throw NTLMMessageError.malformedChallenge("target info outside the message")
            }
            targetInfo = Array(message[infoOffset..<infoOffset + infoLength])
        } catch let e as TruncatedData {
            throw NTLMMessageError.malformedChallenge(e.what)
        }
        // AV pairs: id, length, value; MsvAvEOL (0) ends them.
        var av = ByteReader(targetInfo)
        timestamp = nil
        do {
            while av.remaining > 0 {
                let id = try av.u16("AV id"), length = Int(try av.u16("AV length"))
                let value = try av.take(length, "AV value")
                if id == 0 { break }
                if id == 7, length == 8 { var v = ByteReader(value); timestamp = try v.u64() }
            }
        } catch let e as TruncatedData {
            throw NTLMMessageError.malformedChallenge("target info: \(e.what)")
        }
    }
}

enum NTLM {
    /// The VERSION field, sent only if VERSION is negotiated (this client does not ask for it):
    /// 6.1 build 7601, NTLMSSP revision 15.
    static let version: [UInt8] = [6, 1, 0xb1, 0x1d, 0, 0, 0, 15]

    /// NEGOTIATE_MESSAGE with no domain or workstation (MS-NLMP 2.2.1.1).
    static func negotiateMessage(flags: NTLMFlags = .requested) -> [UInt8] {
        var w = ByteWriter()
        w.append(ntlmSignature)
        w.u32(1)
        w.u32(flags.rawValue)
        w.zeros(16)  // DomainNameFields, WorkstationFields
        return w.bytes
    }

    /// NTOWFv1: MD4 of the UTF-16LE password, converted from the secret's UTF-8 without a String copy.
    static func ntowfv1(_ password: Secret) -> [UInt8] {
        var utf16 = [UInt8]()
        password.withUnsafeBytes { raw in
            _ = transcode(raw.makeIterator(), from: UTF8.self, to: UTF16.self, stoppingOnError: false) { unit in
                utf16.append(UInt8(truncatingIfNeeded: unit))
                utf16.append(UInt8(truncatingIfNeeded: unit >> 8))
            }
        }
        defer { wipe(&utf16) }
        return MD4.digest(utf16)
    }

    /// NTOWFv2 = HMAC_MD5(MD4(UNICODE(password)), UNICODE(Uppercase(user) + domain)). The domain keeps its case.
    static func ntowfv2(password: Secret, user: String, domain: String) -> [UInt8] {
        var nt = ntowfv1(password)
        defer { wipe(&nt) }
        return HMACMD5.mac(key: nt, UTF16LE.encode(user.uppercased() + domain))
    }

    struct Responses {
        var lmChallengeResponse: [UInt8]
        var ntChallengeResponse: [UInt8]
        var ntProofStr: [UInt8]
        var sessionBaseKey: [UInt8]
    }

    /// NTLMv2 responses (MS-NLMP 3.3.2). `time` is a FILETIME; with a server timestamp the LM
    /// response is 24 zero bytes, as 3.1.5.1.2 says.
    static func v2Responses(responseKeyNT: [UInt8], serverChallenge: [UInt8], clientChallenge: [UInt8],
                            time: UInt64, targetInfo: [UInt8], serverSentTimestamp: Bool) -> Responses {
        var temp = ByteWriter()
        temp.append([1, 1, 0, 0, 0, 0, 0, 0])
        temp.u64(time)
        temp.append(clientChallenge)
        temp.zeros(4)
        temp.append(targetInfo)
        temp.zeros(4)
        let ntProof = HMACMD5.mac(key: responseKeyNT, serverChallenge + temp.bytes)
        let lm = serverSentTimestamp
            ? [UInt8](repeating: 0, count: 24)
            : HMACMD5.mac(key: responseKeyNT, serverChallenge + clientChallenge) + clientChallenge
        return Responses(lmChallengeResponse: lm, ntChallengeResponse: ntProof + temp.bytes,
                         ntProofStr: ntProof, sessionBaseKey: HMACMD5.mac(key: responseKeyNT, ntProof))
    }

    /// AUTHENTICATE_MESSAGE (MS-NLMP 2.2.1.3); payload in the order Windows uses. With `mic` the
    /// header carries the VERSION field (zeros unless VERSION was negotiated) and a zeroed
    /// 16-byte MIC field at offset 72, for `withMIC` to fill in.
    static func authenticateMessage(flags: NTLMFlags, domain: String, user: String, workstation: String,
                                    lmResponse: [UInt8], ntResponse: [UInt8], encryptedSessionKey: [UInt8],
                                    version: [UInt8] = NTLM.version, mic: Bool = false) -> [UInt8] {
        let fields = [UTF16LE.encode(domain), UTF16LE.encode(user), UTF16LE.encode(workstation),
                      lmResponse, ntResponse, encryptedSessionKey]
        let hasVersionField = mic || flags.contains(.version)
        let headerLength = 64 + (hasVersionField ? 8 : 0) + (mic ? 16 : 0)
        var offsets = [Int]()
        var next = headerLength
        for f in fields { offsets.append(next); next += f.count }
        var w = ByteWriter()
        w.append(ntlmSignature)
        w.u32(3)
        // Header field order: LM, NT, domain, user, workstation, session key.
        for i in [3, 4, 0, 1, 2, 5] {
            w.u16(UInt16(fields[i].count)); w.u16(UInt16(fields[i].count)); w.u32(UInt32(offsets[i]))
        }
        w.u32(flags.rawValue)
        if hasVersionField {
            if flags.contains(.version) { w.append(version) } else { w.zeros(8) }
        }
        if mic { w.zeros(16) }
        for f in fields { w.append(f) }
        return w.bytes
    }

    /// Where the MIC sits in an AUTHENTICATE_MESSAGE (after the 64-byte header and VERSION).
    static let micOffset = 72
    /// MsvAvFlags bit: the AUTHENTICATE_MESSAGE carries a MIC (MS-NLMP 2.2.2.1).
    static let avFlagMICPresent: UInt32 = 0x2

    enum AvID {
        static let eol: UInt16 = 0
        static let timestamp: UInt16 = 7
        static let flags: UInt16 = 6
        static let targetName: UInt16 = 9
    }

    /// The AV pairs a client sends back in its NTLMv2 response (MS-NLMP 3.1.5.1.2): the server's,
    /// in its order (without its MsvAvEOL), then MsvAvFlags with the MIC-present bit (ORed into
    /// the server's MsvAvFlags if it sent one, in place), MsvAvTargetName = the SPN of the
    /// server the client means to reach, when known, and MsvAvEOL. A relayed exchange would
    /// carry another server's name, and stripping the pairs or the MIC breaks the NTProofStr.
    static func clientTargetInfo(serverTargetInfo: [UInt8], targetName: String?) -> [UInt8] {
        var pairs: [(UInt16, [UInt8])] = []
        var r = ByteReader(serverTargetInfo)
        while r.remaining >= 4, let id = try? r.u16("AV id"), let length = try? r.u16("AV length"),
              let value = try? r.take(Int(length), "AV value") {
            if id == AvID.eol { break }
            if id == AvID.targetName { continue }  // the client's to give, not the server's
            pairs.append((id, value))
        }
        if let i = pairs.firstIndex(where: { $0.0 == AvID.flags && $0.1.count == 4 }) {
            var v = ByteReader(pairs[i].1)
            let flags = ((try? v.u32("flags")) ?? 0) | avFlagMICPresent
            pairs[i].1 = (0..<4).map { UInt8(truncatingIfNeeded: flags >> (8 * UInt32($0))) }
        } else {
            pairs.append((AvID.flags, (0..<4).map { UInt8(truncatingIfNeeded: avFlagMICPresent >> (8 * UInt32($0))) }))
        }
        if let targetName, !targetName.isEmpty { pairs.append((AvID.targetName, UTF16LE.encode(targetName))) }
        var w = ByteWriter()
        for (id, value) in pairs { w.u16(id); w.u16(UInt16(value.count)); w.append(value) }
        w.u16(AvID.eol); w.u16(0)
        return w.bytes
    }

    /// The MIC (MS-NLMP 3.1.5.1.2): HMAC_MD5(ExportedSessionKey, NEGOTIATE + CHALLENGE +
    /// AUTHENTICATE with its MIC field zeroed), written into the MIC field.
    static func withMIC(_ authenticate: [UInt8], negotiate: [UInt8], challenge: [UInt8], exportedSessionKey: [UInt8]) -> [UInt8] {
        var message = authenticate
        message.replaceSubrange(micOffset..<micOffset + 16, with: [UInt8](repeating: 0, count: 16))
        let mic = HMACMD5.mac(key: exportedSessionKey, negotiate + challenge + message)
        message.replaceSubrange(micOffset..<micOffset + 16, with: mic)
        return message
    }

    /// The current time as a FILETIME (100 ns since 1601).
    static func fileTimeNow() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return (UInt64(ts.tv_sec) + 11_644_473_600) * 10_000_000 + UInt64(ts.tv_nsec) / 100
    }
}

/// The client side of an NTLM exchange: NEGOTIATE, then AUTHENTICATE for the server's CHALLENGE,
/// with MsvAvFlags (MIC present), MsvAvTargetName and the MIC, so that it cannot be relayed to
/// another server or stripped of its integrity unnoticed.
struct NTLMClient {
    let user: String
    let domain: String
    let password: Secret
    let workstation: String
    /// The SPN of the server meant (MsvAvTargetName), e.g. `host/dc1.contoso.com`; nil if unknown.
    let targetName: String?

    init(user: String, domain: String, password: Secret, workstation: String = "", targetName: String? = nil) {
        // A UPN goes in the user field with an empty domain (MS-NLMP 3.1.5.1.2).
        if user.contains("@") {
            self.user = user
            self.domain = ""
        } else {
            self.user = user
            self.domain = domain
        }
        self.password = password
        self.workstation = workstation
        self.targetName = targetName
    }

    var negotiate: [UInt8] { NTLM.negotiateMessage() }

    /// The AUTHENTICATE_MESSAGE (with its MIC) and the session security it sets up.
    func authenticate(challengeMessage: [UInt8]) throws -> (message: [UInt8], security: NTLMSecurity) {
        let challenge = try NTLMChallenge(parsing: challengeMessage)
        let flags = challenge.flags.intersection(NTLMFlags.requested)
        let missing = NTLMFlags.required.subtracting(flags)
        guard missing.isEmpty else { throw NTLMMessageError.missingFlags(missing) }
        return authenticate(challenge: challenge, flags: flags, clientChallenge: AESGCM.randomBytes(8),
                            exportedSessionKey: AESGCM.randomBytes(16), time: challenge.timestamp ?? NTLM.fileTimeNow(),
                            integrity: (negotiate, challengeMessage))
    }

    /// Deterministic core (the MS-NLMP 4.2.4 examples drive it with fixed inputs). `integrity`:
    /// the NEGOTIATE and CHALLENGE messages as sent and received, for the MIC; nil builds the
    /// message as MS-NLMP 4.2.4 shows it (no MsvAvFlags, target name or MIC), for that test only.
    func authenticate(challenge: NTLMChallenge, flags: NTLMFlags, clientChallenge: [UInt8], exportedSessionKey: [UInt8],
                      time: UInt64, version: [UInt8] = NTLM.version,
                      integrity: (negotiate: [UInt8], challenge: [UInt8])?) -> (message: [UInt8], security: NTLMSecurity) {
        var key = NTLM.ntowfv2(password: password, user: user, domain: domain)
        defer { wipe(&key) }
        let targetInfo = integrity == nil ? challenge.targetInfo
            : NTLM.clientTargetInfo(serverTargetInfo: challenge.targetInfo, targetName: targetName)
        var r = NTLM.v2Responses(responseKeyNT: key, serverChallenge: challenge.serverChallenge, clientChallenge: clientChallenge,
                                 time: time, targetInfo: targetInfo, serverSentTimestamp: challenge.timestamp != nil)
        defer { wipe(&r.sessionBaseKey) }
        // NTLMv2: KeyExchangeKey = SessionBaseKey; with key exchange the client picks the session key.
        let encrypted = RC4.crypt(key: r.sessionBaseKey, exportedSessionKey)
        var message = NTLM.authenticateMessage(flags: flags, domain: domain, user: user, workstation: workstation,
                                               lmResponse: r.lmChallengeResponse, ntResponse: r.ntChallengeResponse,
                                               encryptedSessionKey: encrypted, version: version, mic: integrity != nil)
        if let integrity {
            message = NTLM.withMIC(message, negotiate: integrity.negotiate, challenge: integrity.challenge, exportedSessionKey: exportedSessionKey)
        }
        return (message, NTLMSecurity(exportedSessionKey: exportedSessionKey, isClient: true))
    }
}

/// Thrown when a received signature does not verify.
struct NTLMSignatureMismatch: Error, CustomStringConvertible {
    var sequence: UInt32
    var description: String { "NTLM signature of the server's message \(sequence) does not verify" }
}

/// NTLMv2 session security with extended session security, 128-bit keys and key exchange
/// (MS-NLMP 3.4): one RC4 stream and sequence number per direction, for the connection's life.
final class NTLMSecurity {
    /// The key MS-DRSR calls the session key (it encrypts replicated secrets).
    private(set) var exportedSessionKey: [UInt8]
    private var sendSignKey: [UInt8]
    private var receiveSignKey: [UInt8]
    private var sendSeal: RC4
    private var receiveSeal: RC4
    private(set) var sendSequence: UInt32 = 0
    private(set) var receiveSequence: UInt32 = 0

    static let clientSign = Array("session key to client-to-server signing key magic constant".utf8) + [0]
    static let serverSign = Array("session key to server-to-client signing key magic constant".utf8) + [0]
    static let clientSeal = Array("session key to client-to-server sealing key magic constant".utf8) + [0]
    static let serverSeal = Array("session key to server-to-client sealing key magic constant".utf8) + [0]

    init(exportedSessionKey key: [UInt8], isClient: Bool) {
        exportedSessionKey = key
        let clientSignKey = MD5.digest(key + Self.clientSign), serverSignKey = MD5.digest(key + Self.serverSign)
        var clientSealKey = MD5.digest(key + Self.clientSeal), serverSealKey = MD5.digest(key + Self.serverSeal)
        defer { wipe(&clientSealKey); wipe(&serverSealKey) }
        sendSignKey = isClient ? clientSignKey : serverSignKey
        receiveSignKey = isClient ? serverSignKey : clientSignKey
        sendSeal = RC4(key: isClient ? clientSealKey : serverSealKey)
        receiveSeal = RC4(key: isClient ? serverSealKey : clientSealKey)
    }

    deinit {
        wipe(&exportedSessionKey); wipe(&sendSignKey); wipe(&receiveSignKey)
        sendSeal.wipe(); receiveSeal.wipe()
    }

    /// Seals (GSS_WrapEx): signs `message` as it is now (the plaintext PDU), then encrypts
    /// `message[encrypt]` in place. Returns the 16-byte NTLMSSP_MESSAGE_SIGNATURE.
    func seal(_ message: inout [UInt8], encrypt range: Range<Int>) -> [UInt8] {
        let sequence = sendSequence
        sendSequence &+= 1
        let mac = HMACMD5.mac(key: sendSignKey, le32(sequence) + message)
        var part = Array(message[range])
        sendSeal.process(&part)
        message.replaceSubrange(range, with: part)
        let checksum = sendSeal.processed(Array(mac.prefix(8)))
        return [1, 0, 0, 0] + checksum + le32(sequence)
    }

    /// Unseals (GSS_UnwrapEx): decrypts `message[decrypt]` in place, then checks `signature`
    /// over the whole (now plaintext) message.
    func unseal(_ message: inout [UInt8], decrypt range: Range<Int>, signature: [UInt8]) throws {
        let sequence = receiveSequence
        receiveSequence &+= 1
        var part = Array(message[range])
        receiveSeal.process(&part)
        message.replaceSubrange(range, with: part)
        guard signature.count == 16 else { throw NTLMSignatureMismatch(sequence: sequence) }
        let checksum = receiveSeal.processed(Array(signature[4..<12]))
        let expected = HMACMD5.mac(key: receiveSignKey, le32(sequence) + message).prefix(8)
        guard signature.prefix(4) == [1, 0, 0, 0], Array(expected) == checksum, Array(signature[12..<16]) == le32(sequence) else {
            throw NTLMSignatureMismatch(sequence: sequence)
        }
    }

    private func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * UInt32($0))) } }
}
