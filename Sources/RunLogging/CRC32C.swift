import Files

/// CRC-32C (Castagnoli), the checksum TFRecord framing uses: it lives in `Files`
/// (`Files.CRC32C`), which checkpoints' manifests use too; this name keeps
/// RunLogging's users (and their tests) as they were.
typealias CRC32C = Files.CRC32C
