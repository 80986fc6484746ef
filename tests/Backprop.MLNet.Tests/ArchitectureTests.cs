using System.Reflection;
using NetArchTest.Rules;

namespace Backprop.MLNet.Tests;

/// <summary>
/// The layering of the library, enforced on the compiled assembly (NetArchTest reads every type's references: fields,
/// signatures, method bodies, attributes) and on the source text. Arrows point one way: the public face (namespace
/// <c>Backprop.MLNet</c>) → the ML.NET adapter (<c>Backprop.MLNet.MLNet</c>) → the training loop
/// (<c>Backprop.MLNet.Training</c>) → the numeric engine (<c>Backprop.MLNet.Engine</c>). Only the public face and the
/// adapter may use ML.NET.
/// </summary>
/// <remarks>
/// One assembly with a test, rather than an engine assembly of its own without a Microsoft.ML reference: the package
/// stays one assembly (no second DLL to version, pack and load), the internals bridge stays in one place, and this
/// test fails the build's test step with the offending types named, which is what a separate assembly's compile
/// error would do.
/// </remarks>
public class ArchitectureTests
{
    private const string Root = "Backprop.MLNet";
    private const string Adapter = "Backprop.MLNet.MLNet";
    private const string Training = "Backprop.MLNet.Training";
    private const string Engine = "Backprop.MLNet.Engine";

    private static readonly Assembly Library = typeof(BackpropTrainer).Assembly;

    /// <summary>The full names of the top-level types of the public face (namespace exactly <c>Backprop.MLNet</c>).</summary>
    private static string[] PublicFace => Library.GetTypes()
        .Where(t => t.Namespace == Root && !t.IsNested)
        .Select(t => t.FullName!)
        .ToArray();

    [Fact]
    public void EngineDependsOnNeitherMLNetNorAnyLayerAboveIt()
    {
        TestResult result = Types.InAssembly(Library).That().ResideInNamespaceMatching(Within(Engine))
            .ShouldNot().HaveDependencyOnAny(["Microsoft.ML", Training + ".", Adapter + ".", .. PublicFace])
            .GetResult();
        AssertPassed(result, "Engine must use plain arrays and spans: no Microsoft.ML, Training, adapter or public-face type");
    }

    [Fact]
    public void TrainingDependsOnNeitherMLNetNorTheAdapterNorThePublicFace()
    {
        TestResult result = Types.InAssembly(Library).That().ResideInNamespaceMatching(Within(Training))
            .ShouldNot().HaveDependencyOnAny(["Microsoft.ML", Adapter + ".", .. PublicFace])
            .GetResult();
        AssertPassed(result, "Training knows the engine, not ML.NET, the adapter or the public face");
    }

    [Fact]
    public void EveryLayerHoldsTypesSoTheRulesAreNotVacuous()
    {
        Assert.NotEmpty(Types.InAssembly(Library).That().ResideInNamespaceMatching(Within(Engine)).GetTypes());
        Assert.NotEmpty(Types.InAssembly(Library).That().ResideInNamespaceMatching(Within(Training)).GetTypes());
        Assert.NotEmpty(Types.InAssembly(Library).That().ResideInNamespaceMatching(Within(Adapter)).GetTypes());
    }

    [Fact]
    public void EveryPublicTypeLivesAtTheRootAndEveryRootTypeIsPublic()
    {
        string[] publicElsewhere = Library.GetExportedTypes().Where(t => t.Namespace != Root).Select(t => t.FullName!).ToArray();
        Assert.True(publicElsewhere.Length == 0, "Public types outside the root namespace: " + string.Join(", ", publicElsewhere));

        string[] internalAtRoot = Library.GetTypes()
            .Where(t => t.Namespace == Root && !t.IsNested && !t.IsPublic && !t.Name.StartsWith('<'))
            .Select(t => t.FullName!)
            .ToArray();
        Assert.True(internalAtRoot.Length == 0,
            "Internal top-level types in the root namespace (the root is the public face; move them to MLNet/): " + string.Join(", ", internalAtRoot));
    }

    [Fact]
    public void NoSourceFileOfTheEngineOrTrainingMentionsMicrosoftML()
    {
        // The compiled check above misses a using directive that nothing uses yet; this one reads the text.
        string source = Path.Combine(RepositoryRoot(), "src", "Backprop.MLNet");
        var offenders = new List<string>();
        foreach (string folder in new[] { "Engine", "Training" })
        {
            foreach (string file in Directory.EnumerateFiles(Path.Combine(source, folder), "*.cs", SearchOption.AllDirectories))
            {
                if (File.ReadLines(file).Any(line => line.Contains("Microsoft.ML", StringComparison.Ordinal)))
                {
                    offenders.Add(Path.GetRelativePath(source, file));
                }
            }
        }

        Assert.True(offenders.Count == 0, "Engine/Training files that mention Microsoft.ML: " + string.Join(", ", offenders));
    }

    [Fact]
    public void NamespacesFollowFolders()
    {
        string source = Path.Combine(RepositoryRoot(), "src", "Backprop.MLNet");
        var wrong = new List<string>();
        foreach (string file in Directory.EnumerateFiles(source, "*.cs", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(source, file);
            if (relative.StartsWith("obj", StringComparison.Ordinal) || relative.StartsWith("bin", StringComparison.Ordinal))
            {
                continue;
            }

            string? declared = File.ReadLines(file).FirstOrDefault(l => l.StartsWith("namespace ", StringComparison.Ordinal))?[10..].TrimEnd(';', ' ');
            string folder = Path.GetDirectoryName(relative)!.Replace(Path.DirectorySeparatorChar, '.');
            string expected = folder.Length == 0 ? Root : $"{Root}.{folder}";
            if (declared is not null && !declared.StartsWith("System.", StringComparison.Ordinal) && declared != expected)
            {
                wrong.Add($"{relative} declares {declared}, expected {expected}");
            }
        }

        Assert.True(wrong.Count == 0, string.Join(Environment.NewLine, wrong));
    }

    /// <summary>A pattern for <paramref name="ns"/> and the namespaces under it (not <c>Backprop.MLNet.TrainingHistory</c>'s for <c>Backprop.MLNet.Training</c>).</summary>
    private static string Within(string ns) => "^" + ns.Replace(".", "\\.", StringComparison.Ordinal) + "(\\.|$)";

    private static void AssertPassed(TestResult result, string rule) =>
        Assert.True(result.IsSuccessful, $"{rule}. Offending types: {string.Join(", ", result.FailingTypeNames ?? [])}");

    /// <summary>The repository root: the nearest folder above the test binaries that holds Backprop.MLNet.sln.</summary>
    internal static string RepositoryRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Backprop.MLNet.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No Backprop.MLNet.sln above {AppContext.BaseDirectory}.");
    }
}
