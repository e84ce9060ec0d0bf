import Basics
import Foundation
import LDAPClient

/// Reads the on-premises objects of an Azure AD Kerberos server in one domain.
///
/// Round trips after the bind: one. The root DSE, one search for the three objects by DN (indexed)
/// and one for the forest's NTDS Settings and server objects (objectClass, indexed; they name the
/// DC that wrote the key by its invocationId) are sent together and answered together
/// (`LDAPConnection.searchBatch`): across a WAN each round trip costs the whole RTT. Only in a
/// child domain (the configuration NC is not the guessed one) is the NTDS Settings object searched
/// for afterwards by invocationId, and that DC's server object read when it is not the one
/// connected to; only when msDS-KrbTgtLink points away from CN=Users is the linked account read.
/// No filter term is unindexed: a backlink term (msDS-KrbTgtLinkBl) made Samba scan the whole
/// domain. See docs/fields.md and docs/performance.md.
public struct OnPremReader: Sendable {
    public let connection: any DirectoryConnection
    public let objects: KerberosServerObjects

    public init(connection: any DirectoryConnection, domain: DomainName) {
        self.connection = connection
        objects = KerberosServerObjects(domain: domain)
    }

    static let computerAttributes = ["objectClass", "sAMAccountName", "userAccountControl", "msDS-KrbTgtLink"]
    static let krbtgtAttributes = [
        "objectClass", "sAMAccountName", "userAccountControl", "msDS-SecondaryKrbTgtNumber",
        "msDS-KeyVersionNumber", "replPropertyMetaData", "msDS-KrbTgtLinkBl",
    ]
    static let scpAttributes = ["objectClass", "keywords"]

    public func read() async throws(AADKerbError) -> OnPremKerberosServer {
        do {
            return try await readUnchecked()
        } catch let error as AADKerbError {
            throw error
        } catch let error as LDAPError {
            throw .ldap(error)
        } catch {
            throw .ldap(LDAPError(code: .other, diagnosticMessage: "\(error)", operation: "read"))
        }
    }

    /// Fails unless the server's default naming context is the requested domain.
    public static func checkDomain(_ rootDSE: LDAPEntry, objects: KerberosServerObjects, uri: String) throws {
        let served = rootDSE.string("defaultNamingContext") ?? ""
        let servedDN = try? DistinguishedName(parsing: served)
        guard servedDN == objects.domainDN else {
            throw AADKerbError.domainMismatch(
                requested: objects.domain.value, served: servedDN?.domainDNSName ?? served, server: uri)
        }
    }

    /// Forests of up to this many DCs are listed in the batch (two entries each, ~0.4 KB).
    static let batchedDCLimit = 100

    static let rootDSEAttributes = ["defaultNamingContext", "configurationNamingContext", "dnsHostName", "dsServiceName"]

    /// The root DSE, the three objects and the forest's DC objects, asked for at once (one round
    /// trip, `LDAPConnection.searchBatch`). The DC objects' base is a guess: the configuration NC of
    /// a forest whose root is this domain. The root DSE says whether it was right; when it was not
    /// (a child domain), `sites` is nil and the DC that wrote the key is searched for afterwards.
    private func readBatched() async throws -> (root: LDAPEntry, found: [LDAPEntry], sites: [LDAPEntry]?) {
        let guessedConfigurationNC = "CN=Configuration," + objects.domainDN.description
        let results = try await connection.searchBatch([
            .read("", attributes: Self.rootDSEAttributes),
            LDAPSearchRequest(
                base: objects.domainDN.description, scope: .subtree,
                filter: .or([
                    .equal("distinguishedName", objects.computer.description),
                    .equal("distinguishedName", objects.krbtgt.description),
                    .equal("distinguishedName", objects.serviceConnectionPoint.description),
                ]),
                attributes: Array(Set(Self.computerAttributes + Self.krbtgtAttributes + Self.scpAttributes))),
            // Every NTDS Settings object (invocationId) and server object (dNSHostName) of the
            // forest: one per DC each, both objectClass terms indexed. Serves the search for the DC
            // that wrote the key, and the read of its name when it is not the one connected to.
            // A forest of more than `batchedDCLimit` DCs answers sizeLimitExceeded: then the
            // one DC is searched for by invocationId, as in a child domain.
            LDAPSearchRequest(
                base: "CN=Sites," + guessedConfigurationNC, scope: .subtree,
                filter: .or([.equal("objectClass", "nTDSDSA"), .equal("objectClass", "server")]),
                attributes: ["invocationId", "dNSHostName"], pageSize: 2 * Self.batchedDCLimit, sizeLimit: 2 * Self.batchedDCLimit),
        ])
        guard let root = try results[0].get().first else {
            throw LDAPError(code: .noSuchObject, diagnosticMessage: "no root DSE", operation: "search", target: "")
        }
        try Self.checkDomain(root, objects: objects, uri: connection.uri)
        let found = try results[1].get()
        let configurationNC = root.string("configurationNamingContext").flatMap { try? DistinguishedName(parsing: $0) }
        let guessRight = configurationNC != nil && configurationNC == (try? DistinguishedName(parsing: guessedConfigurationNC))
        let sites = guessRight ? (try? results[2].get()) : nil
        return (root, found, sites)
    }

    private func readUnchecked() async throws -> OnPremKerberosServer {
        let (root, found, sites) = try await readBatched()
        var server = OnPremKerberosServer(domainDNSName: objects.domain.value, server: root.string("dnsHostName"))

        let computerDN = objects.computer.description
        func entry(_ dn: String) -> LDAPEntry? {
            let wanted = try? DistinguishedName(parsing: dn)
            return found.first { (try? DistinguishedName(parsing: $0.dn)) == wanted }
        }

        let computer = entry(computerDN)
        let scp = entry(objects.serviceConnectionPoint.description)
        // The krbtgt account is the one the computer links to (read on its own when it is not at
        // the usual place); at its usual place otherwise.
        let link = computer?.string("msDS-KrbTgtLink")
        var linked: LDAPEntry?
        if let link {
            linked = entry(link)
            if linked == nil { linked = try await connection.read(link, attributes: Self.krbtgtAttributes) }
        }
        let krbtgt = linked ?? entry(objects.krbtgt.description)

        if let computer {
            server.computerAccount = computer.dn
            let uac = UInt32(computer.integer("userAccountControl") ?? 0)
            let rodc = UserAccountControl.workstationTrustAccount | UserAccountControl.partialSecretsAccount
            if uac & rodc != rodc {
                server.problems.append(String(format: "%@: userAccountControl 0x%08x lacks WORKSTATION_TRUST_ACCOUNT|PARTIAL_SECRETS_ACCOUNT (0x%08x)", computer.dn, uac, rodc))
            }
            if link == nil {
                server.problems.append("\(computer.dn): msDS-KrbTgtLink is not set")
            } else if krbtgt == nil {
                server.problems.append("\(computer.dn): msDS-KrbTgtLink points to \(link!), which does not exist")
            }
        } else {
            server.problems.append("\(computerDN) is missing")
        }

        if let krbtgt {
            server.userAccount = krbtgt.dn
            server.displayName = krbtgt.string("sAMAccountName")
            server.id = krbtgt.integer("msDS-SecondaryKrbTgtNumber")
            server.kvno = krbtgt.integer("msDS-KeyVersionNumber")
            if server.id == nil {
                server.problems.append("\(krbtgt.dn): msDS-SecondaryKrbTgtNumber is not set (not created as an RODC krbtgt)")
            }
            let uac = UInt32(krbtgt.integer("userAccountControl") ?? 0)
            if uac & UserAccountControl.accountDisable == 0 {
                server.problems.append("\(krbtgt.dn): the account is enabled; a krbtgt account must be disabled")
            }
            if let link, (try? DistinguishedName(parsing: link)) != (try? DistinguishedName(parsing: krbtgt.dn)) {
                server.problems.append("\(computerDN): msDS-KrbTgtLink points to \(link), not \(krbtgt.dn)")
            }
            if let blob = krbtgt.bytes("replPropertyMetaData") {
                let metadata: ReplicationMetadata
                do { metadata = try ReplicationMetadata(decoding: blob) } catch {
                    throw AADKerbError.malformedObject(dn: krbtgt.dn, reason: "\(error)")
                }
                if let pwd = metadata.entry(for: ReplicationMetadata.unicodePwd) {
                    server.keyVersion = pwd.originatingUSN
                    server.keyUpdatedOn = pwd.changeTime
                    server.keyUpdatedFromInvocationID = Hex.guid(pwd.originatingInvocationID)
                    server.keyUpdatedFrom = try await dcHostName(invocationID: pwd.originatingInvocationID, rootDSE: root, sites: sites)
                } else {
                    server.problems.append("\(krbtgt.dn): no key has ever been set (no unicodePwd metadata)")
                }
            } else {
                server.problems.append("\(krbtgt.dn): replPropertyMetaData was not returned (insufficient rights?)")
            }
        } else {
            server.problems.append("\(objects.krbtgt.description) is missing")
        }

        if let scp {
            server.serviceConnectionPoint = scp.dn
        } else {
            server.problems.append("\(objects.serviceConnectionPoint.description) is missing")
        }
        // Nothing at all is not a list of problems: it is "not configured".
        if server.status == .notConfigured { server.problems = [] }
        return server
    }

    /// The dNSHostName of the server object whose NTDS Settings child has this invocationId: the
    /// connected DC's own name (root DSE) when it is that DC, else read from the server object.
    /// `sites`, when given, holds the forest's NTDS Settings and server objects (`readBatched`):
    /// then nothing more is asked of the DC.
    private func dcHostName(invocationID: [UInt8], rootDSE: LDAPEntry, sites: [LDAPEntry]? = nil) async throws -> String? {
        guard let configurationNC = rootDSE.string("configurationNamingContext") else { return nil }
        let dsas: [LDAPEntry]
        if let sites {
            dsas = sites
        } else {
            dsas = try await connection.search(
                base: "CN=Sites," + configurationNC, scope: .subtree,
                filter: .and([.equal("objectClass", "nTDSDSA"), .equalBytes("invocationId", invocationID)]),
                attributes: ["invocationId"])
        }
        guard let dsa = dsas.first(where: { $0.bytes("invocationId") == invocationID }),
              let dsaDN = try? DistinguishedName(parsing: dsa.dn), let serverDN = dsaDN.parent
        else { return nil }
        if let own = rootDSE.string("dsServiceName").flatMap({ try? DistinguishedName(parsing: $0) }), own == dsaDN {
            return rootDSE.string("dnsHostName")
        }
        if let sites {
            let serverObject = sites.first { (try? DistinguishedName(parsing: $0.dn)) == serverDN }
            if let serverObject { return serverObject.string("dNSHostName") }
        }
        return try await connection.read(serverDN.description, attributes: ["dNSHostName"])?.string("dNSHostName")
    }
}
