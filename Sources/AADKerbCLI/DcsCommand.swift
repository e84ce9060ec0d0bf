import AADKerbCore
import ArgumentParser
import Foundation
import DNSClient
import LDAPClient

struct DcsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dcs",
        abstract: "Find the domain's DCs (DNS SRV and the directory) and say, for each, whether it answers and which key version it holds.",
        discussion: """
            The question `nltest /dsgetdc:<domain> /kdc` answers on Windows, plus the Azure AD \
            Kerberos key: DCs come from DNS (_ldap._tcp.dc._msdcs.<domain>, or the site's \
            _ldap._tcp.<site>._sites.dc._msdcs.<domain> with --site, falling back to the domain-wide \
            name; ordered by priority and weight per RFC 2782) and from the directory (OU=Domain \
            Controllers: writable or read-only, operating system). Each DC is then asked, the way \
            --server is reached (same scheme, CA and account), for the krbtgt_AzureAD key version, \
            and checked on its own for LDAPS: a TLS handshake on port 636 with a certificate the CA \
            file (or the system) trusts for the DC's name, and an anonymous root DSE read; \
            --no-ldaps-check leaves that out (for a site that does not use LDAPS).

            Exit codes: 0 every DC answered, passed the LDAPS check and holds the same key version; \
            4 a DC did not answer, failed the LDAPS check, holds another key version, or is in DNS \
            but not in the directory (or the other way round).

            \(Manual.helpFooter("dcs"))
            """)

    @OptionGroup var connection: DomainOptions
    @OptionGroup var output: OutputOptions

    @Option(help: ArgumentHelp("DNS server (IPv4 or IPv6) for the SRV lookup. Default: each nameserver of /etc/resolv.conf in turn.", valueName: "ip"))
    var dnsServer: String?

    @Option(help: ArgumentHelp("Ask DNS for this AD site's DCs first.", valueName: "site"))
    var site: String?

    @Flag(help: "Do not ask DNS; list the DCs of the directory only.")
    var noDns = false

    @Flag(help: "Do not check each DC's LDAPS (port 636); Ldaps is null in JSON.")
    var noLdapsCheck = false

    func run() async throws {
        try await reportingErrors(output) {
            let context = try await CommandContext(connection)
            // without --dns-server, every nameserver of /etc/resolv.conf, in turn (DNSClient)
            let (dnsServer, site, noDns, checkLDAPS) = (dnsServer, site, noDns, !noLdapsCheck)
            return try await context.forEachDomain(output) { session in
                let target = session.target
                // DNS first; its failure is reported, not fatal: the directory still lists the DCs
                var srv: [SRVRecord] = []
                var dnsNote: String?
                if !noDns {
                    do {
                        let names = (site.map { ["_ldap._tcp.\($0)._sites.dc._msdcs.\(target.domain.value)"] } ?? [])
                            + ["_ldap._tcp.dc._msdcs.\(target.domain.value)"]
                        // the site's name first; only the domain-wide (last) name's failure is reported
                        for (index, name) in names.enumerated() where srv.isEmpty {
                            do { srv = try await SRVLookup.query(name, server: dnsServer, domain: target.domain.value) } catch where index < names.count - 1 {}
                        }
                        srv = SRVLookup.ordered(srv)
                    } catch let error as SRVLookupError {
                        if case .rcode = error { dnsNote = "\(error) (asked \(dnsServer ?? "the nameservers of /etc/resolv.conf"))" } else { dnsNote = "\(error)" }
                    }
                }
                let ldap = try await session.connect()
                let objects = KerberosServerObjects(domain: target.domain)
                let infos = try await DomainControllers.inventory(connection: ldap, objects: objects, srv: srv)
                let onPrem = try await OnPremReader(connection: ldap, domain: target.domain).read()
                // Credentials go only to DCs the directory lists; a host that only DNS names gets
                // an anonymous check (TLS + root DSE), reached the way --server is.
                let dnsOnly = infos.filter { $0.directory == nil }.map(\.name)
                async let ldapsFailures = checkLDAPS ? DomainControllers.anonymousCheckFailures(hosts: infos.map(\.name), like: target.configuration) : nil
                async let dnsOnlyFailures = DomainControllers.anonymousCheckFailures(hosts: dnsOnly, like: target.configuration, ldaps: false)
                let trusted = try await DomainControllers.keyVersions(
                    connection: ldap, objects: objects, accountDN: onPrem.userAccount ?? objects.krbtgt.description,
                    connectedDC: onPrem.server, connectToDC: session.connectToDC,
                    dcs: infos.compactMap(\.directory))
                let checked = await dnsOnlyFailures
                let states = trusted + dnsOnly.map { DCKeyState.dnsOnly($0, check: checked[$0]) }
                let report = DcsReport(domain: target.domain.value, dns: noDns ? nil : srv, dnsNote: dnsNote, infos: infos, states: states,
                                       ldapsFailures: await ldapsFailures, configured: onPrem.userAccount != nil)
                return DomainResult(report, table: report.table, status: report.exitStatus)
            }
        }
    }
}

/// `dcs`'s output. JSON schema 1: {"SchemaVersion", "DomainDnsName", "DnsError", "DomainControllers":
/// [{"Name", "Port", "Priority", "Weight", "InDns", "InDirectory", "Trusted", "Writable", "OperatingSystem",
/// "OperatingSystemVersion", "Reachable", "Ldaps", "LdapsError", "Kvno", "Error"}]}.
struct DcsReport: Encodable {
    let domain: String
    let dns: [SRVRecord]?
    let dnsNote: String?
    let infos: [DomainControllers.Info]
    let states: [DCKeyState]
    /// DC name -> why its LDAPS check failed; a DC not in it passed. Nil: not checked.
    let ldapsFailures: [String: String]?
    let configured: Bool

    func state(_ name: String) -> DCKeyState? { states.first { $0.name.lowercased() == name } }

    var exitStatus: ExitStatus {
        let kvnos = Set(states.compactMap(\.kvno))
        let unreachable = states.contains { s in
            if case .accountNotFound = s.problem { return false }
            return s.problem != nil
        }
        // a host only DNS names is never trusted: it counts as a mismatch between DNS and the directory
        let mismatch = dns != nil && dnsNote == nil && infos.contains { $0.srv == nil || !$0.inDirectory }
        return unreachable || kvnos.count > 1 || mismatch || !(ldapsFailures ?? [:]).isEmpty ? .drifted : .success
    }

    struct DC: Encodable {
        let Name: String
        let Port: UInt16?, Priority: UInt16?, Weight: UInt16?
        let InDns: Bool, InDirectory: Bool, Trusted: Bool, Writable: Bool?
        let OperatingSystem: String?, OperatingSystemVersion: String?
        let Reachable: Bool, Ldaps: Bool?, LdapsError: String?, Kvno: Int64?, Error: String?

        enum CodingKeys: CodingKey {
            case Name, Port, Priority, Weight, InDns, InDirectory, Trusted, Writable, OperatingSystem, OperatingSystemVersion
            case Reachable, Ldaps, LdapsError, Kvno, Error
        }
        /// Every key, null when unknown (the synthesized encoder would leave nil keys out).
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(Name, forKey: .Name)
            try c.encode(Port, forKey: .Port)
            try c.encode(Priority, forKey: .Priority)
            try c.encode(Weight, forKey: .Weight)
            try c.encode(InDns, forKey: .InDns)
            try c.encode(InDirectory, forKey: .InDirectory)
            try c.encode(Trusted, forKey: .Trusted)
            try c.encode(Writable, forKey: .Writable)
            try c.encode(OperatingSystem, forKey: .OperatingSystem)
            try c.encode(OperatingSystemVersion, forKey: .OperatingSystemVersion)
            try c.encode(Reachable, forKey: .Reachable)
            try c.encode(Ldaps, forKey: .Ldaps)
            try c.encode(LdapsError, forKey: .LdapsError)
            try c.encode(Kvno, forKey: .Kvno)
            try c.encode(Error, forKey: .Error)
        }
    }

    var rows: [DC] {
        infos.map { info in
            let s = state(info.name)
            // untrusted (DNS only): reachable when its anonymous check passed
            let reachable = s.map { state -> Bool in
                switch state.problem {
                case nil, .accountNotFound: true
                case let .notTrusted(check): check == nil
                default: false
                }
            } ?? false
            return DC(Name: info.name, Port: info.srv?.port, Priority: info.srv?.priority, Weight: info.srv?.weight,
                      InDns: info.srv != nil, InDirectory: info.inDirectory, Trusted: info.inDirectory, Writable: info.writable,
                      OperatingSystem: info.operatingSystem, OperatingSystemVersion: info.operatingSystemVersion,
                      Reachable: reachable, Ldaps: ldapsFailures.map { $0[info.name] == nil }, LdapsError: ldapsFailures?[info.name],
                      Kvno: s?.kvno, Error: reachable && info.inDirectory ? nil : s?.error)
        }
    }

    enum CodingKeys: String, CodingKey { case SchemaVersion, DomainDnsName, DnsError, DomainControllers }
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(1, forKey: .SchemaVersion)
        try c.encode(domain, forKey: .DomainDnsName)
        try c.encode(dnsNote, forKey: .DnsError)
        try c.encode(rows, forKey: .DomainControllers)
    }

    var table: String {
        var lines = rows.map { r in
            let source = [r.InDns ? "dns" : nil, r.InDirectory ? "directory" : nil].compactMap { $0 }.joined(separator: "+")
            let role = r.Writable.map { $0 ? "writable" : "read-only" } ?? "?"
            let key = !r.Trusted ? (r.Error ?? DCKeyState.notTrusted) : r.Reachable ? (r.Kvno.map { "kvno \($0)" } ?? (configured ? "no krbtgt_AzureAD" : "not configured")) : "unreachable: \(r.Error ?? "")"
            let srv = r.Priority.map { " prio \($0) weight \(r.Weight ?? 0) port \(r.Port ?? 0)" } ?? ""
            let ldaps = r.Ldaps == nil ? "" : "  " + (r.LdapsError.map { "ldaps failed: \($0)" } ?? "ldaps ok")
            return "\(r.Name)  [\(source), \(role)\(srv)]  \(r.OperatingSystem.map { "\($0) \(r.OperatingSystemVersion ?? "")  " } ?? "")\(key)\(ldaps)"
        }
        if let dnsNote { lines.append("DNS: \(dnsNote) (listed from the directory only)") }
        return lines.joined(separator: "\n")
    }
}
