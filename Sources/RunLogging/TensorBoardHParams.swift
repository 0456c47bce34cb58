/// A run's hyper-parameters for TensorBoard's HPARAMS tab, and the metrics shown
/// beside them.
///
/// The hparams plugin reads two summaries of a run (its "session"):
/// `_hparams_/experiment`, which hyper-parameters and metrics exist (with display
/// names), and `_hparams_/session_start_info`, this run's values. The metric values
/// themselves are not written here: the plugin shows the last value of each
/// metric's scalar tag in the same run, so a metric is simply a tag the run logs
/// anyway (`reward_mean`, `eval/reward_mean`, …), and its "final" value is whatever
/// the run logged last.
///
/// Every run writes the same hyper-parameter names and metric list, whatever it
/// turned on: with `--logdir runs`, the plugin takes the experiment of one run for
/// all, so a run-specific list would hide the other runs' metrics.
///
/// Encoding (tensorboard/plugins/hparams/plugin_data.proto and api.proto), each
/// written in field-number order:
///
///     HParamsPluginData  version 1 (int32, 0: left out), experiment 2, session_start_info 3
///     Experiment         time_created_secs 3 (double), hparam_infos 4, metric_infos 5
///     HParamInfo         name 1, display_name 2, description 3, type 4 (STRING 1, BOOL 2, FLOAT64 3)
///     MetricInfo         name 1 (MetricName: group 1, tag 2), display_name 3, description 4
///     SessionStartInfo   hparams 1 (map<string, google.protobuf.Value>: key 1, value 2),
///                        group_name 4, start_time_secs 5 (double)
///     protobuf.Value     number_value 2 (double), string_value 3, bool_value 4 (a oneof)
///
/// Map entries are written sorted by key, as Python's `SerializeToString(deterministic=True)`
/// does; TensorBoard itself writes them in hash order, and readers accept any order.
public struct TensorBoardHParams: Equatable, Sendable {
    /// One hyper-parameter's value; the plugin filters numbers by range and the others by value.
    public enum Value: Equatable, Sendable {
        case number(Double)
        case string(String)
        case bool(Bool)
    }

    /// A scalar tag shown as a metric column, with its name there and a tooltip.
    public struct Metric: Equatable, Sendable {
        public var tag: String
        public var displayName: String
        public var description: String

        public init(tag: String, displayName: String, description: String) {
            self.tag = tag
            self.displayName = displayName
            self.description = description
        }
    }

    /// By name (e.g. `train.learning_rate`).
    public var values: [String: Value]
    /// Tooltips of the hyper-parameters, by name; optional.
    public var descriptions: [String: String]
    public var metrics: [Metric]
    /// Sessions with the same group name are one row group (e.g. the seeds of one variant).
    public var groupName: String
    /// Seconds since 1970 when this run (session) started.
    public var startTime: Double

    public init(
        values: [String: Value], descriptions: [String: String] = [:], metrics: [Metric], groupName: String,
        startTime: Double
    ) {
        self.values = values
        self.descriptions = descriptions
        self.metrics = metrics
        self.groupName = groupName
        self.startTime = startTime
    }

    public static let pluginName = "hparams"
    public static let experimentTag = "_hparams_/experiment"
    public static let sessionStartTag = "_hparams_/session_start_info"

    /// `HParamsPluginData { experiment }`: the hyper-parameters' names and types, the metrics.
    var experimentContent: [UInt8] {
        var experiment = ProtobufEncoder()
        experiment.doubleIfNonDefault(3, startTime)
        for name in values.keys.sorted() {
            var info = ProtobufEncoder()
            info.stringIfNonDefault(1, name)
            info.stringIfNonDefault(3, descriptions[name] ?? "")
            info.int64(4, values[name]!.dataType)
            experiment.message(4, info)
        }
        for metric in metrics {
            var metricName = ProtobufEncoder()
            metricName.stringIfNonDefault(2, metric.tag)
            var info = ProtobufEncoder()
            info.message(1, metricName)
            info.stringIfNonDefault(3, metric.displayName)
            info.stringIfNonDefault(4, metric.description)
            experiment.message(5, info)
        }
        var data = ProtobufEncoder()
        data.message(2, experiment)
        return data.bytes
    }

    /// `HParamsPluginData { session_start_info }`: this run's values.
    var sessionStartContent: [UInt8] {
        var start = ProtobufEncoder()
        for name in values.keys.sorted() {
            var value = ProtobufEncoder()
            switch values[name]! {
            case .number(let number): value.double(2, number)
            case .string(let text): value.string(3, text)
            case .bool(let flag): value.int64(4, flag ? 1 : 0)
            }
            var entry = ProtobufEncoder()
            entry.string(1, name)
            entry.message(2, value)
            start.message(1, entry)
        }
        start.stringIfNonDefault(4, groupName)
        start.doubleIfNonDefault(5, startTime)
        var data = ProtobufEncoder()
        data.message(3, start)
        return data.bytes
    }
}

extension TensorBoardHParams.Value {
    /// The plugin's `DataType`: DATA_TYPE_STRING 1, DATA_TYPE_BOOL 2, DATA_TYPE_FLOAT64 3.
    fileprivate var dataType: Int64 {
        switch self {
        case .string: return 1
        case .bool: return 2
        case .number: return 3
        }
    }
}
