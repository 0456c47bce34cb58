import Yams

/// A list of strings that Yams' encoder writes in one piece. Its encoder appends
/// to a sequence by copying it, which is quadratic: a `fixed` prompt set of 500,000
/// prompts took minutes to write into config.yaml. As a `YAMLEncodable` the list is
/// boxed into its node at once, each string exactly as the encoder would box it;
/// other encoders see a plain list.
struct YAMLStringList: YAMLEncodable {
    var values: [String]

    func box() -> Node {
        .sequence(Node.Sequence(values.map { $0.box() }))
    }

    func encode(to encoder: Encoder) throws {
        var container = encoder.unkeyedContainer()
        for value in values { try container.encode(value) }
    }
}
