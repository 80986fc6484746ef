namespace Backprop.MLNet.Benchmarks;

/// <summary>The fixed English words of the synthetic reviews (<see cref="SyntheticReviews"/>).</summary>
internal static class ReviewLexicon
{
    /// <summary>Words that praise.</summary>
    public static readonly string[] Positive =
    [
        "good", "great", "excellent", "amazing", "perfect", "nice", "solid", "reliable", "sturdy", "comfortable",
        "fantastic", "impressive", "smooth", "quiet", "fast", "durable", "sleek", "handy", "brilliant", "decent",
    ];

    /// <summary>Words that complain.</summary>
    public static readonly string[] Negative =
    [
        "bad", "poor", "terrible", "awful", "cheap", "flimsy", "broken", "useless", "disappointing", "slow",
        "noisy", "horrible", "faulty", "weak", "defective", "fragile", "overpriced", "clunky", "mediocre", "loose",
    ];

    /// <summary>Whole clauses that praise (not negated).</summary>
    public static readonly string[] PositiveClauses =
    [
        "i love it", "would buy again", "highly recommend", "worth every penny", "works like a charm", "my kids love it",
        "five stars", "exceeded my expectations",
    ];

    /// <summary>Whole clauses that complain (not negated).</summary>
    public static readonly string[] NegativeClauses =
    [
        "i returned it", "waste of money", "stopped working", "do not buy", "fell apart", "asked for a refund",
        "one star", "never again",
    ];

    /// <summary>Words put before a sentiment word to turn it around.</summary>
    public static readonly string[] Negations = ["not", "not very", "never", "hardly", "not at all"];

    /// <summary>Words put before a sentiment word to stress it.</summary>
    public static readonly string[] Intensifiers = ["very", "really", "so", "quite", "extremely", "pretty"];

    /// <summary>What a sentiment phrase is about.</summary>
    public static readonly string[] Aspects =
    [
        "battery", "sound", "quality", "price", "screen", "build", "design", "handle", "cable", "motor", "fabric",
        "color", "size", "fit", "delivery", "packaging", "instructions", "support", "lid", "button", "strap", "app",
    ];

    /// <summary>Kinds of product.</summary>
    public static readonly string[] ProductTypes =
    [
        "blender", "kettle", "headphones", "charger", "vacuum", "lamp", "backpack", "mouse", "keyboard", "monitor",
        "toaster", "speaker", "camera", "drill", "mattress", "chair", "jacket", "watch", "router", "printer", "fan",
        "heater", "grill", "tent", "stroller", "scooter", "tablet", "mixer", "razor", "pillow",
    ];

    /// <summary>Who the product was for.</summary>
    public static readonly string[] People = ["wife", "husband", "son", "daughter", "mom", "dad", "friend", "office", "kitchen", "car"];

    /// <summary>Verbs for "it ... good".</summary>
    public static readonly string[] LinkingVerbs = ["is", "was", "looks", "feels", "seems", "works", "sounds"];

    /// <summary>Function words that glue the filler clauses together.</summary>
    public static readonly string[] Glue =
        ["the", "a", "and", "with", "for", "it", "my", "this", "was", "to", "of", "in", "on", "but", "so", "after", "when", "than"];
}
