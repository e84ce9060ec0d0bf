// libFuzzer target: a DNS answer to the SRV query for a domain's DCs (UDP can be spoofed).
import DNSClient
import FuzzDriver

// the question the seeds were captured for (scripts/fuzz --capture); mutations of it are refused early
fuzz { _ = try? SRVLookup.parse($0, name: "_ldap._tcp.dc._msdcs.contoso.corp.com") }
