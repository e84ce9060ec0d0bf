// libFuzzer target: the WCF binary XML decoder (the Entra Connect sync service's answers).
//
// Each input goes through both decoders (msbin1, and msbinsession1 with a string table); what
// decodes must encode and decode again to the same tree. A crash, a sanitizer report or a broken
// round trip stops the run with the input saved.
import WCFBinary
import FuzzDriver

func check(_ bytes: [UInt8]) {
    var roomy = WCFBinaryLimits()
    roomy.maxBytes = 64 << 20
    roomy.maxNodes = 1 << 22
    if let tree = try? WCFBinaryDecoder().decode(bytes) {
        let again = try? WCFBinaryDecoder(limits: roomy).decode(WCFBinaryEncoder().encode(tree))
        precondition(again == tree, "the decoded tree does not survive encode + decode")
    }
    var session = SessionDictionary()
    if let tree = try? WCFBinaryDecoder().decodeSession(bytes, session: &session) {
        var tx = SessionDictionary(), rx = SessionDictionary()
        let again = try? WCFBinaryDecoder(limits: roomy).decodeSession(WCFBinaryEncoder().encodeSession(tree, session: &tx), session: &rx)
        precondition(again == tree, "the decoded session message does not survive encode + decode")
    }
}

fuzz(check)
