"""A stand-in captioner for the tiny shapes world (Sources/ShapesWorld).

It answers any question about a 64x64 shapes-world image with the world's own
caption form, "two red circles on a white background", read from the pixels:

- background: the commonest pixel colour, snapped to the nearest of the world's
  four backgrounds;
- shape colour: among the pixels that are far from the background, the
  commonest of the six shape colours (nearest colour in RGB);
- count: the 4-connected components of pixels of that colour, ignoring specks
  smaller than MIN_PIXELS (a sampled image is noisy; a rendered one has none);
- kind: how much of its bounding box a component fills. The world's shapes
  (ShapeRasterizer.swift) fill about 1.0 (square, axis-aligned), 0.79 (circle,
  pi/4), 0.5 (triangle) and 0.38 (five-pointed star, inner radius 0.45 r); but
  at the world's small radii (4-10 px) pixelisation blurs the last two (both
  0.45-0.6), so triangle and star are told apart by where the mass sits instead:
  an apex-up triangle's centroid is 2/3 of the way down its box (measured
  0.62-0.66 from 4 px up), a star's near the middle (1/1.81 = 0.55; measured
  0.49-0.56).

It exists so that the VLM reward modes of reward_server.py can run end to end on
CPU without a real vision-language model: it plays LLaVA's part, and a text
model then compares its answer with the prompt. It is a heuristic, not the
Swift recogniser; on an image that is not of the shapes world it still answers
with some caption of the world. Usage from the server:

    --captioner shapes            (built in)
    --captioner scripts/shapes_captioner.py

The colours below must match WorldVocabulary.swift.
"""

SHAPE_COLOURS = {
    "red": (220, 30, 30),
    "green": (30, 170, 50),
    "blue": (30, 60, 220),
    "yellow": (245, 215, 20),
    "purple": (140, 40, 170),
    "orange": (250, 130, 10),
}
BACKGROUNDS = {
    "white": (255, 255, 255),
    "black": (0, 0, 0),
    "gray": (128, 128, 128),
    "light blue": (165, 205, 245),
}
NUMBER_WORDS = {1: "one", 2: "two", 3: "three"}
# Components smaller than this are noise, not shapes: the world's smallest shape
# (a star of radius 4 px) covers about 20 px.
MIN_PIXELS = 12


def _nearest(colour, table):
    return min(table, key=lambda name: sum((a - b) ** 2 for a, b in zip(colour, table[name])))


def _distance2(a, b):
    return sum((x - y) ** 2 for x, y in zip(a, b))


def _kind(fill, centroid):
    """`fill`: the share of the bounding box covered; `centroid`: the mean row's
    position down the box, 0 (top) to 1 (bottom). Thresholds half-way between the
    kinds' measured ranges (module docstring)."""
    if fill >= 0.89:
        return "square"
    if fill >= 0.7:
        return "circle"
    return "triangle" if centroid >= 0.59 else "star"


def describe(image):
    """(kind, colour, count, background) of a PIL image (any size; read as RGB)."""
    image = image.convert("RGB")
    width, height = image.size
    pixels = list(image.getdata())
    counts = {}
    for pixel in pixels:
        counts[pixel] = counts.get(pixel, 0) + 1
    background = _nearest(max(counts, key=counts.get), BACKGROUNDS)
    reference = BACKGROUNDS[background]

    # A pixel belongs to a shape when it is nearer some shape colour than the background.
    labels = []
    for pixel in pixels:
        colour = _nearest(pixel, SHAPE_COLOURS)
        labels.append(colour if _distance2(pixel, SHAPE_COLOURS[colour]) < _distance2(pixel, reference) else None)
    tally = {}
    for label in labels:
        if label is not None:
            tally[label] = tally.get(label, 0) + 1
    if not tally:
        # Nothing but background: still a caption of the world, with the least
        # confident guess; the text model then scores it low against most prompts.
        return "circle", "red", 1, background
    colour = max(tally, key=tally.get)

    # 4-connected components of the chosen colour, with their bounding boxes.
    seen = [False] * len(pixels)
    components = []
    for start in range(len(pixels)):
        if seen[start] or labels[start] != colour:
            continue
        stack, size, row_sum = [start], 0, 0
        seen[start] = True
        x0 = x1 = start % width
        y0 = y1 = start // width
        while stack:
            index = stack.pop()
            size += 1
            x, y = index % width, index // width
            row_sum += y
            x0, x1, y0, y1 = min(x0, x), max(x1, x), min(y0, y), max(y1, y)
            for nx, ny in ((x - 1, y), (x + 1, y), (x, y - 1), (x, y + 1)):
                if 0 <= nx < width and 0 <= ny < height:
                    other = ny * width + nx
                    if not seen[other] and labels[other] == colour:
                        seen[other] = True
                        stack.append(other)
        if size >= MIN_PIXELS:
            fill = size / ((x1 - x0 + 1) * (y1 - y0 + 1))
            centroid = (row_sum / size - y0 + 0.5) / (y1 - y0 + 1)  # pixel centres
            components.append((fill, centroid))
    if not components:
        return "circle", colour, 1, background
    # The kind most components agree on (a sampled image may deform one of them).
    kinds = [_kind(fill, centroid) for fill, centroid in components]
    kind = max(set(kinds), key=kinds.count)
    return kind, colour, min(len(components), 3), background


def caption_of(kind, colour, count, background):
    """The world's caption (ShapesScene.Description.caption)."""
    if count == 1:
        article = "an" if colour == "orange" else "a"
        shapes = f"{article} {colour} {kind}"
    else:
        shapes = f"{NUMBER_WORDS[count]} {colour} {kind}s"
    return f"{shapes} on a {background} background"


def caption(images, question):
    """The captioner interface of reward_server.py: PIL images and a question (ignored:
    this captioner only ever describes the scene) to one answer per image."""
    return [caption_of(*describe(image)) for image in images]
