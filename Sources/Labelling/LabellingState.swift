import DDPO

/// What `GET /api/state` answers: the newest published epoch's pairs with the answers
/// given so far, or `epoch: null` and no pairs while the run has published none.
/// Every key is always there (null when it has no value), so the page reads one shape.
struct LabellingState: Encodable, Equatable {
    struct Pair: Encodable, Equatable {
        var id: Int
        var prompt: String
        /// The images' paths on this server, first then second, without the token
        /// (the page adds it to every request it makes).
        var images: [String]
        var choice: PairChoice?

        func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(prompt, forKey: .prompt)
            try container.encode(images, forKey: .images)
            try container.encode(choice, forKey: .choice)
        }

        private enum CodingKeys: String, CodingKey { case id, prompt, images, choice }
    }

    /// The run folder's name, for the page's title.
    var run: String
    var epoch: Int?
    var task: String?
    /// Answers (skip included) the run waits for before it trains.
    var required: Int
    /// Pairs of the epoch with an answer.
    var answered: Int
    var pairs: [Pair]

    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(run, forKey: .run)
        try container.encode(epoch, forKey: .epoch)
        try container.encode(task, forKey: .task)
        try container.encode(required, forKey: .required)
        try container.encode(answered, forKey: .answered)
        try container.encode(pairs, forKey: .pairs)
    }

    private enum CodingKeys: String, CodingKey { case run, epoch, task, required, answered, pairs }
}

/// What `POST /api/label` answers when it recorded a label.
struct LabelAnswer: Encodable, Equatable {
    var answered: Int
    var required: Int
    var pairs: Int
}

/// A request the server refuses, with the HTTP status and the message it answers.
struct LabellingRefusal: Error, Equatable {
    var status: Int
    var message: String
}
