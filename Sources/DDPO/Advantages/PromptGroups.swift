/// The samples of a batch that share one prompt string.
struct PromptGroup: Equatable {
    var prompt: String
    /// Positions in the batch, in batch order.
    var indices: [Int]
}

/// Splits a batch into groups of equal prompt strings, in the order each prompt
/// first appears, so that everything derived from the groups is deterministic.
///
/// Prompts are compared with Swift's `String` equality, which treats canonically
/// equivalent strings (precomposed "é" and "e" + combining accent) as equal where
/// Python compares code points; prompt functions produce plain text, so the two
/// agree in practice.
func groupByPrompt(_ prompts: [String]) -> [PromptGroup] {
    var groups: [PromptGroup] = []
    var groupIndexOfPrompt: [String: Int] = [:]
    for (sampleIndex, prompt) in prompts.enumerated() {
        if let groupIndex = groupIndexOfPrompt[prompt] {
            groups[groupIndex].indices.append(sampleIndex)
        } else {
            groupIndexOfPrompt[prompt] = groups.count
            groups.append(PromptGroup(prompt: prompt, indices: [sampleIndex]))
        }
    }
    return groups
}
