// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "aadkerb",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "aadkerb", targets: ["aadkerb"]),
        .library(name: "LDAPClient", targets: ["LDAPClient"]),
        .library(name: "AADKerbCore", targets: ["AADKerbCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // C: OpenLDAP's libldap/liblber, with a shim for the macros Swift cannot import.
        .systemLibrary(
            name: "CLDAP", pkgConfig: "ldap",
            providers: [.apt(["libldap2-dev"])]),
        // Swift LDAP layer: one connection per actor, blocking calls on the actor's own queue.
        .target(name: "LDAPClient", dependencies: ["CLDAP"]),
        // The Azure AD Kerberos server model, readers and plans; knows nothing of the terminal.
        .target(name: "AADKerbCore", dependencies: ["LDAPClient"]),
        // The command-line tool: thin commands over AADKerbCore.
        .executableTarget(
            name: "aadkerb",
            dependencies: [
                "AADKerbCore", "LDAPClient",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .testTarget(name: "LDAPClientTests", dependencies: ["LDAPClient"]),
        .testTarget(name: "AADKerbCoreTests", dependencies: ["AADKerbCore"]),
        // Against real servers (Samba AD DC); runs the built `aadkerb` binary as a user would.
        .testTarget(name: "IntegrationTests", dependencies: ["AADKerbCore", "LDAPClient", "aadkerb"]),
    ],
    swiftLanguageModes: [.v6]
)
