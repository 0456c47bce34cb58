import XCTest

@testable import DDPO

final class EnglishNounsTests: XCTestCase {
    func testIndefiniteArticles() {
        let cases = [
            "cat": "a cat", "ant": "an ant", "elephant": "an elephant", "owl": "an owl", "iguana": "an iguana",
            "hedgehog": "a hedgehog", "unicorn": "a unicorn", "ewe": "a ewe", "hour": "an hour",
            "umbrella": "an umbrella", "European bison": "a European bison", "one-eyed cat": "a one-eyed cat",
            "yak": "a yak"
        ]
        for (noun, expected) in cases {
            XCTAssertEqual(EnglishNouns.withIndefiniteArticle(noun), expected)
        }
    }

    func testPlurals() {
        let cases = [
            "cat": "cats", "fox": "foxes", "mouse": "mice", "goose": "geese", "sheep": "sheep", "deer": "deer",
            "fish": "fish", "wolf": "wolves", "butterfly": "butterflies", "fly": "flies", "monkey": "monkeys",
            "turkey": "turkeys", "kangaroo": "kangaroos", "potato": "potatoes", "finch": "finches",
            "polar bear": "polar bears", "field mouse": "field mice", "walrus": "walruses"
        ]
        for (noun, expected) in cases {
            XCTAssertEqual(EnglishNouns.plural(noun), expected)
        }
    }

    func testEverySimpleAnimalsPlural() {
        let plurals = [
            "cats", "dogs", "horses", "monkeys", "rabbits", "zebras", "spiders", "birds",
            "sheep", "deer", "cows", "goats", "lions", "tigers", "bears", "raccoons",
            "foxes", "wolves", "lizards", "beetles", "ants", "butterflies", "fish", "sharks",
            "whales", "dolphins", "squirrels", "mice", "rats", "snakes", "turtles", "frogs",
            "chickens", "ducks", "geese", "bees", "pigs", "turkeys", "flies", "llamas",
            "camels", "bats", "gorillas", "hedgehogs", "kangaroos"
        ]
        XCTAssertEqual(PromptSets.simpleAnimals.map(EnglishNouns.plural), plurals)
        XCTAssertEqual(
            PromptSets.simpleAnimals.map(EnglishNouns.indefiniteArticle).filter { $0 == "an" }.count, 1,
            "only 'ant' starts with a vowel sound")
    }

    func testNumberWords() {
        XCTAssertEqual(EnglishNouns.numberWord(1), "one")
        XCTAssertEqual(EnglishNouns.numberWord(3), "three")
        XCTAssertEqual(EnglishNouns.numberWord(10), "ten")
        XCTAssertEqual(EnglishNouns.numberWord(20), "twenty")
    }
}
