"""Writes Tests/RunLoggingTests/Fixtures/reference.tfevents: a TensorBoard event file
made with TensorBoard's own Python pieces (protobuf messages from
tensorboard.compat.proto, framed by tensorboard.summary.writer.record_writer), for
fixed inputs. TensorBoardFixtureTests writes the same inputs with our Swift
TensorBoardWriter and compares the bytes.

Also writes reference-plugins.tfevents beside it: plugin summaries made by
TensorBoard's own summary functions, text (tensorboard.plugins.text.summary_v2.text_pb)
and hyper-parameters (tensorboard.plugins.hparams: the experiment and
session_start_info summaries, as hparams_config_pb and hparams_pb make them).
TensorBoard serializes the hparams map in hash order; the session_start_info
content is re-serialized here with deterministic=True (keys sorted, as the Swift
writer writes them), which changes only the order of the map's entries.

Needs `tensorboard` (and numpy) in the venv: scripts/golden/.venv/bin/pip install tensorboard

The cases exercise: the file-version event, a zero scalar (proto3 omits step 0 but
always writes a oneof member), a negative step (10-byte varint), a large step, a tag
longer than 127 bytes (2-byte length), equal-width histograms (our rule, computed
here with numpy's linspace/histogram; NaN and inf left out), a constant histogram,
and a PNG image (colorspace 3); in the plugins file, a Markdown text with non-ASCII
characters, a second text, and the two hparams summaries (string, number and both
boolean values; a hyper-parameter description; two metrics).
"""
import io
import math
import pathlib

import numpy as np
from PIL import Image
from tensorboard.compat.proto import event_pb2, histogram_pb2, summary_pb2
from tensorboard.plugins.hparams import api_pb2, plugin_data_pb2
from tensorboard.plugins.hparams import metadata as hparams_metadata
from tensorboard.plugins.hparams import summary_v2 as hparams_summary
from tensorboard.plugins.text import summary_v2 as text_summary
from tensorboard.summary.writer.record_writer import RecordWriter

FIXTURES = pathlib.Path(__file__).resolve().parents[2] / "Tests" / "RunLoggingTests" / "Fixtures"
OUT = FIXTURES / "reference.tfevents"
PLUGINS_OUT = FIXTURES / "reference-plugins.tfevents"

# Event k (k = 0 for the file-version event) has wall time START + k / 4.
START = 1_700_000_000.5


def histogram(values, bucket_count):
    """Our documented rule (Sources/RunLogging/TensorBoardHistogram.swift)."""
    finite = [v for v in values if math.isfinite(v)]
    low, high = min(finite), max(finite)
    total, squares = 0.0, 0.0
    for v in finite:  # left to right, as the Swift writer sums
        total += v
        squares += v * v
    if low == high:
        limits, counts = [high], [float(len(finite))]
    else:
        counts, edges = np.histogram(finite, bins=bucket_count, range=(low, high))
        limits, counts = edges[1:].tolist(), counts.astype(float).tolist()
    return histogram_pb2.HistogramProto(
        min=low, max=high, num=float(len(finite)), sum=total, sum_squares=squares,
        bucket_limit=limits, bucket=counts)


def png_2x3():
    pixels = np.array([[[255, 0, 0], [0, 255, 0]], [[0, 0, 255], [255, 255, 255]], [[0, 0, 0], [10, 20, 30]]],
                      dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def main():
    png = png_2x3()
    print("PNG bytes for the Swift test:", ", ".join(str(b) for b in png))
    values = [
        ("loss", 1, summary_pb2.Summary.Value(tag="loss", simple_value=0.25)),
        ("zero", 0, summary_pb2.Summary.Value(tag="zero", simple_value=0.0)),
        ("negative", -1, summary_pb2.Summary.Value(tag="negative", simple_value=-3.5)),
        ("large", 1234567890123, summary_pb2.Summary.Value(tag="large", simple_value=1e-3)),
        ("long", 7, summary_pb2.Summary.Value(tag="long/" + "x" * 150, simple_value=2.0)),
        ("histogram", 3, summary_pb2.Summary.Value(
            tag="advantages",
            histo=histogram([-1.5, -0.25, 0.0, 0.5, float("nan"), 0.5, 2.0, 3.75, float("inf")], 4))),
        ("constant", 4, summary_pb2.Summary.Value(tag="constant", histo=histogram([2.0, 2.0, 2.0], 30))),
        ("image", 5, summary_pb2.Summary.Value(
            tag="samples", image=summary_pb2.Summary.Image(height=3, width=2, colorspace=3, encoded_image_string=png))),
    ]
    with open(OUT, "wb") as file:
        writer = RecordWriter(file)
        writer.write(event_pb2.Event(wall_time=START, file_version="brain.Event:2").SerializeToString())
        for k, (_, step, value) in enumerate(values, start=1):
            event = event_pb2.Event(wall_time=START + k / 4, step=step, summary=summary_pb2.Summary(value=[value]))
            writer.write(event.SerializeToString())
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")
    write_plugins()


def hparams_summaries():
    """The experiment and session_start_info summaries TensorBoardFixtureTests writes."""
    values = {"seed": "42", "train.learning_rate": 0.0003, "use_lora": True, "use_ema": False}
    infos = []
    for name in sorted(values):
        value = values[name]
        data_type = (api_pb2.DATA_TYPE_BOOL if isinstance(value, bool)
                     else api_pb2.DATA_TYPE_FLOAT64 if isinstance(value, float) else api_pb2.DATA_TYPE_STRING)
        description = "AdamW's step size" if name == "train.learning_rate" else None
        infos.append(api_pb2.HParamInfo(name=name, description=description, type=data_type))
    metrics = [
        hparams_summary.Metric("reward_mean", display_name="reward, last epoch", description="training reward"),
        hparams_summary.Metric("eval/reward_mean", display_name="evaluation reward", description="fixed prompts"),
    ]
    experiment = api_pb2.Experiment(
        hparam_infos=infos, metric_infos=[m.as_proto() for m in metrics], time_created_secs=START)
    experiment_summary = hparams_summary._summary_pb(
        hparams_metadata.EXPERIMENT_TAG, plugin_data_pb2.HParamsPluginData(experiment=experiment))
    start = hparams_summary.hparams_pb(values, trial_id="demo", start_time_secs=START)
    plugin_data = start.value[0].metadata.plugin_data
    plugin_data.content = plugin_data_pb2.HParamsPluginData.FromString(plugin_data.content).SerializeToString(
        deterministic=True)
    return experiment_summary, start


def write_plugins():
    experiment, start = hparams_summaries()
    summaries = [
        (0, text_summary.text_pb("config", "```yaml\nseed: 42\nreward: jpeg_compressibility\n```\n")),
        (3, text_summary.text_pb("samples/captions", "| # | prompt | reward |\n|---:|---|---:|\n"
                                 "| 1 | a “red” circle \\| two | −1.79 |\n")),
        (2, experiment),
        (2, start),
    ]
    with open(PLUGINS_OUT, "wb") as file:
        writer = RecordWriter(file)
        writer.write(event_pb2.Event(wall_time=START, file_version="brain.Event:2").SerializeToString())
        for k, (step, summary) in enumerate(summaries, start=1):
            event = event_pb2.Event(wall_time=START + k / 4, step=step, summary=summary)
            writer.write(event.SerializeToString())
    print(f"wrote {PLUGINS_OUT} ({PLUGINS_OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
