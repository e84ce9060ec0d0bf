/// The parsers that read bytes from a DC, each fed raw bytes by a libFuzzer target (Fuzz/,
/// scripts/fuzz). `package`: reachable from the fuzz targets of this package only, not public.
/// A parser may throw on any input; it must never trap, hang or read out of bounds.
package enum DRSFuzzEntry {
    /// An IDL_DRSGetNCChanges reply stub (NDR), then what the key reader does with it (status
    /// checks, finding the object, decrypting and reading supplementalCredentials with a fixed
    /// session key: the CRC-32 check stops most mutations there). The same bytes also go to the
    /// IDL_DRSBind and endpoint-mapper reply readers, the other NDR stubs a DC sends.
    package static func getNCChangesReply(_ stub: [UInt8]) {
        if let reply = try? DRSUAPI.parseGetNCChangesReply(stub) {
            _ = try? Session.keys(from: reply, objectDN: "CN=fuzz,CN=Users,DC=fuzz,DC=test",
                                  sessionKey: [UInt8](repeating: 0x5a, count: 16))
        }
        _ = try? DRSUAPI.parseBindReply(stub)
        _ = try? EndpointMapper.parseMapReply(stub)
    }

    /// An NTLM CHALLENGE_MESSAGE as a DC sends it in bind_ack, and the client's answer to it
    /// (target info rebuilt with the MIC flag and the target name).
    package static func ntlmChallenge(_ message: [UInt8]) {
        guard let challenge = try? NTLMChallenge(parsing: message) else { return }
        _ = NTLM.clientTargetInfo(serverTargetInfo: challenge.targetInfo, targetName: "host/dc.fuzz.test")
    }

    /// A decrypted supplementalCredentials value (USER_PROPERTIES) and every
    /// Primary:Kerberos-Newer-Keys property in it; also the bytes as a property value directly.
    package static func supplementalCredentials(_ blob: [UInt8]) {
        if let properties = try? SupplementalCredentials.properties(blob) {
            for p in properties where p.name == SupplementalCredentials.kerberosNewerKeys {
                _ = try? SupplementalCredentials.kerberosNewerKeys(p.value)
            }
        }
        _ = try? SupplementalCredentials.kerberosNewerKeys(blob)
    }
}
