/// "Did you mean …?" for a misspelt name: the closest of the valid names by
/// Damerau–Levenshtein distance (optimal string alignment: insertions, deletions,
/// substitutions and swaps of two neighbouring characters each cost 1), offered only
/// when it is close enough that the user most likely meant it. A typo costs a user
/// the whole start-up of a run or the reading of a long list; a wild guess costs
/// more than no guess, hence the threshold.
public enum Suggestion {
    /// The edit distance between `a` and `b`, counting a swap of two neighbouring
    /// characters ("trian" → "train") as one edit, as a typist makes it.
    public static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        // Three rows suffice: the swap looks two rows back.
        var twoBack = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let substitution = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + substitution)
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                    current[j] = min(current[j], twoBack[j - 2] + 1)
                }
            }
            (twoBack, previous, current) = (previous, current, twoBack)
        }
        return previous[b.count]
    }

    /// The most edits a suggestion for `name` may be away: one for short names,
    /// about a third of the name's length for longer ones, never more than three
    /// (past that, names share too little for a guess to help).
    public static func allowedDistance(for name: String) -> Int {
        min(3, max(1, name.count / 3))
    }

    /// The candidate closest to `name`, if it is within `allowedDistance(for:)` and
    /// is not `name` itself; ties go to the earlier candidate, so callers list the
    /// likelier names first. Comparison ignores case ("Train" suggests "train"). A
    /// name cut short counts as one edit from the whole ("shapes_held" is
    /// "shapes_held_out" rather than the nearer "shapes_all").
    public static func closest(to name: String, among candidates: [String]) -> String? {
        let lowered = name.lowercased()
        var best: (candidate: String, distance: Int)?
        for candidate in candidates where candidate != name {
            let whole = candidate.lowercased()
            let d = lowered.count >= 3 && whole.hasPrefix(lowered) ? 1 : distance(lowered, whole)
            // A suggestion must keep something of the name: "x" is one edit from any
            // one-letter name, but suggests nothing.
            guard d <= allowedDistance(for: name), d < candidate.count else { continue }
            if best == nil || d < best!.distance { best = (candidate, d) }
        }
        return best?.candidate
    }

    /// "unknown reward 'jpeg_compresibility'; did you mean 'jpeg_compressibility'?
    /// (valid: aesthetic, …)": the one wording of every unknown-name error, so each
    /// lists what is valid wherever a name is wrong.
    public static func unknownName(_ kind: String, _ name: String, valid: [String]) -> String {
        "unknown \(kind) '\(name)'\(didYouMean(name, among: valid)) (valid: \(valid.joined(separator: ", ")))"
    }

    /// "; did you mean 'train'?" when a candidate is close, else "" (to append to an
    /// error message that already names what was wrong).
    public static func didYouMean(_ name: String, among candidates: [String]) -> String {
        closest(to: name, among: candidates).map { "; did you mean '\($0)'?" } ?? ""
    }
}
