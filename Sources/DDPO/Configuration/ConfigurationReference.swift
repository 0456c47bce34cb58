import Yams

/// Every configuration key with its default and a one-line meaning, at run time:
/// what `ddpo config --defaults` prints and docs/configuration.md holds. The
/// properties' doc comments say the same for readers of the code; a user has only
/// the executable and the docs, so the table lives here too. Defaults are not
/// written twice: they come from encoding `TrainingConfiguration()`, so the table
/// cannot drift from the code (a test checks that every encoded key has an entry
/// and that every entry names a key `--set` accepts).
public enum ConfigurationReference {
    /// One key of the table.
    public struct Entry: Equatable, Sendable {
        /// The key path as `--set` names it: "train.learning_rate".
        public var key: String
        /// What the key means, one line.
        public var meaning: String
        /// The default as YAML, for keys the default configuration does not write
        /// (the alternatives `prompt.file`, `multi_task_update`, ...); nil takes the
        /// value encoded in `TrainingConfiguration()`.
        public var defaultValue: String?
        /// The default in words, for keys whose encoded default says nothing useful:
        /// a timestamp, a required path, a list that replaces others.
        public var defaultInWords: String?

        init(_ key: String, _ meaning: String, default defaultValue: String? = nil, defaultInWords: String? = nil) {
            self.key = key
            self.meaning = meaning
            self.defaultValue = defaultValue
            self.defaultInWords = defaultInWords
        }
    }

    /// A row as printed: the key, its default as text, its meaning.
    public struct Row: Equatable, Sendable {
        public var key: String
        /// YAML text of the default ("0.0003", "[to_q, to_k]", "null"), or words.
        public var defaultValue: String
        /// True when `defaultValue` is YAML (shown as code), false for words.
        public var defaultIsValue: Bool
        public var meaning: String
    }

    /// The table, in the order of a saved config.yaml.
    public static let entries: [Entry] = [
        Entry(
            "run_name", "the run's folder name under log_dir",
            defaultInWords: "the start time, e.g. 2026.11.24_19.36.41"),
        Entry("seed", "seeds the sampling noise, the prompt draws and the shuffles"),
        Entry("log_dir", "the folder that holds one folder per run"),
        Entry("epochs", "outer epochs, each one round of sampling then training"),
        Entry("save_freq", "epochs between checkpoints"),
        Entry("checkpoints_kept", "the newest checkpoints kept; older ones are deleted"),
        Entry("eval_images", "images of the fixed evaluation before and after training (same prompts, same noise)"),
        Entry(
            "resume",
            "a checkpoint folder, or a run folder (its newest checkpoint), to continue from; null starts afresh"),
        Entry(
            "model",
            "the pretrained model: a diffusers folder (model_index.json, unet/, vae/, text_encoder/, tokenizer/, scheduler/)",
            defaultInWords: "required"),
        Entry("device", "cpu, cuda or cuda:N"),
        Entry("dtype", "precision of the frozen model: float32, float16 or bfloat16"),
        Entry("mixed_precision", "no, or bf16: the UNet's forward passes under autocast (needs dtype float32)"),
        Entry(
            "threads",
            "libtorch intra-op threads per worker; null: on the CPU the cores divided among the workers, on a GPU libtorch's choice"
        ),
        Entry(
            "workers",
            "threads that sample batches and compute micro-batches side by side (results do not depend on it; more than 1 needs the CPU); null: one per core on the CPU (one for a UNet over 100 M parameters), 1 on a GPU"
        ),
        Entry("distributed_timeout", "seconds a data-parallel collective may wait for the other ranks"),
        Entry("use_lora", "train LoRA adapters (section lora) instead of the whole UNet"),
        Entry(
            "prompt",
            "the prompt set: a name (simple_animals, imagenet_animals, nouns_activities, counting, file, fixed, shapes, shapes_held_out, shapes_all, shapes_relations, shapes_relations_sample, shapes_relations_held_out, shapes_compositional) or a mapping {name, file, prompts}"
        ),
        Entry(
            "prompt.file", "a text file, one prompt (for file) or one noun (for nouns_activities, counting) per line",
            default: "null"),
        Entry("prompt.prompts", "the list the fixed prompt set draws from", default: "null"),
        Entry(
            "reward",
            "the reward: a name (jpeg_compressibility, jpeg_incompressibility, aesthetic, pickscore, clip_score, hpsv2, remote, shapes_alignment, diversity, parity) or a mapping {name, options}"
        ),
        Entry(
            "reward.options", "the reward's own settings, name: value (e.g. reward.options.url for remote)",
            default: "{}"),
        Entry(
            "tasks",
            "multi-task training: a list of {name, prompt, reward, weight} replacing the top-level prompt and reward",
            defaultInWords: "null: one task of prompt and reward"),
        Entry(
            "multi_task_update",
            "with tasks: sequential (one policy update per task in turn) or weighted_sum (one update over all tasks)",
            default: "sequential"),
        Entry("nan_rewards", "error stops on a NaN or infinite reward, drop leaves the sample out"),
        Entry("sample.num_steps", "DDIM denoising steps per trajectory"),
        Entry("sample.eta", "DDIM noise scale in (0, 1]; training needs > 0 so every step has a log-probability"),
        Entry("sample.guidance_scale", "classifier-free guidance weight (1 turns guidance off)"),
        Entry("sample.batch_size", "trajectories per sampling batch, per device"),
        Entry("sample.num_batches_per_epoch", "sampling batches per epoch: batch_size × this samples per device"),
        Entry("sample.height", "image height in pixels, a multiple of 8; null takes the model's default"),
        Entry("sample.width", "image width in pixels, a multiple of 8; null takes the model's default"),
        Entry(
            "sample.pair_shared_noise", "p3o and d3po: the two samples of a pair start from one initial noise x_T"),
        Entry(
            "train.algorithm",
            "ddpo_is (PPO-style clipped importance sampling), ddpo_sf (score function), rwr, rwr_sparse, "
                + "p3o (pairs of samples per prompt, trained on their reward difference) "
                + "or d3po (pairs, trained on which one is preferred, against the frozen base model)"),
        Entry("train.batch_size", "samples per training minibatch, per device"),
        Entry("train.learning_rate", "AdamW step size (for LoRA; about 1e-5 suits a full fine-tune of SD)"),
        Entry("train.adam_beta1", "AdamW first-moment decay"),
        Entry("train.adam_beta2", "AdamW second-moment decay"),
        Entry("train.adam_weight_decay", "AdamW decoupled weight decay"),
        Entry("train.adam_epsilon", "AdamW denominator epsilon"),
        Entry("train.gradient_accumulation_steps", "minibatches whose gradients are summed before one optimizer step"),
        Entry("train.max_grad_norm", "the gradient's global L2 norm is clipped to this"),
        Entry("train.num_inner_epochs", "passes over each epoch's samples (more than 1 only for ddpo_is)"),
        Entry("train.cfg", "re-score samples with classifier-free guidance at sample.guidance_scale"),
        Entry("train.adv_clip_max", "advantages are clipped to ± this"),
        Entry("train.clip_range", "PPO ratio clip for ddpo_is, in the mean-log-probability scale"),
        Entry("train.timestep_fraction", "fraction in (0, 1] of each trajectory's steps trained on"),
        Entry("train.rwr_beta", "inverse temperature of RWR's softmax weights"),
        Entry("train.rwr_percentile", "rwr_sparse trains on the samples at or above this reward percentile (0 to 100)"),
        Entry(
            "train.p3o_clipping",
            "p3o: separate (each trajectory's ratio clipped, as ddpo_is) or joint (the ratio of the pair's ratios)"),
        Entry(
            "train.dpo_beta", "d3po: inverse temperature of the sigmoid over the pair's log-ratios to the base model"),
        Entry("train.dpo_clip_range", "d3po: each step's ratio to the base model is clipped to 1 ± this, in (0, 1)"),
        Entry("train.kl_weight", "weight of the per-step KL penalty toward the frozen base model (0: off)"),
        Entry(
            "train.pretrain_loss_weight",
            "weight of the pretraining denoising loss added at every optimizer step (0: off)"),
        Entry("train.pretrain_data", "the data of the pretraining loss (the shapes world registers shapes_world)"),
        Entry("train.pretrain_batch_size", "images per pretraining-loss batch"),
        Entry(
            "train.gradient_checkpointing",
            "recompute the UNet's activations in the policy update's backward pass instead of keeping them: "
                + "less memory, one more forward pass, the same training"),
        Entry(
            "advantages.strategy",
            "per_prompt (DDPO's per-prompt statistics), batch (whole-batch normalisation) or group (group_size samples per prompt)"
        ),
        Entry("advantages.per_prompt_buffer_size", "rewards kept per prompt, across epochs"),
        Entry("advantages.per_prompt_min_count", "a prompt's own buffer is used once it holds this many rewards"),
        Entry("advantages.group_size", "samples drawn per prompt under the group strategy"),
        Entry("lora.rank", "the inner dimension of each adapter"),
        Entry("lora.alpha", "the adapter's output is scaled by alpha / rank"),
        Entry("lora.targets", "the UNet modules (last parts of their parameter paths) that get adapters"),
        Entry("monitor.every", "epochs between over-optimisation monitor checks (0: off)"),
        Entry("monitor.prompts", "the monitors' held-out prompt set, written as prompt; null takes the training set"),
        Entry("monitor.images", "images sampled at each monitor check"),
        Entry(
            "monitor.diversity", "the distribution-level reward whose batch value is logged as the monitors' diversity"),
        Entry(
            "monitor.fidelity",
            "a second reward scored on the monitors' images and logged as monitor/fidelity (e.g. shapes_alignment); null: none"
        ),
        Entry(
            "monitor.stop_after_falls", "stop once the held-out reward has fallen this many checks in a row (0: never)")
    ]

    /// The rows of the table: each entry with its default, taken from the encoded
    /// default configuration unless the entry describes it.
    public static func rows() -> [Row] {
        let encoded = defaultValues()
        return entries.map { entry in
            if let words = entry.defaultInWords {
                return Row(key: entry.key, defaultValue: words, defaultIsValue: false, meaning: entry.meaning)
            }
            // A key the encoding lacks is a bug the tests catch; show it rather than trap.
            let value = entry.defaultValue ?? encoded[entry.key] ?? "?"
            return Row(key: entry.key, defaultValue: value, defaultIsValue: true, meaning: entry.meaning)
        }
    }

    /// Every leaf of the encoded default configuration, key path → YAML text
    /// ("train.learning_rate" → "0.0003", "lora.targets" → "[to_q, to_k, to_v, to_out.0]").
    public static func defaultValues() -> [String: String] {
        // A fixed run name: the default is the clock's, which would make the table
        // differ from one second to the next.
        let yaml = TrainingConfiguration(runName: "run").yamlString()
        guard let tree = try? Yams.compose(yaml: yaml) else { return [:] }
        var values: [String: String] = [:]
        func visit(_ node: Node, _ path: String) {
            if let mapping = node.mapping {
                for (key, value) in mapping {
                    let name = key.string ?? ""
                    visit(value, path.isEmpty ? name : "\(path).\(name)")
                }
            } else {
                values[path] = flowText(node)
            }
        }
        visit(tree, "")
        return values
    }

    /// A node as one line of YAML: scalars as written, lists and mappings in flow style.
    private static func flowText(_ node: Node) -> String {
        switch node {
        case .scalar(let scalar):
            if Resolver.default.resolveTag(of: node) == .null { return "null" }
            return scalar.string
        case .sequence(let sequence):
            return "[" + sequence.map(flowText).joined(separator: ", ") + "]"
        case .mapping(let mapping):
            return "{" + mapping.map { "\(flowText($0.key)): \(flowText($0.value))" }.joined(separator: ", ") + "}"
        case .alias:
            return "*"
        }
    }

    /// The table as aligned plain-text columns: key, default, meaning.
    public static func plainText() -> String {
        let rows = rows()
        let keyWidth = rows.map(\.key.count).max() ?? 0
        let defaultWidth = rows.filter(\.defaultIsValue).map(\.defaultValue.count).max() ?? 0
        func padded(_ text: String, _ width: Int) -> String {
            text + String(repeating: " ", count: max(0, width - text.count))
        }
        var lines = [padded("KEY", keyWidth) + "  " + padded("DEFAULT", defaultWidth) + "  MEANING"]
        for row in rows {
            // A default in words does not fit the column: it goes with the meaning.
            let meaning = row.defaultIsValue ? row.meaning : "\(row.meaning) (default: \(row.defaultValue))"
            let value = row.defaultIsValue ? row.defaultValue : "-"
            lines.append(padded(row.key, keyWidth) + "  " + padded(value, defaultWidth) + "  " + meaning)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The table as the Markdown page docs/configuration.md.
    public static func markdown() -> String {
        var lines = [
            "# Configuration reference",
            "",
            "Generated by `ddpo config --defaults --markdown`: do not edit by hand (a test compares this file "
                + "with the command's output). Every key of a training configuration (the YAML files of `configs/`), "
                + "written as `--set` names it, with its default and its meaning. A key left out of a file takes "
                + "its default; an unknown key is an error that names it. `ddpo config --check FILE [--set ...]` "
                + "loads and validates a configuration and prints it whole, without training.",
            "",
            "| key | default | meaning |",
            "|---|---|---|"
        ]
        func cell(_ text: String) -> String { text.replacingOccurrences(of: "|", with: "\\|") }
        for row in rows() {
            let value = row.defaultIsValue ? "`\(row.defaultValue)`" : row.defaultValue
            lines.append("| `\(row.key)` | \(cell(value)) | \(cell(row.meaning)) |")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
