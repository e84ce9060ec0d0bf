import AADKerbCore
import Foundation
import TenantAPI

// The core returns typed outcomes; this file turns them into the words, flag names and command
// lines an admin reads. Nothing here decides anything.

/// An error's one-line message, with what to run next where the CLI knows it.
func errorMessage(_ error: any Error) -> String {
    switch error {
    case let e as RotationError:
        switch e {
        case .notConfigured: return "\(e); run aadkerb set first"
        case .cloudMissing: return "\(e); run aadkerb set --tenant ... first"
        case .kvnoDidNotAdvance: return "\(e)"
        case .previousKeyNotTheTenants: return "\(e) (run aadkerb rotate again to publish the DC's current key)"
        case let .tenantChanged(_, _, duringRotation): return "\(e); run aadkerb rotate again" + (duringRotation ? " to publish it" : "")
        }
    case let e as AADKerbError:
        if case let .domainMismatch(requested, _, _) = e { return "\(e); point --server at a DC of \(requested)" }
        return "\(e)"
    default:
        return "\(error)"
    }
}

extension RotationReason {
    /// `rotate`'s Reason, as the table and JSON show it. `dryRun`: what would be done.
    func text(dryRun: Bool) -> String {
        let d = KeyRotator.duration
        switch self {
        case let .rotated(from, to):
            return "rotated: kvno \(from) -> \(to) on both sides"
        case .wouldRotate:
            return dryRun ? "would rotate" : "rotated"
        case let .finishedInterrupted(kvno):
            return dryRun
                ? "would finish an interrupted rotation: the DC already holds kvno \(kvno) and the tenant still has the previous key"
                : "finished an interrupted rotation: the DC already holds kvno \(kvno) and the tenant still had the previous key"
        case let .publishedDCKey(tenantKvno, kvno):
            let tenant = tenantKvno.map { "kvno \($0)" } ?? "none"
            return dryRun
                ? "would publish the DC's key: the tenant's key (\(tenant)) is not the DC's current key (kvno \(kvno))"
                : "the tenant's key (\(tenant)) is not the DC's current key (kvno \(kvno)); published the DC's key"
        case let .notReplicated(kvno, lagging, newKey, kept):
            let who = lagging.map { "\($0.name) (" + ($0.error ?? "kvno \($0.kvno.map(String.init) ?? "?")") + ")" }.joined(separator: ", ")
            return newKey
                ? "pending: the DC made kvno \(kvno), but \(who) do not hold it yet; not published (the cloud keeps kvno \(kept.map(String.init) ?? "?"), which every DC holds). Run aadkerb rotate again once they have replicated"
                : "pending: kvno \(kvno) is not yet on \(who); not published (the cloud would issue tickets those DCs refuse). Run aadkerb rotate again once they have replicated"
        case let .notDue(age, minimumAge):
            return "not due: the key is \(d(age)) old, --min-age is \(d(minimumAge))"
        case let .withinTicketLifetime(age, lifetime):
            return "the key was changed \(d(age)) ago, within the ticket lifetime (\(d(lifetime))): tickets under the previous key would stop working; --force to rotate anyway"
        case let .leaseHeld(lease):
            return "another rotation holds the lease: \(lease.holder) since \(lease.startedOn), until \(lease.expiresOn); --break-lease if that run is dead"
        case let .leaseTakenWhilePublishing(lease, kvno):
            return "another rotation took the lease while this run was publishing kvno \(kvno): \(lease.holder) since \(lease.startedOn); it publishes the key itself"
        case .leaseRaceLost:
            return "another run changed the tenant object while this one took the lease; nothing was changed"
        }
    }
}

extension DoctorFix {
    /// The fix as doctor prints it: a command line where one does it.
    var text: String {
        switch self {
        case .synchroniseClocks: return "synchronise this host and the DCs with NTP"
        case let .create(domain): return "aadkerb set --domain \(domain) --tenant ..."
        case let .repair(domain): return "aadkerb set --domain \(domain) repairs it"
        case let .removeFromAllowList(computer): return "remove them from msDS-RevealOnDemandGroup of \(computer)"
        case let .denyPrivilegedGroups(computer):
            return "aadkerb set adds the deny-by-default list when it is empty; or add these groups to msDS-NeverRevealGroup of \(computer)"
        case let .denyTierZero(domain): return "aadkerb policy deny --domain \(domain) ... <account or its group>"
        case let .rotate(domain): return "aadkerb rotate --domain \(domain) ..."
        case .allowAES256: return "allow AES256-CTS-HMAC-SHA1-96 on the DCs, then aadkerb rotate"
        case .waitForReplication: return "wait for replication (repadmin /syncall or samba-tool drs replicate), then aadkerb get --all-dcs"
        case .checkTenantAccess: return "check --tenant-endpoint, the client's credentials and its role (KerberosDomain.Read.All)"
        case let .publishDCKey(domain): return "aadkerb set --domain \(domain) --tenant ... publishes the DC's key"
        case .resynchronise: return "aadkerb set (or aadkerb rotate, which finishes an interrupted rotation)"
        case .finishRotation: return "aadkerb rotate finishes it once the lease has expired"
        case let .advice(text): return text
        }
    }
}
