/// The held-out rewards a run's monitors measured, kept in its checkpoints so that
/// an early stop survives a resume (a resumed run re-measures only the epochs after
/// its checkpoint). Checkpoints written before monitors existed have none.
public struct MonitorHistory: Codable, Equatable, Sendable {
    public struct Entry: Codable, Equatable, Sendable {
        public var epoch: Int
        /// nil for a non-finite value (JSON has no NaN; the stop rule skips them anyway).
        public var heldOutReward: Double?
    }

    /// By epoch, one entry each.
    public private(set) var entries: [Entry] = []

    public init() {}

    /// Records a reading, replacing one of the same epoch and dropping later ones.
    public mutating func record(_ reading: MonitorReading) {
        entries.removeAll { $0.epoch >= reading.epoch }
        entries.append(
            Entry(
                epoch: reading.epoch,
                heldOutReward: reading.heldOutReward.isFinite ? reading.heldOutReward : nil))
    }

    /// The held-out rewards in epoch order, NaN where none was finite.
    public var heldOutRewards: [Double] { entries.map { $0.heldOutReward ?? .nan } }
}
