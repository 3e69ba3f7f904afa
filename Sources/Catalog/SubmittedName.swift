/// A name a client sent (a field, member or attribute name), as an error may repeat it.
///
/// Clients choose these names, so a name can be personal data: a batch keyed by an email
/// address (`"fields": {"ann@example.com": "x"}`) came back in the 422 as `"field":
/// "ann@example.com"`, into the client's logs. An error repeats a submitted name only when it
/// is one the vault defines, or a near miss of one (a typo such as `emial`), and then
/// suggests the defined name; any other name is left out and the item's index says where.
public enum SubmittedName {
    /// What an error about the unknown name `name` says: the name to put in its `field`
    /// (nil when it is not repeated) and the reason, given the names the vault defines there.
    public static func unknown(_ name: String, known: some Sequence<String>, what: String) -> (field: String?, reason: String) {
        let candidates = Array(known)
        if candidates.contains(name) { return (name, "\(what) not allowed here") }
        if let suggestion = nearest(to: name, in: candidates) { return (name, "unknown \(what); did you mean \(suggestion)?") }
        return (nil, "unknown \(what) (its name is not repeated: it is not close to any defined name)")
    }

    /// The defined name within a small edit distance of `name` (one edit for names of up to
    /// four characters, two beyond), the closest first, ties by name; nil when none is.
    public static func nearest(to name: String, in known: [String]) -> String? {
        let submitted = Array(name.unicodeScalars)
        guard submitted.count <= 64 else { return nil }
        var best: (distance: Int, name: String)?
        for candidate in known {
            let target = Array(candidate.unicodeScalars)
            let allowed = target.count <= 4 ? 1 : 2
            guard abs(target.count - submitted.count) <= allowed else { continue }
            let distance = editDistance(submitted, target)
            guard distance <= allowed else { continue }
            if best == nil || distance < best!.distance || (distance == best!.distance && candidate < best!.name) {
                best = (distance, candidate)
            }
        }
        return best?.name
    }

    /// Optimal string alignment distance: insertions, deletions, substitutions and swaps of
    /// adjacent characters (`emial` → `email` is one edit).
    static func editDistance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Int {
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
