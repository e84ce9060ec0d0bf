import Foundation
import Testing

extension SharedServers {
    /// The tenant's key-encryption key is pinned on first use (security issue, item 10): a changed
    /// key (as a TLS-inspecting proxy would present) is refused before any key is sealed to it,
    /// unless --accept-new-tenant-key.
    @Suite struct TenantKeyPinTests {
        @Test func aChangedTenantKeyIsRefusedUntilAccepted() async throws {
            let pins = FileManager.default.temporaryDirectory.appendingPathComponent("aadkerb-pins-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: pins) }
            let env = ["AADKERB_TENANT_KEYS": pins]
            let rotate = RotateTests()
            let ctx = try await rotate.freshlySet(on: "northwind")  // published with the suite's own pin file

            // first use with this pin file: pinned and said
            let first = try await aadkerb(["rotate", "--force"] + ctx.args + ["-o", "json"], environment: env)
            #expect(first.status == 0, "\(first.stdout)\n\(first.stderr)")
            #expect(first.stderr.contains("pinned the key-encryption key"), "\(first.stderr)")
            let line = try String(contentsOfFile: pins, encoding: .utf8).trimmingCharacters(in: .newlines)
            let keyId = try #require(line.split(separator: " ").last.map(String.init))
            #expect(line.hasPrefix(ctx.server.url.absoluteString) && keyId.count == 16, "\(line)")
            #expect(try FileManager.default.attributesOfItem(atPath: pins)[.posixPermissions] as? Int == 0o600)

            // the pin says another key: nothing is sealed, the tenant keeps a key every DC holds
            let cloudBefore = try await rotate.cloud(ctx).currentKey
            try line.replacingOccurrences(of: keyId, with: "00000000deadbeef").appending("\n").write(toFile: pins, atomically: true, encoding: .utf8)
            let refused = try await aadkerb(["rotate", "--force"] + ctx.args + ["-o", "json"], environment: env)
            #expect(refused.status == 17, "\(refused.stdout)\n\(refused.stderr)")
            #expect(refused.stderr.contains("now offers key-encryption key \(keyId), not 00000000deadbeef") && refused.stderr.contains("--accept-new-tenant-key"),
                    "\(refused.stderr)")
            #expect(try await rotate.cloud(ctx).currentKey == cloudBefore)
            try await rotate.expectInvariant(ctx)

            // accepted: the interrupted rotation completes and the new pin is kept
            let accepted = try await aadkerb(["rotate", "--break-lease", "--accept-new-tenant-key"] + ctx.args + ["-o", "json"], environment: env)
            #expect(accepted.status == 0, "\(accepted.stdout)\n\(accepted.stderr)")
            #expect(accepted.stderr.contains("accepted the new key-encryption key"), "\(accepted.stderr)")
            #expect(try String(contentsOfFile: pins, encoding: .utf8).contains(keyId))
            try await rotate.expectInSync(ctx)
        }
    }
}
