import LDAPClient

/// The AD domains of a forest, from the crossRef objects of the configuration partition.
public enum Forest {
    /// FLAG_CR_NTDS_NC (1) | FLAG_CR_NTDS_DOMAIN (2): a domain naming context, not the
    /// configuration, the schema or an application partition (DNS zones have 5).
    static let domainFlags: UInt32 = 3

    /// crossRef objects directly under `CN=Partitions` that name an AD domain in use.
    public static let filter: LDAPFilter = .and([
        .equal("objectClass", "crossRef"), .bitwiseAnd("systemFlags", domainFlags),
        // pre-created for a domain not yet promoted (MS-ADTS 6.1.1.2.1.1.1): not a domain to ask
        .not(.equal("enabled", "FALSE")),
    ])

    /// The DNS names of the domains these crossRefs name, lower-cased, sorted, once each. The
    /// server filtered already; this holds the same rules for entries read any other way.
    public static func domainNames(crossRefs: [LDAPEntry]) -> [String] {
        let names = crossRefs.compactMap { entry -> String? in
            guard let flags = entry.integer("systemFlags"), UInt32(truncatingIfNeeded: flags) & domainFlags == domainFlags,
                  entry.string("enabled")?.uppercased() != "FALSE"
            else { return nil }
            return entry.string("dnsRoot")?.lowercased()
        }
        return Set(names).sorted()
    }

    /// The forest's domains, asked of the DC behind `connection`.
    public static func domainNames(connection: any DirectoryConnection) async throws -> [String] {
        let root = try await connection.rootDSE(attributes: ["configurationNamingContext"])
        guard let configuration = root.string("configurationNamingContext") else {
            throw LDAPError(code: .other, diagnosticMessage: "the root DSE names no configuration naming context",
                            operation: "read the root DSE of \(connection.uri)")
        }
        let crossRefs = try await connection.search(base: "CN=Partitions,\(configuration)", scope: .oneLevel, filter: filter,
                                                    attributes: ["dnsRoot", "systemFlags", "enabled"])
        return domainNames(crossRefs: crossRefs)
    }
}
