import RunLogging

extension Trainer {
    /// An epoch's metrics: one line of metrics.jsonl and the TensorBoard scalars at the
    /// epoch; each optimizer step's figures at the global step it ended on; the
    /// rewards' and advantages' histograms (per task too); a grid of the samples. Only
    /// rank 0 of a data-parallel run logs.
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
        try runLog.addImages("samples", report.images, columns: 4, step: report.epoch)
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
