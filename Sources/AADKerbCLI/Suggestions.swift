import ArgumentParser

/// "Did you mean": a mistyped subcommand (`aadkerb gte`) or option (`--domian`) is named with the
/// closest real one, before the parser's generic "unexpected argument" (exit 64).
enum Suggestions {
    static func check(_ arguments: [String]) -> String? {
        // the shell asking for completions (ArgumentParser's custom completion call)
        if arguments.first == "---completion" { return nil }
        var command: ParsableCommand.Type = AADKerb.self
        var path = ["aadkerb"]
        var index = 0
        while index < arguments.count, !arguments[index].hasPrefix("-") {
            let word = arguments[index]
            let subcommands: [ParsableCommand.Type] = command.configuration.subcommands
            guard !subcommands.isEmpty else { break }  // a positional argument of a leaf command
            var next: ParsableCommand.Type?
            var names: [String] = []
            for sub in subcommands {
                let name = sub._commandName
                names.append(name)
                if name == word { next = sub }
            }
            guard let next else {
                if word == "help" { return nil }
                return "\(path.joined(separator: " ")): unknown command '\(word)'" + hint(word, among: names)
                    + " (\(path.joined(separator: " ")) --help lists them)"
            }
            command = next
            path.append(word)
            index += 1
        }
        let known = Set(longOptions(of: command) + ["--help", "--version", "--generate-completion-script", "--experimental-dump-help"])
        for argument in arguments[index...] {
            if argument == "--" { break }
            guard argument.hasPrefix("--") else { continue }
            let name = String(argument.prefix { $0 != "=" })
            if !known.contains(name) {
                return "\(path.joined(separator: " ")): unknown option '\(name)'" + hint(name, among: Array(known))
                    + " (\(path.joined(separator: " ")) --help lists them)"
            }
        }
        return nil
    }

    /// Every --name the command's help shows.
    static func longOptions(of command: ParsableCommand.Type) -> [String] {
        let help = command.helpMessage(columns: 400)
        var names: [String] = []
        var current = ""
        for ch in help + " " {
            if ch.isLetter || ch.isNumber || ch == "-" { current.append(ch); continue }
            if current.hasPrefix("--"), current.count > 2 { names.append(current) }
            current = ""
        }
        return names
    }

    static func hint(_ word: String, among names: [String]) -> String {
        let scored = names.map { ($0, distance(word.lowercased(), $0.lowercased())) }.filter { $0.1 <= max(2, word.count / 3) }
        guard let best = scored.min(by: { ($0.1, $0.0) < ($1.1, $1.0) }) else { return "" }
        return "; did you mean '\(best.0)'?"
    }

    /// Levenshtein distance, with a transposition counting as one edit (gte -> get).
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1) }
            }
        }
        return d[a.count][b.count]
    }
}
