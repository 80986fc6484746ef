namespace Backprop.MLNet.Engine.Lbfgs;

/// <summary>
/// A line search for a step α along a descent direction that satisfies the strong Wolfe conditions
/// φ(α) ≤ φ(0) + c₁·α·φ′(0) (sufficient decrease) and |φ′(α)| ≤ c₂·|φ′(0)| (curvature), by
/// bracketing and zooming (Nocedal and Wright, Numerical Optimization, algorithms 3.5 and 3.6) with
/// safeguarded cubic interpolation. A NaN or infinite φ(α) is treated as "too far" and shrinks the step.
/// </summary>
/// <remarks>Stateless apart from its constants: one instance may serve any number of searches. Allocates nothing.</remarks>
internal sealed class WolfeLineSearch
{
    /// <summary>A new trial step keeps at least this fraction of the bracket's width away from both of its ends.</summary>
    private const double BracketMargin = 0.1;

    /// <summary>When φ is not finite at the far end, the next trial is this fraction of the way from the near end.</summary>
    private const double NonFiniteShrink = 0.1;

    /// <summary>Each extrapolation grows the step by at least this factor of the previous increment …</summary>
    private const double MinimumExpansion = 1.1;

    /// <summary>… and by at most this factor.</summary>
    private const double MaximumExpansion = 4.0;

    /// <summary>A bracket narrower than this, relative to its step lengths, cannot be split meaningfully.</summary>
    private const double RelativeWidthTolerance = 1e-10;

    /// <summary>Creates a line search.</summary>
    /// <param name="sufficientDecrease">c₁ in (0, c₂); default 1e-4 (Nocedal and Wright's usual value; L-BFGS-B's own line search uses 1e-3).</param>
    /// <param name="curvature">c₂ in (c₁, 1); default 0.9, as L-BFGS-B's line search.</param>
    /// <param name="maximumEvaluations">Evaluations allowed per search (≥ 1); default 20, as in L-BFGS-B.</param>
    /// <param name="maximumStep">Largest step α tried (&gt; 0); default 1e10, as L-BFGS-B without bounds.</param>
    public WolfeLineSearch(double sufficientDecrease = 1e-4, double curvature = 0.9, int maximumEvaluations = 20, double maximumStep = 1e10)
    {
        if (!(sufficientDecrease > 0 && sufficientDecrease < curvature && curvature < 1))
        {
            throw new ArgumentOutOfRangeException(
                nameof(sufficientDecrease), sufficientDecrease, $"Need 0 < sufficientDecrease < curvature < 1 (curvature is {curvature}).");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(maximumEvaluations, 1);
        if (!(maximumStep > 0) || double.IsInfinity(maximumStep))
        {
            throw new ArgumentOutOfRangeException(nameof(maximumStep), maximumStep, "The maximum step must be finite and positive.");
        }

        SufficientDecrease = sufficientDecrease;
        Curvature = curvature;
        MaximumEvaluations = maximumEvaluations;
        MaximumStep = maximumStep;
    }

    /// <summary>c₁ of the sufficient-decrease condition.</summary>
    public double SufficientDecrease { get; }

    /// <summary>c₂ of the curvature condition.</summary>
    public double Curvature { get; }

    /// <summary>Evaluations allowed per search.</summary>
    public int MaximumEvaluations { get; }

    /// <summary>Largest step tried.</summary>
    public double MaximumStep { get; }

    /// <summary>
    /// Searches along the line for a strong-Wolfe step. On <see cref="LineSearchStatus.Converged"/> the
    /// accepted step is the last one passed to <paramref name="function"/>.
    /// </summary>
    /// <param name="function">φ; evaluated at most min(<see cref="MaximumEvaluations"/>, <paramref name="evaluationBudget"/>) times.</param>
    /// <param name="initialLoss">φ(0), finite.</param>
    /// <param name="initialSlope">φ′(0), negative (a descent direction).</param>
    /// <param name="initialStep">First trial step (&gt; 0); capped at <see cref="MaximumStep"/>.</param>
    /// <param name="evaluationBudget">Evaluations the caller can still afford.</param>
    /// <returns>The status, the step and φ, φ′ there, and the number of evaluations made.</returns>
    public LineSearchResult Search(ILineFunction function, double initialLoss, double initialSlope, double initialStep, int evaluationBudget)
    {
        ArgumentNullException.ThrowIfNull(function);
        if (!double.IsFinite(initialLoss) || !(initialSlope < 0) || !(initialStep > 0))
        {
            throw new ArgumentException(
                $"Need a finite initial loss, a negative initial slope and a positive step; got {initialLoss}, {initialSlope}, {initialStep}.");
        }

        var search = new Bracket(this, function, initialLoss, initialSlope, evaluationBudget);
        double previousStep = 0, previousLoss = initialLoss, previousSlope = initialSlope;
        double step = Math.Min(initialStep, MaximumStep);
        for (bool first = true; ; first = false)
        {
            if (search.OutOfEvaluations(out LineSearchStatus status))
            {
                return new LineSearchResult(status, previousStep, previousLoss, previousSlope, search.Evaluations);
            }

            double loss = search.Evaluate(step, out double slope);
            if (!IsFinite(loss, slope) || !search.DecreasesEnough(step, loss) || (!first && loss >= previousLoss))
            {
                return search.Zoom(previousStep, previousLoss, previousSlope, step, loss, slope);
            }

            if (search.CurvatureHolds(slope))
            {
                return new LineSearchResult(LineSearchStatus.Converged, step, loss, slope, search.Evaluations);
            }

            if (slope >= 0)
            {
                return search.Zoom(step, loss, slope, previousStep, previousLoss, previousSlope);
            }

            if (step >= MaximumStep)
            {
                return new LineSearchResult(LineSearchStatus.Failed, step, loss, slope, search.Evaluations);
            }

            double increment = step - previousStep;
            double next = Math.Clamp(
                CubicMinimizer(previousStep, previousLoss, previousSlope, step, loss, slope),
                step + (MinimumExpansion * increment),
                step + (MaximumExpansion * increment));
            if (double.IsNaN(next))
            {
                next = step + (MaximumExpansion * increment);
            }

            previousStep = step;
            previousLoss = loss;
            previousSlope = slope;
            step = Math.Min(next, MaximumStep);
        }
    }

    /// <summary>True when both φ and φ′ are finite.</summary>
    private static bool IsFinite(double loss, double slope) => double.IsFinite(loss) && double.IsFinite(slope);

    /// <summary>
    /// The minimiser of the cubic through (a, fa) and (b, fb) with slopes da and db (Nocedal and Wright, eq. 3.59):
    /// d₁ = da + db − 3·(fa − fb)/(a − b), d₂ = sign(b − a)·√(d₁² − da·db), x = b − (b − a)·(db + d₂ − d₁)/(db − da + 2·d₂).
    /// NaN when the cubic has no minimiser.
    /// </summary>
    private static double CubicMinimizer(double a, double fa, double da, double b, double fb, double db)
    {
        double d1 = da + db - (3 * (fa - fb) / (a - b));
        double discriminant = (d1 * d1) - (da * db);
        if (!(discriminant >= 0))
        {
            return double.NaN;
        }

        double d2 = Math.Sign(b - a) * Math.Sqrt(discriminant);
        double denominator = db - da + (2 * d2);
        return denominator == 0 ? double.NaN : b - ((b - a) * (db + d2 - d1) / denominator);
    }

    /// <summary>
    /// The minimiser of the quadratic through (a, fa) with slope da and through (b, fb):
    /// x = a − da·(b − a)² / (2·(fb − fa − da·(b − a))). NaN when that quadratic has no minimiser.
    /// </summary>
    private static double QuadraticMinimizer(double a, double fa, double da, double b, double fb)
    {
        double width = b - a;
        double curvature = fb - fa - (da * width);
        return curvature > 0 ? a - (da * width * width / (2 * curvature)) : double.NaN;
    }

    /// <summary>
    /// The next trial inside the bracket [lo, hi] (either order): the cubic minimiser when both ends
    /// are finite, else the quadratic one, else bisection — kept <see cref="BracketMargin"/> of the
    /// width away from both ends. When φ(hi) is not finite, a point close to lo.
    /// </summary>
    private static double Interpolate(double lo, double loLoss, double loSlope, double hi, double hiLoss, double hiSlope)
    {
        double width = hi - lo;
        if (!double.IsFinite(hiLoss))
        {
            return lo + (NonFiniteShrink * width);
        }

        double trial = double.IsFinite(hiSlope) ? CubicMinimizer(lo, loLoss, loSlope, hi, hiLoss, hiSlope) : double.NaN;
        if (!double.IsFinite(trial))
        {
            trial = QuadraticMinimizer(lo, loLoss, loSlope, hi, hiLoss);
        }

        if (!double.IsFinite(trial))
        {
            trial = lo + (0.5 * width);
        }

        double margin = BracketMargin * Math.Abs(width);
        return Math.Clamp(trial, Math.Min(lo, hi) + margin, Math.Max(lo, hi) - margin);
    }

    /// <summary>The state of one search: the function, φ(0), φ′(0) and the evaluation count.</summary>
    private struct Bracket
    {
        private readonly WolfeLineSearch _owner;
        private readonly ILineFunction _function;
        private readonly double _initialLoss;
        private readonly double _initialSlope;
        private readonly int _budget;

        /// <summary>Starts a search.</summary>
        /// <param name="owner">The line search whose constants apply.</param>
        /// <param name="function">φ.</param>
        /// <param name="initialLoss">φ(0).</param>
        /// <param name="initialSlope">φ′(0).</param>
        /// <param name="budget">Evaluations the caller can still afford.</param>
        public Bracket(WolfeLineSearch owner, ILineFunction function, double initialLoss, double initialSlope, int budget)
        {
            _owner = owner;
            _function = function;
            _initialLoss = initialLoss;
            _initialSlope = initialSlope;
            _budget = budget;
            Evaluations = 0;
        }

        /// <summary>Evaluations made so far.</summary>
        public int Evaluations { get; private set; }

        /// <summary>True (with the status to report) when no further evaluation is allowed.</summary>
        public readonly bool OutOfEvaluations(out LineSearchStatus status)
        {
            status = Evaluations >= _budget ? LineSearchStatus.EvaluationLimit : LineSearchStatus.Failed;
            return Evaluations >= _budget || Evaluations >= _owner.MaximumEvaluations;
        }

        /// <summary>Evaluates φ and φ′ at <paramref name="step"/> and counts the evaluation.</summary>
        public double Evaluate(double step, out double slope)
        {
            Evaluations++;
            return _function.Evaluate(step, out slope);
        }

        /// <summary>The sufficient-decrease (Armijo) condition φ(α) ≤ φ(0) + c₁·α·φ′(0).</summary>
        public readonly bool DecreasesEnough(double step, double loss) =>
            loss <= _initialLoss + (_owner.SufficientDecrease * step * _initialSlope);

        /// <summary>The strong curvature condition |φ′(α)| ≤ c₂·|φ′(0)|.</summary>
        public readonly bool CurvatureHolds(double slope) => Math.Abs(slope) <= -_owner.Curvature * _initialSlope;

        /// <summary>
        /// Zoom (Nocedal and Wright, algorithm 3.6): lo satisfies sufficient decrease and has the lowest φ
        /// seen, and the bracket between lo and hi contains a strong-Wolfe step.
        /// </summary>
        public LineSearchResult Zoom(double lo, double loLoss, double loSlope, double hi, double hiLoss, double hiSlope)
        {
            if (!IsFinite(hiLoss, hiSlope))
            {
                hiLoss = double.PositiveInfinity;
                hiSlope = double.NaN;
            }

            while (true)
            {
                if (OutOfEvaluations(out LineSearchStatus status))
                {
                    return new LineSearchResult(status, lo, loLoss, loSlope, Evaluations);
                }

                if (Math.Abs(hi - lo) <= RelativeWidthTolerance * Math.Max(Math.Abs(lo), Math.Abs(hi)))
                {
                    return new LineSearchResult(LineSearchStatus.Failed, lo, loLoss, loSlope, Evaluations);
                }

                double step = Interpolate(lo, loLoss, loSlope, hi, hiLoss, hiSlope);
                double loss = Evaluate(step, out double slope);
                if (!IsFinite(loss, slope) || !DecreasesEnough(step, loss) || loss >= loLoss)
                {
                    hi = step;
                    (hiLoss, hiSlope) = IsFinite(loss, slope) ? (loss, slope) : (double.PositiveInfinity, double.NaN);
                    continue;
                }

                if (CurvatureHolds(slope))
                {
                    return new LineSearchResult(LineSearchStatus.Converged, step, loss, slope, Evaluations);
                }

                if (slope * (hi - lo) >= 0)
                {
                    (hi, hiLoss, hiSlope) = (lo, loLoss, loSlope);
                }

                (lo, loLoss, loSlope) = (step, loss, slope);
            }
        }
    }
}
