import Basics

/// supplementalCredentials (MS-SAMR 2.2.10.1 USER_PROPERTIES) and its
/// "Primary:Kerberos-Newer-Keys" property (2.2.10.4 KERB_STORED_CREDENTIAL_NEW, revision 4).
enum SupplementalCredentials {
    struct ParseError: Error, CustomStringConvertible {
        var what: String
        var description: String { "supplementalCredentials: \(what)" }
    }

    static let kerberosNewerKeys = "Primary:Kerberos-Newer-Keys"

    /// The properties by name; values are the hex-decoded bytes. Bytes are wiped by the caller.
    static func properties(_ blob: [UInt8]) throws -> [(name: String, value: [UInt8])] {
        var r = ByteReader(blob)
        do {
            _ = try r.u32("Reserved1")
            let length = Int(try r.u32("Length"))
            guard length <= blob.count - 12 else { throw ParseError(what: "Length \(length) exceeds the \(blob.count)-byte value") }
            try r.skip(2 + 2 + 96, "Reserved2-4")
            // An account that never had a password has no properties (and may stop here).
            if r.remaining < 4 { return [] }
            guard try r.u16("PropertySignature") == 0x50 else { throw ParseError(what: "PropertySignature is not 0x0050") }
            let count = Int(try r.u16("PropertyCount"))
            var out: [(String, [UInt8])] = []
            for i in 0..<count {
                let nameLength = Int(try r.u16("NameLength")), valueLength = Int(try r.u16("ValueLength"))
                _ = try r.u16("Reserved")
                guard let name = UTF16LE.decode(try r.take(nameLength, "PropertyName \(i)")) else { throw ParseError(what: "property \(i): odd name length") }
                var hex = try r.take(valueLength, "PropertyValue of \(name)")
                defer { wipe(&hex) }
                guard let value = Hex.bytes(hex) else { throw ParseError(what: "\(name) is not hex-encoded") }
                out.append((name, value))
            }
            return out
        } catch let e as TruncatedData {
            throw ParseError(what: e.what)
        }
    }

    struct KerberosKeys {
        var salt: String
        var defaultIterationCount: UInt32
        var current: [KerberosKeyBlob]
        var previous: [KerberosKeyBlob]
        var older: [KerberosKeyBlob]
    }

    /// KERB_STORED_CREDENTIAL_NEW: offsets inside it are relative to its start.
    static func kerberosNewerKeys(_ blob: [UInt8]) throws -> KerberosKeys {
        var r = ByteReader(blob)
        do {
            let revision = try r.u16("Revision")
            guard revision == 4 else { throw ParseError(what: "Kerberos-Newer-Keys revision \(revision), expected 4") }
            _ = try r.u16("Flags")
            let counts = [Int(try r.u16("CredentialCount")), Int(try r.u16("ServiceCredentialCount")),
                          Int(try r.u16("OldCredentialCount")), Int(try r.u16("OlderCredentialCount"))]
            let saltLength = Int(try r.u16("DefaultSaltLength"))
            _ = try r.u16("DefaultSaltMaximumLength")
            let saltOffset = Int(try r.u32("DefaultSaltOffset"))
            let iterations = try r.u32("DefaultIterationCount")
            var groups: [[KerberosKeyBlob]] = []
            for (g, count) in counts.enumerated() {
                var keys: [KerberosKeyBlob] = []
                for i in 0..<count {
                    try r.skip(8, "KERB_KEY_DATA_NEW reserved")
                    let iterationCount = try r.u32("IterationCount")
                    let type = try r.u32("KeyType")
                    let length = Int(try r.u32("KeyLength"))
                    let offset = Int(try r.u32("KeyOffset"))
                    guard offset <= blob.count, length <= blob.count - offset else {
                        throw ParseError(what: "key \(i) of group \(g) (type \(Int32(bitPattern: type))) lies outside the blob")
                    }
                    keys.append(KerberosKeyBlob(encryptionType: Int32(bitPattern: type), key: Secret(bytes: Array(blob[offset..<offset + length])),
                                                iterationCount: iterationCount))
                }
                groups.append(keys)
            }
            guard saltOffset <= blob.count, saltLength <= blob.count - saltOffset,
                  let salt = UTF16LE.decode(blob[saltOffset..<saltOffset + saltLength])
            else { throw ParseError(what: "the default salt lies outside the blob or has an odd length") }
            return KerberosKeys(salt: salt, defaultIterationCount: iterations, current: groups[0], previous: groups[2], older: groups[3])
        } catch let e as TruncatedData {
            throw ParseError(what: "Kerberos-Newer-Keys: \(e.what)")
        }
    }
}
