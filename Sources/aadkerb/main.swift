// The aadkerb executable: everything is in the AADKerbCLI library (commands, wording, exit
// codes), so that its logic is unit-tested in-process (Tests/AADKerbCLITests).
import AADKerbCLI

await AADKerb.start()
