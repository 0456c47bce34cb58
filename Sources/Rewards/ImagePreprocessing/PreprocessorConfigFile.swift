import Foundation

/// transformers' `preprocessor_config.json` of a CLIP image processor. `size` and
/// `crop_size` are numbers in old files and dictionaries in new ones; both are read.
struct PreprocessorConfigFile: Decodable {
    var preprocessing: CLIPImagePreprocessing

    enum CodingKeys: String, CodingKey {
        case size, resample
        case cropSize = "crop_size"
        case rescaleFactor = "rescale_factor"
        case imageMean = "image_mean"
        case imageStd = "image_std"
        case doResize = "do_resize"
        case doCenterCrop = "do_center_crop"
        case doRescale = "do_rescale"
        case doNormalize = "do_normalize"
    }

    private struct SizeFields: Decodable {
        var shortestEdge: Int?
        var height: Int?
        var width: Int?
        enum CodingKeys: String, CodingKey {
            case height, width
            case shortestEdge = "shortest_edge"
        }
    }

    init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func fail(_ key: CodingKeys, _ message: String) -> DecodingError {
            DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: message)
        }
        for key in [CodingKeys.doResize, .doCenterCrop, .doRescale, .doNormalize] {
            if try container.decodeIfPresent(Bool.self, forKey: key) == false {
                throw fail(key, "false is not supported (the aesthetic reward implements CLIP's full preprocessing)")
            }
        }
        if let resample = try container.decodeIfPresent(Int.self, forKey: .resample), resample != 3 {
            throw fail(.resample, "\(resample) is not supported; only 3 (PIL bicubic), CLIP's filter, is implemented")
        }
        func size(_ key: CodingKeys) throws -> SizeFields? {
            guard container.contains(key) else { return nil }
            if let number = try? container.decode(Int.self, forKey: key) {
                return SizeFields(shortestEdge: number, height: number, width: number)
            }
            return try container.decode(SizeFields.self, forKey: key)
        }
        let resize = try size(.size)
        guard let shortestEdge = resize.map({ $0.shortestEdge }) ?? 224 else {
            throw fail(.size, "expected a number or {\"shortest_edge\": n} (CLIP resizes the shortest side)")
        }
        let crop = try size(.cropSize)
        let cropHeight = crop.map { $0.height } ?? shortestEdge
        let cropWidth = crop.map { $0.width } ?? shortestEdge
        guard let cropHeight, let cropWidth else {
            throw fail(.cropSize, "expected a number or {\"height\": h, \"width\": w}")
        }
        guard shortestEdge > 0 else { throw fail(.size, "must be positive, got \(shortestEdge)") }
        // The resized image's short side is shortestEdge; a larger crop would need padding.
        guard (1...shortestEdge).contains(cropHeight), (1...shortestEdge).contains(cropWidth) else {
            throw fail(
                .cropSize,
                "\(cropHeight)x\(cropWidth) must be positive and fit in the resized "
                    + "image (shortest side \(shortestEdge))")
        }
        let rescaleFactor = try container.decodeIfPresent(Double.self, forKey: .rescaleFactor) ?? 1.0 / 255
        let mean = try container.decodeIfPresent([Double].self, forKey: .imageMean) ?? CLIPImagePreprocessing.clipMean
        let std =
            try container.decodeIfPresent([Double].self, forKey: .imageStd)
            ?? CLIPImagePreprocessing.clipStandardDeviation
        guard mean.count == 3 else { throw fail(.imageMean, "expected 3 values (R, G, B), got \(mean.count)") }
        guard std.count == 3, std.allSatisfy({ $0 > 0 }) else {
            throw fail(.imageStd, "expected 3 positive values (R, G, B), got \(std)")
        }
        preprocessing = CLIPImagePreprocessing(
            shortestEdge: shortestEdge, cropHeight: cropHeight, cropWidth: cropWidth,
            rescaleFactor: rescaleFactor, mean: mean, standardDeviation: std)
    }
}
