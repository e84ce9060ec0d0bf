import Foundation
import Testing
@testable import DRSClient

/// The seeds of the supplemental-credentials fuzz target (Fuzz/corpus/supplemental-credentials/,
/// scripts/fuzz) are synthetic: SupplementalCredentialsTests' hand-built blobs and a fuller one in
/// the layout Samba writes, whose keys are counting bytes that are nobody's. A captured value is an
/// account's keys in the clear, so none is committed. This suite holds the directory to exactly
/// these files, byte for byte, and checks that each reads as meant (so the fuzzer starts deep in
/// the parser); `AADKERB_FUZZ_WRITE_SEEDS=1 swift test --filter SyntheticFuzzSeeds` rewrites them.
@Suite struct SyntheticFuzzSeeds {
    static let directory = LiveDC.packageRoot.appendingPathComponent("Fuzz/corpus/supplemental-credentials")

    /// Synthetic keys: a run of bytes counting up from `start` (AES-256 32, AES-128 16, DES 8).
    static func counting(_ start: UInt8, _ count: Int) -> [UInt8] { (0..<count).map { start &+ UInt8($0) } }

    /// KERB_STORED_CREDENTIAL_NEW with every group given (SupplementalCredentialsTests' builder).
    static func newerKeys(_ groups: [[(type: UInt32, key: [UInt8])]], salt: String) -> [UInt8] {
        Blobs.newerKeys(groups, salt: salt)
    }

    /// USER_PROPERTIES with the given properties (SupplementalCredentialsTests' builder).
    static func userProperties(_ properties: [(String, [UInt8])]) -> [UInt8] { Blobs.userProperties(properties) }

    /// What Samba stores for a user with a password history: Kerberos-Newer-Keys (AES-256, AES-128,
    /// DES for current, old and older), Kerberos (revision 3, synthetic bytes), Packages, WDigest
    /// (29 synthetic 16-byte hashes).
    static var sambaLayout: [UInt8] {
        func three(_ base: UInt8) -> [(type: UInt32, key: [UInt8])] {
            [(18, counting(base, 32)), (17, counting(base &+ 0x40, 16)), (3, counting(base &+ 0x60, 8))]
        }
        let newer = newerKeys([three(0x00), [], three(0x80), three(0xc0)], salt: "FUZZ.TESTfuzz-synthetic")
        var kerberos = ByteWriter()
        kerberos.u16(3); kerberos.u16(0); kerberos.append(counting(0x11, 40))
        var wdigest = ByteWriter()
        wdigest.u8(0x31); wdigest.u8(1); wdigest.u8(29); wdigest.zeros(13)
        for i in 0..<29 { wdigest.append(counting(UInt8(i * 8), 16)) }
        return userProperties([("Primary:Kerberos-Newer-Keys", newer), ("Primary:Kerberos", kerberos.bytes),
                               ("Packages", UTF16LE.encode("Kerberos-Newer-Keys\0Kerberos\0WDigest")),
                               ("Primary:WDigest", wdigest.bytes)])
    }

    /// An account that never had a password: the header and nothing else.
    static var noPassword: [UInt8] {
        var w = ByteWriter()
        w.u32(0); w.u32(0); w.zeros(100)
        return w.bytes
    }

    static var seeds: [String: [UInt8]] {
        ["synthetic-user-properties.bin": Blobs.userProperties(), "synthetic-newer-keys.bin": Blobs.newerKeys(),
         "synthetic-samba-layout.bin": sambaLayout, "synthetic-no-password.bin": noPassword]
    }

    @Test func theDirectoryHoldsExactlyTheSyntheticSeeds() throws {
        let fm = FileManager.default
        if ProcessInfo.processInfo.environment["AADKERB_FUZZ_WRITE_SEEDS"] != nil {
            try fm.createDirectory(at: Self.directory, withIntermediateDirectories: true)
            for (name, bytes) in Self.seeds { try Data(bytes).write(to: Self.directory.appendingPathComponent(name)) }
        }
        let files = try fm.contentsOfDirectory(atPath: Self.directory.path).sorted()
        #expect(files == Self.seeds.keys.sorted(), "only the synthetic seeds belong in \(Self.directory.path)")
        for (name, bytes) in Self.seeds {
            let committed = try Data(contentsOf: Self.directory.appendingPathComponent(name))
            #expect(Array(committed) == bytes, "\(name) is not what this suite builds")
        }
    }

    @Test func eachSeedReadsAsMeant() throws {
        let samba = try SupplementalCredentials.properties(Self.sambaLayout)
        #expect(samba.map(\.name) == ["Primary:Kerberos-Newer-Keys", "Primary:Kerberos", "Packages", "Primary:WDigest"])
        let keys = try SupplementalCredentials.kerberosNewerKeys(samba[0].value)
        #expect(keys.salt == "FUZZ.TESTfuzz-synthetic")
        for group in [keys.current, keys.previous, keys.older] { #expect(group.map(\.encryptionType) == [18, 17, 3]) }
        #expect(keys.current[0].key.bytes == Self.counting(0, 32) && keys.older[2].key.bytes == Self.counting(0x20, 8))

        let plain = try SupplementalCredentials.properties(Blobs.userProperties())
        #expect(try SupplementalCredentials.kerberosNewerKeys(plain[1].value).current.map(\.encryptionType) == [18, 17])
        #expect(try SupplementalCredentials.kerberosNewerKeys(Blobs.newerKeys()).previous.count == 1)
        #expect(try SupplementalCredentials.properties(Self.noPassword).isEmpty)
    }
}
