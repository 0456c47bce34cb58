/// The CLIP-based rewards: the same computation (the text and image
/// embeddings of a CLIPModel, L2-normalised, compared per image with its own
/// prompt) with each model's own scale and image preprocessing.
public enum CLIPPreferenceKind: String, CaseIterable, Sendable {
    /// PickScore (Kirstain et al. 2023): exp(logit_scale) · cos, with
    /// CLIPImageProcessor's preprocessing (shortest side, centre crop). About 18–24
    /// for ordinary images with PickScore_v1, whose logit scale is 100.
    case pickScore = "pickscore"
    /// CLIP score: the plain cosine of prompt and image embeddings, −1...1, with
    /// CLIPImageProcessor's preprocessing. (torchmetrics' CLIPScore reports
    /// 100 · max(cos, 0) of the same model.)
    case clipScore = "clip_score"
    /// HPS v2 / v2.1 (Wu et al. 2023): the cosine without any scale, with
    /// OpenCLIP's longest-side preprocessing; about 0.2–0.3 for ordinary images.
    case hpsv2

    /// The model's description in error messages.
    var modelDescription: String {
        switch self {
        case .pickScore: return "PickScore's CLIPModel folder (yuvalkirstain/PickScore_v1)"
        case .clipScore: return "a transformers CLIPModel folder (e.g. openai/clip-vit-large-patch14)"
        case .hpsv2: return "the folder scripts/convert_hpsv2.py wrote from an HPS v2 checkpoint"
        }
    }

    public var unit: String {
        switch self {
        case .pickScore: return "PickScore"
        case .clipScore: return "CLIP cosine similarity"
        case .hpsv2: return "HPS v2 score"
        }
    }
}
