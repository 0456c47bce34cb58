import RunLogging

extension Trainer {
    /// An epoch's metrics: one line of metrics.jsonl and the TensorBoard scalars at the
    /// epoch; each optimizer step's figures at the global step it ended on (`step/…`);
    /// the rewards' and advantages' histograms (per task too); a grid of the samples
    /// with their prompts and rewards drawn in, and the same captions as a table. Only
    /// rank 0 of a data-parallel run logs. Which tag uses which step: `TensorBoardWriter`.
    func log(_ report: EpochReport) throws {
        guard let runLog else { return }
        try runLog.record(report.scalars, step: report.globalStep, epoch: report.epoch, tensorBoardStep: report.epoch)
        let firstStep = report.globalStep - report.update.steps.count
        for (offset, step) in report.update.steps.enumerated() {
            let globalStep = firstStep + offset + 1
            try runLog.addScalar("step/loss", step.loss, step: globalStep)
            try runLog.addScalar("step/approx_kl", step.approxKL, step: globalStep)
            try runLog.addScalar("step/clipfrac", step.clipFraction, step: globalStep)
            try runLog.addScalar("step/grad_norm", step.gradientNorm, step: globalStep)
            try runLog.addScalar("step/learning_rate", configuration.train.learningRate, step: globalStep)
        }
        try runLog.addHistogram("rewards", values: report.rewards, step: report.epoch)
        try runLog.addHistogram("advantages", values: report.advantages, step: report.epoch)
        for task in report.tasks {
            try runLog.addHistogram("rewards/\(task.name)", values: task.rewards, step: report.epoch)
            try runLog.addHistogram("advantages/\(task.name)", values: task.advantages, step: report.epoch)
        }
        if let captions = report.imageCaptions {
            try runLog.addCaptionedImages("samples", report.images, captions: captions, columns: 4, step: report.epoch)
        } else {
            try runLog.addImages("samples", report.images, columns: 4, step: report.epoch)
        }
        try runLog.flush()
    }

    /// An evaluation's means as TensorBoard scalars (`Evaluation.scalars(task:)`) at the
    /// epochs trained; TensorBoard only: metrics.jsonl's lines are epochs and monitor
    /// checks, and the evaluation has its own JSON file.
    func log(_ evaluation: Evaluation, task: String?) throws {
        guard let runLog else { return }
        let scalars = evaluation.scalars(task: task)
        for tag in scalars.keys.sorted() { try runLog.addScalar(tag, scalars[tag]!, step: evaluation.epoch) }
        try runLog.flush()
    }

    /// A monitor reading is a line of its own at the epochs trained when measured
    /// (0 = before training), with only monitor/* values (the report tells them apart).
    func log(_ reading: MonitorReading) throws {
        guard let runLog else { return }
        try runLog.record(reading.scalars, step: globalStep, epoch: reading.epoch, tensorBoardStep: reading.epoch)
        try runLog.flush()
    }
}
