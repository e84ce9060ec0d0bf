import ArgumentParser

@main
struct AADKerb: AsyncParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "aadkerb",
        abstract: "Manage the Azure AD (Entra ID) Kerberos server of AD DS domains from Linux.",
        discussion: """
            An Azure AD Kerberos server is three objects in an AD DS domain (the read-only DC computer \
            CN=AzureADKerberos,OU=Domain Controllers; the disabled krbtgt_AzureAD account that holds the \
            TGT key; a service connection point under CN=AzureAD,CN=System) and a KerberosDomain object \
            in the cloud tenant. aadkerb reads and compares them.

            Passwords and keys are never taken from the command line: use a prompt, --password-file, \
            --password-stdin or AADKERB_DOMAIN_PASSWORD. Exit codes are listed in docs/exit-codes.md; \
            `aadkerb get --help` lists the ones get uses.
            """,
        version: version,
        subcommands: [GetCommand.self, SetCommand.self, RemoveCommand.self])
}
