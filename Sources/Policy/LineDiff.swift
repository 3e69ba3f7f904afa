/// A line diff between two versions of a bundle file, for audit entries and `policy diff`.
///
/// Longest-common-subsequence over lines: bundles are small (hundreds of lines), so the
/// quadratic table is cheap and the output is minimal.
public enum LineDiff {
    public static func diff(_ old: String, _ new: String) -> [String] {
        let a = old.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let b = new.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var lcs = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in stride(from: a.count - 1, through: 0, by: -1) {
            for j in stride(from: b.count - 1, through: 0, by: -1) {
                lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : max(lcs[i + 1][j], lcs[i][j + 1])
            }
        }
        var out: [String] = []
        var i = 0
        var j = 0
        while i < a.count || j < b.count {
            if i < a.count, j < b.count, a[i] == b[j] {
                i += 1
                j += 1
            } else if j < b.count, i == a.count || lcs[i][j + 1] >= lcs[i + 1][j] {
                out.append("+\(j + 1): \(b[j])")
                j += 1
            } else {
                out.append("-\(i + 1): \(a[i])")
                i += 1
            }
        }
        return out
    }

    /// Per-file diff of two bundles, files in name order; unchanged files are left out.
    public static func diff(bundles old: [String: String], _ new: [String: String]) -> [String: [String]] {
        var result: [String: [String]] = [:]
        for name in Set(old.keys).union(new.keys).sorted() {
            let lines = diff(old[name] ?? "", new[name] ?? "")
            if !lines.isEmpty { result[name] = lines }
        }
        return result
    }
}
