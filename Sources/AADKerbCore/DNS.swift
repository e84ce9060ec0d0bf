// How DCs are found in DNS (SRVLookup, SRVRecord, SRVLookupError) lives in the DNSClient module,
// over glibc's resolver; the core's users see it as part of the core.
@_exported import DNSClient
