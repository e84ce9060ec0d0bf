// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "aadkerb",
    // Kept although Linux-only: swift-argument-parser's async entry points and Swift concurrency
    // are declared available from macOS 10.15, and the commands use them without annotations.
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "aadkerb", targets: ["aadkerb"]),
        .library(name: "LDAPClient", targets: ["LDAPClient"]),
        .library(name: "AADKerbCore", targets: ["AADKerbCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.3.0"),
        // The config file's parser (toml++ underneath): full TOML instead of a hand-written subset.
        .package(url: "https://github.com/LebJe/TOMLKit.git", from: "0.6.0"),
        // The tenant reference server only (never the CLI): its tokens and its store.
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.7.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        // The tests only (TestSupport's process runner): never linked into the CLI or the server.
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
    ],
    targets: [
        // C: OpenLDAP's libldap/liblber, with a shim for the macros Swift cannot import.
        .systemLibrary(
            name: "CLDAP", pkgConfig: "ldap",
            providers: [.apt(["libldap2-dev"])]),
        // C: OpenSSL's libcrypto (HMAC for tokens; key derivation and envelope encryption).
        .systemLibrary(
            name: "COpenSSL", pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]),
        // C: OpenSSL's libssl, for the endpoint probe's own TLS handshake (libldap uses GnuTLS).
        .systemLibrary(
            name: "COpenSSLTLS", pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]),
        // C: MIT krb5's GSS-API (Kerberos sign-in to DRSUAPI), with a shim for its macros and iov calls.
        .systemLibrary(
            name: "CGSSAPI",  // headers in /usr/include/gssapi; pkg-config would add a -isystem SwiftPM refuses
            providers: [.apt(["libkrb5-dev"])]),
        // C: MIT krb5 (libkrb5): PAC building and signing, RFC 3961 crypto, credential caches.
        .systemLibrary(
            name: "CKrb5",  // linked through its module map, like CGSSAPI
            providers: [.apt(["libkrb5-dev"])]),
        // C: glibc's stub resolver (res_nquery, ns_initparse; libresolv), with a shim for its macros
        // and the IPv6 server slots of struct __res_state.
        .systemLibrary(name: "CResolv"),
        // Swift LDAP layer: one connection per actor, blocking calls on the actor's own queue.
        .target(name: "LDAPClient", dependencies: ["CLDAP", "Basics", "EndpointProbe", .product(name: "Logging", package: "swift-log")]),
        // A second look at a server a connection just failed to: name resolution, TCP, StartTLS,
        // whether the port speaks TLS, and the certificate it shows (OpenSSL), to name the cause.
        .target(name: "EndpointProbe", dependencies: ["COpenSSLTLS", .product(name: "SwiftASN1", package: "swift-asn1")]),
        // DNS SRV lookups through glibc's resolver: every resolv.conf nameserver or the one given
        // (IPv4 or IPv6), TCP when the UDP answer is truncated; answers read with ns_parserr.
        .target(name: "DNSClient", dependencies: ["CResolv", "EndpointProbe"]),
        // What every module needs once: Secret (bytes zeroed when released, never printed) and wipe,
        // hex, GUID text, ISO 8601 and GeneralizedTime timestamps (no ICU), DNS name syntax.
        .target(name: "Basics"),
        // The Azure AD Kerberos server model, readers and plans; knows nothing of the terminal.
        .target(name: "AADKerbCore", dependencies: ["LDAPClient", "EndpointProbe", "DNSClient", "TenantAPI", "OpenSSLSupport", "Basics", "Tickets"]),
        // Reads an account's Kerberos keys from a DC the way a replica does: DRSUAPI GetNCChanges
        // over DCE/RPC (TCP, NTLMv2 or Kerberos, sealed). Blocking socket I/O on a dedicated thread.
        .target(name: "DRSClient", dependencies: ["OpenSSLSupport", "Basics", "CGSSAPI", .product(name: "Logging", package: "swift-log")]),
        // Mints the cloud's partial TGT (a krbtgt_AzureAD-signed RODC ticket) and exchanges it at
        // a DC in a hand-built TGS-REQ (DER via swift-asn1, crypto and PAC via MIT krb5).
        .target(name: "Tickets", dependencies: ["CKrb5", "Basics", .product(name: "SwiftASN1", package: "swift-asn1")]),
        // The command-line tool as a library: one file per command over AADKerbCore, the one place
        // that turns outcomes into words and exit codes (Wording, ExitStatus).
        .target(
            name: "AADKerbCLI",
            dependencies: [
                "AADKerbCore", "Basics", "LDAPClient", "TenantClient", "TenantAPI", "DRSClient", "OpenSSLSupport", "Tickets", "EndpointProbe", "DNSClient",
                "EntraSync",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ]),
        // The executable: a few lines over AADKerbCLI, as SwiftPM's swift-build is over Commands.
        .executableTarget(name: "aadkerb", dependencies: ["AADKerbCLI"]),
        // Safe Swift wrappers over libcrypto (digests, certificates, RS256); no C types in its API.
        .target(name: "OpenSSLSupport", dependencies: ["COpenSSL"]),
        // The tenant API's wire types, shared by the client and the reference server.
        .target(name: "TenantAPI", dependencies: ["OpenSSLSupport", "Basics"]),
        // Client of the tenant API over URLSession, with token acquisition.
        .target(name: "TenantClient", dependencies: ["TenantAPI", "Basics", "OpenSSLSupport", .product(name: "Logging", package: "swift-log")]),
        // WCF binary XML (MC-NBFX records, MC-NBFS static dictionary, MC-NBFSE in-band strings):
        // the encoding of the Entra Connect sync web service. Pure Swift, bounded, typed errors.
        .target(name: "WCFBinary", dependencies: ["Basics"]),
        // Read-only client of the real Entra Connect sync web service (experimental): SOAP 1.2 in
        // WCF binary XML, GetKerberosDomainSyncConfig and GetKerberosDomain, tokens for the Azure AD
        // Graph resource through TenantClient's flows, ECK1 keys, the mapping onto KerberosDomain.
        .target(name: "EntraSync", dependencies: ["WCFBinary", "TenantClient", "TenantAPI", "OpenSSLSupport", "Basics",
                                                  .product(name: "Logging", package: "swift-log")]),
        // The tenant API reference server (an emulator of the cloud side): Hummingbird over HTTPS, OAuth2
        // tokens through jwt-kit, SQLite through GRDB (which links the system libsqlite3).
        .executableTarget(
            name: "aadkerb-tenant-server",
            dependencies: [
                "COpenSSL", "TenantAPI", "OpenSSLSupport", "Basics", "Tickets", "WCFBinary",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]),
        // What every test target reads the fixtures' settings with (scripts/samba-dc, scripts/tenant-server),
        // and the one process runner of the tests (swift-subprocess).
        .target(name: "TestSupport", dependencies: [.product(name: "Subprocess", package: "swift-subprocess")],
                path: "Tests/TestSupport"),
        .testTarget(name: "BasicsTests", dependencies: ["Basics"]),
        .testTarget(name: "LDAPClientTests", dependencies: ["LDAPClient", "EndpointProbe", "TestSupport"]),
        .testTarget(name: "AADKerbCoreTests", dependencies: ["AADKerbCore", "TenantAPI", "LDAPClient", "Basics"]),
        .testTarget(name: "DRSClientTests", dependencies: ["DRSClient", "Basics", "TestSupport"]),
        .testTarget(name: "DNSClientTests", dependencies: ["DNSClient"]),
        .testTarget(name: "TicketsTests", dependencies: ["Tickets", "CKrb5", "Basics", "TestSupport", .product(name: "SwiftASN1", package: "swift-asn1")],
                    exclude: ["oracle"]),
        .testTarget(name: "WCFBinaryTests", dependencies: ["WCFBinary", "Basics", "TestSupport"]),
        .testTarget(name: "AADKerbCLITests", dependencies: ["AADKerbCLI", "AADKerbCore", "Basics", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .testTarget(name: "EntraSyncTests", dependencies: ["EntraSync", "WCFBinary", "TenantAPI", "Basics"]),
        .testTarget(name: "TenantServerTests", dependencies: [
            "aadkerb-tenant-server", "OpenSSLSupport", "TenantAPI", "Basics", "TestSupport",
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        // Against real servers (Samba AD DC); runs the built `aadkerb` binary as a user would.
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["AADKerbCore", "Basics", "TestSupport", "LDAPClient", "TenantClient", "TenantAPI", "OpenSSLSupport", "Tickets", "CKrb5", "aadkerb", "aadkerb-tenant-server",
                           "EntraSync"]),
    ],
    swiftLanguageModes: [.v6]
)

// libFuzzer targets, one per parser of bytes from a DC or the network (Fuzz/, run by scripts/fuzz).
// Declared only when AADKERB_FUZZ is set: they are built with -sanitize=fuzzer,address (every
// module they reach instrumented, in its own release build path), so a normal `swift build` or
// `scripts/test` neither builds nor links them. Each main.swift is one call to FuzzDriver's
// `fuzz { bytes in ... }` over its module's parser (a `package` entry point or a public one).
if Context.environment["AADKERB_FUZZ"] != nil {
    package.targets.append(.target(name: "FuzzDriver", path: "Fuzz/Sources/FuzzDriver"))
    for (name, module) in [("getncchanges", "DRSClient"), ("ntlm-challenge", "DRSClient"), ("supplemental-credentials", "DRSClient"),
                           ("repl-metadata", "AADKerbCore"), ("dns-answer", "DNSClient"), ("kdc-reply", "Tickets"),
                           ("wcfbinary", "WCFBinary")] {
        package.targets.append(.executableTarget(name: "fuzz-\(name)", dependencies: ["FuzzDriver", .target(name: module)],
                                                 path: "Fuzz/Sources/fuzz-\(name)"))
        package.products.append(.executable(name: "fuzz-\(name)", targets: ["fuzz-\(name)"]))
    }
}
