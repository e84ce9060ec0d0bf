/// DCE/RPC connection-oriented PDUs (C706 chapter 12, MS-RPCE 2.2.2) over one TCP connection:
/// bind / bind_ack / auth3 carrying a sign-in (NTLM: NEGOTIATE, CHALLENGE, AUTHENTICATE;
/// Kerberos in DCE style: AP-REQ, AP-REP, the client's AP-REP), then requests and responses,
/// each fragment sealed and signed at PKT_PRIVACY by the provider (RPCSecurity), responses
/// reassembled from as many fragments as the server sends.

enum PDUType: UInt8 {
    case request = 0, response = 2, fault = 3, bind = 11, bindAck = 12, bindNak = 13, auth3 = 16
}

struct PDUFlags {
    static let firstFragment: UInt8 = 0x01
    static let lastFragment: UInt8 = 0x02
    /// PFC_SUPPORT_HEADER_SIGN (MS-RPCE 2.2.2.3): in bind, the client can sign PDU headers; echoed in bind_ack, both do.
    static let supportHeaderSign: UInt8 = 0x04
}

/// An interface or transfer syntax: UUID and version (major in the low 16 bits, minor above).
struct SyntaxID: Equatable {
    var uuid: GUID
    var major: UInt16
    var minor: UInt16

    static let ndr = SyntaxID(uuid: GUID("8a885d04-1ceb-11c9-9fe8-08002b104860")!, major: 2, minor: 0)

    var wire: [UInt8] {
        var w = ByteWriter()
        w.append(uuid.bytes)
        w.u16(major)
        w.u16(minor)
        return w.bytes
    }
}

/// RPC-level failures; `DRSSecretReader` says in which step they happened.
enum RPCError: Error, CustomStringConvertible {
    case bindRejected(reason: UInt16)
    case contextRejected(result: UInt16, reason: UInt16)
    case fault(status: UInt32)
    case protocolError(String)
    case signature(String)
    case transport(TransportError)

    var description: String {
        switch self {
        case let .bindRejected(reason):
            return "bind_nak, reason \(reason) (\(RPCError.bindNakReason(reason)))"
        case let .contextRejected(result, reason):
            return "the presentation context was rejected (result \(result), reason \(reason)\(reason == 1 ? ": abstract syntax not supported" : reason == 2 ? ": transfer syntax not supported" : ""))"
        case let .fault(status):
            return "RPC fault \(Status.hex(status)) (\(Status.rpcFaultName(status)))"
        case let .protocolError(m): return "malformed reply: \(m)"
        case let .signature(m): return m
        case let .transport(t): return t.description
        }
    }

    static func bindNakReason(_ r: UInt16) -> String {
        switch r {
        case 0: return "reason not specified"
        case 1: return "temporary congestion"
        case 2: return "local limit exceeded"
        case 4: return "protocol version not supported"
        case 8: return "authentication type not recognized"
        case 9: return "invalid checksum"
        default: return "unknown"
        }
    }
}

/// An authenticated (or, for the endpoint mapper, anonymous) association with one interface.
final class RPCConnection {
    static let authTypeNTLM: UInt8 = 10          // RPC_C_AUTHN_WINNT
    static let authTypeKerberos: UInt8 = 16      // RPC_C_AUTHN_GSS_KERBEROS
    static let authLevelPrivacy: UInt8 = 6       // RPC_C_AUTHN_LEVEL_PKT_PRIVACY
    static let authContextID: UInt32 = 0x0001_0001
    static let signatureLength = 16
    /// The fragment size proposed in bind (both directions); the server may lower it, never below 1432.
    static let defaultFragment = 5840

    private let transport: TCPConnection
    private(set) var security: (any RPCSecurity)?
    private var callID: UInt32 = 1
    /// Response fragments received in all, for diagnostics and tests.
    private(set) var responseFragmentCount = 0
    private let proposedFragment: Int
    private var maxTransmit: Int

    init(transport: TCPConnection, fragmentSize: Int = RPCConnection.defaultFragment) {
        self.transport = transport
        proposedFragment = max(1432, min(fragmentSize, 65535))
        maxTransmit = proposedFragment
    }

    func close() { transport.close() }

    /// Shuts the socket down both ways (as a peer that drops the connection would), for tests.
    func shutDown() { transport.shutDown() }

    /// A kept connection's next call: bounded by `deadline`, cancelled by `cancellation`.
    func rearm(deadline: ContinuousClock.Instant, cancellation: CancellationSwitch) throws {
        do { try transport.rearm(deadline: deadline, cancellation: cancellation) } catch let e as TransportError { throw RPCError.transport(e) }
    }

    // MARK: bind

    /// Binds to `interface` with NDR; with `auth`, signs in at PKT_PRIVACY through bind, bind_ack and auth3.
    func bind(interface: SyntaxID, auth: (any RPCAuthenticator)?) throws {
        var body = ByteWriter()
        body.u16(UInt16(proposedFragment))  // max_xmit_frag
        body.u16(UInt16(proposedFragment))  // max_recv_frag
        body.u32(0)                              // assoc_group_id: a new group
        body.u8(1); body.u8(0); body.u16(0)      // one context element
        body.u16(0)                              // p_cont_id
        body.u8(1); body.u8(0)                   // one transfer syntax
        body.append(interface.wire)
        body.append(SyntaxID.ndr.wire)

        var authenticator = auth
        let token = try authenticator?.initialToken()
        let authType = authenticator?.authType ?? Self.authTypeNTLM
        var flags = PDUFlags.firstFragment | PDUFlags.lastFragment
        if authenticator?.offersHeaderSigning == true { flags |= PDUFlags.supportHeaderSign }
        let id = nextCallID()
        try send(RPCFraming.pdu(.bind, flags: flags, callID: id, body: body.bytes, auth: token, authType: authType))

        let ack = try receivePDU()
        guard ack.callID == id else { throw RPCError.protocolError("bind_ack for call \(ack.callID), expected \(id)") }
        switch ack.type {
        case PDUType.bindAck.rawValue: break
        case PDUType.bindNak.rawValue:
            var r = ByteReader(ack.bytes, offset: 16)
            throw RPCError.bindRejected(reason: (try? r.u16()) ?? 0)
        default: throw RPCError.protocolError("expected bind_ack, got PDU type \(ack.type)")
        }
        let serverToken = try parseBindAck(ack, authType: authType)

        guard authenticator != nil else { return }
        guard let serverToken else {
            throw RPCError.protocolError("bind_ack carries no \(authType == Self.authTypeNTLM ? "NTLM CHALLENGE" : "auth token")")
        }
        let headerSigning = authenticator?.offersHeaderSigning == true && ack.flags & PDUFlags.supportHeaderSign != 0
        let (auth3, security) = try authenticator!.finish(serverToken: serverToken, headerSigning: headerSigning)
        // auth3: four bytes of padding (where max_xmit/max_recv would be), then the auth trailer.
        try send(RPCFraming.pdu(.auth3, flags: PDUFlags.firstFragment | PDUFlags.lastFragment, callID: id, body: [0, 0, 0, 0],
                                auth: auth3, authType: authType))
        self.security = security
    }

    /// Returns the auth value (NTLM CHALLENGE, Kerberos AP-REP) if any; checks the context was accepted.
    private func parseBindAck(_ ack: ReceivedPDU, authType: UInt8) throws -> [UInt8]? {
        var r = ByteReader(ack.bytes, offset: 16)
        do {
            let maxXmit = Int(try r.u16("max_xmit_frag")), maxRecv = Int(try r.u16("max_recv_frag"))
            // The server's max_recv bounds what we send; its max_xmit what it will send.
            guard maxXmit >= 1432, maxRecv >= 1432 else { throw RPCError.protocolError("fragment sizes \(maxXmit)/\(maxRecv) below the 1432 minimum") }
            maxTransmit = min(proposedFragment, maxRecv)
            _ = try r.u32("assoc_group_id")
            let secondaryLength = Int(try r.u16("sec_addr length"))
            try r.skip(secondaryLength, "sec_addr")
            try r.skip((4 - r.offset % 4) % 4, "sec_addr padding")
            let results = Int(try r.u8("n_results"))
            try r.skip(3, "reserved")
            guard results >= 1 else { throw RPCError.protocolError("bind_ack with no context result") }
            let result = try r.u16("result"), reason = try r.u16("reason")
            guard result == 0 else { throw RPCError.contextRejected(result: result, reason: reason) }
        } catch let e as TruncatedData {
            throw RPCError.protocolError("bind_ack: \(e.what)")
        }
        guard ack.authLength > 0 else { return nil }
        let trailer = ack.bytes.count - ack.authLength - 8
        guard trailer >= r.offset, ack.bytes[trailer] == authType, ack.bytes[trailer + 1] == Self.authLevelPrivacy else {
            throw RPCError.protocolError("bind_ack auth trailer is not \(authType == Self.authTypeNTLM ? "NTLM" : "auth type \(authType)") at PKT_PRIVACY")
        }
        return Array(ack.bytes[(ack.bytes.count - ack.authLength)...])
    }

    // MARK: calls

    var framing: RPCFraming { RPCFraming(security: security, maxTransmit: maxTransmit) }

    /// Sends one request (fragmented if needed) and returns the reassembled response stub.
    func call(opnum: UInt16, stub: [UInt8]) throws -> [UInt8] {
        let id = nextCallID()
        let framing = self.framing
        for fragment in try framing.requestFragments(opnum: opnum, stub: stub, callID: id) { try send(fragment) }

        var response: [UInt8] = []
        var first = true
        while true {
            let pdu = try receivePDU()
            guard pdu.callID == id else { throw RPCError.protocolError("response for call \(pdu.callID), expected \(id)") }
            if pdu.type == PDUType.fault.rawValue {
                var r = ByteReader(pdu.bytes, offset: 24)
                throw RPCError.fault(status: (try? r.u32()) ?? 0)
            }
            guard pdu.type == PDUType.response.rawValue else { throw RPCError.protocolError("expected a response, got PDU type \(pdu.type)") }
            guard !first || pdu.flags & PDUFlags.firstFragment != 0 else { throw RPCError.protocolError("the first response fragment lacks PFC_FIRST_FRAG") }
            response += try framing.responseStub(pdu.bytes)
            responseFragmentCount += 1
            first = false
            if pdu.flags & PDUFlags.lastFragment != 0 { return response }
            guard response.count <= 64 << 20 else { throw RPCError.protocolError("response larger than 64 MiB") }
        }
    }

    private func nextCallID() -> UInt32 {
        defer { callID &+= 1 }
        return callID
    }

    private func send(_ bytes: [UInt8]) throws {
        do { try transport.send(bytes) } catch let e as TransportError { throw RPCError.transport(e) }
    }

    struct ReceivedPDU {
        var bytes: [UInt8]
        var type: UInt8 { bytes[2] }
        var flags: UInt8 { bytes[3] }
        var authLength: Int { Int(bytes.le16(at: 10)) }
        var callID: UInt32 { bytes.le32(at: 12) }
    }

    private func receivePDU() throws -> ReceivedPDU {
        do {
            let header = try transport.receive(exactly: 16)
            guard header[0] == 5, header[1] == 0 else { throw RPCError.protocolError("not DCE/RPC 5.0 (version \(header[0]).\(header[1]))") }
            guard header[4] & 0xf0 == 0x10 else { throw RPCError.protocolError("big-endian data representation is not supported") }
            let length = Int(header.le16(at: 8)), authLength = Int(header.le16(at: 10))
            guard length >= 16 else { throw RPCError.protocolError("fragment length \(length)") }
            guard authLength == 0 || authLength + 8 <= length - 16 else { throw RPCError.protocolError("auth_length \(authLength) in a \(length)-byte fragment") }
            return ReceivedPDU(bytes: header + (try transport.receive(exactly: length - 16)))
        } catch let e as TransportError {
            throw RPCError.transport(e)
        }
    }
}

/// Building request fragments and reading response fragments, sealed at PKT_PRIVACY when there
/// is a security context: no I/O here.
struct RPCFraming {
    let security: (any RPCSecurity)?
    let maxTransmit: Int

    /// The request PDUs for one call: the stub cut into fragments that fit `maxTransmit`, each
    /// padded to 16 bytes, sealed and signed (header, stub, padding and trailer) on its own.
    func requestFragments(opnum: UInt16, stub: [UInt8], callID: UInt32) throws -> [[UInt8]] {
        let overhead = 24 + (try security.map { 8 + (try $0.tokenLength(dataLength: maxTransmit)) + 15 } ?? 0)
        let chunkSize = max(16, (maxTransmit - overhead) / 16 * 16)
        var fragments: [[UInt8]] = []
        var offset = 0
        repeat {
            let chunk = Array(stub[offset..<min(stub.count, offset + chunkSize)])
            var flags: UInt8 = 0
            if offset == 0 { flags |= PDUFlags.firstFragment }
            let allocHint = stub.count - offset  // what is left, this fragment included
            offset += chunk.count
            if offset >= stub.count { flags |= PDUFlags.lastFragment }
            var body = ByteWriter()
            body.u32(UInt32(allocHint))
            body.u16(0)                          // p_cont_id
            body.u16(opnum)
            body.append(chunk)
            fragments.append(try sealedRequest(flags: flags, callID: callID, body: body.bytes, stubLength: chunk.count))
        } while offset < stub.count
        return fragments
    }

    private func sealedRequest(flags: UInt8, callID: UInt32, body: [UInt8], stubLength: Int) throws -> [UInt8] {
        guard let security else { return Self.pdu(.request, flags: flags, callID: callID, body: body, auth: nil) }
        var w = ByteWriter()
        w.append(Self.header(.request, flags: flags, callID: callID))
        w.append(body)
        let padLength = (16 - stubLength % 16) % 16
        w.zeros(padLength)
        w.append([security.authType, RPCConnection.authLevelPrivacy, UInt8(padLength), 0])
        w.u32(RPCConnection.authContextID)
        let tokenLength = try security.tokenLength(dataLength: stubLength + padLength)
        w.set16(UInt16(w.bytes.count + tokenLength), at: 8)
        w.set16(UInt16(tokenLength), at: 10)
        var bytes = w.bytes
        let token = try security.seal(&bytes, encrypt: 24..<(24 + stubLength + padLength))
        guard token.count == tokenLength else {
            throw RPCError.signature("the security provider made a \(token.count)-byte token, not the \(tokenLength) bytes auth_length announced")
        }
        return bytes + token
    }

    static func header(_ type: PDUType, flags: UInt8, callID: UInt32) -> [UInt8] {
        var w = ByteWriter()
        w.append([5, 0, type.rawValue, flags, 0x10, 0, 0, 0])  // version 5.0, little-endian ASCII IEEE
        w.u16(0)                                                // frag_length, set by the caller
        w.u16(0)                                                // auth_length, set by the caller
        w.u32(callID)
        return w.bytes
    }

    /// An unsealed PDU; with `auth` (bind, auth3), the sign-in token rides in the auth trailer.
    static func pdu(_ type: PDUType, flags: UInt8, callID: UInt32, body: [UInt8], auth: [UInt8]?,
                    authType: UInt8 = RPCConnection.authTypeNTLM) -> [UInt8] {
        var w = ByteWriter()
        w.append(header(type, flags: flags, callID: callID))
        w.append(body)
        if let auth {
            // bind / auth3: the body is 4-aligned already.
            w.append([authType, RPCConnection.authLevelPrivacy, 0, 0])
            w.u32(RPCConnection.authContextID)
            w.append(auth)
            w.set16(UInt16(auth.count), at: 10)
        }
        w.set16(UInt16(w.bytes.count), at: 8)
        return w.bytes
    }

    /// The stub of one response fragment, unsealed and verified when the connection is sealed.
    func responseStub(_ pdu: [UInt8]) throws -> [UInt8] {
        var bytes = pdu
        guard bytes.count >= 24 else { throw RPCError.protocolError("response fragment of \(bytes.count) bytes") }
        let authLength = Int(bytes.le16(at: 10))
        guard let security else {
            guard authLength == 0 else { throw RPCError.protocolError("an auth trailer on an unauthenticated connection") }
            return Array(bytes[24...])
        }
        if let expected = security.fixedTokenLength {
            guard authLength == expected else {
                throw RPCError.protocolError("response fragment with auth_length \(authLength), expected a \(expected)-byte NTLM signature")
            }
        } else {
            guard authLength > 0 else { throw RPCError.protocolError("response fragment without an auth token") }
        }
        let trailer = bytes.count - authLength - 8
        guard trailer >= 24 else { throw RPCError.protocolError("auth trailer overlaps the response header") }
        let authType = bytes[trailer], level = bytes[trailer + 1], padLength = Int(bytes[trailer + 2])
        guard authType == security.authType, level == RPCConnection.authLevelPrivacy else {
            throw RPCError.protocolError("response auth trailer type \(authType) level \(level), expected type \(security.authType) at privacy")
        }
        guard padLength <= trailer - 24 else { throw RPCError.protocolError("auth padding \(padLength) longer than the stub") }
        let signature = Array(bytes[(bytes.count - authLength)...])
        bytes.removeLast(authLength)
        do {
            try security.unseal(&bytes, decrypt: 24..<trailer, token: signature)
        } catch {
            throw RPCError.signature("\(error)")
        }
        return Array(bytes[24..<(trailer - padLength)])
    }
}
