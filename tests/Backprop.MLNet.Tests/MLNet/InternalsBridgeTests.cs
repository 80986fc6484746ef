using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;

namespace Backprop.MLNet.Tests.MLNet;

/// <summary>
/// The ML.NET internals the library relies on (see src/Backprop.MLNet/MLNet/IgnoresAccessChecksTo.cs). If an
/// ML.NET update moves one, this test names it, instead of a MissingMethodException deep inside training.
/// </summary>
public class InternalsBridgeTests
{
    private const BindingFlags All = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static;

    public static TheoryData<string, string, string> UsedInternals => new()
    {
        // type (assembly-qualified by a public neighbour), member, what for
        { "Microsoft.ML.Trainers.TrainerEstimatorBase`2", "TrainModelCore", "training entry point" },
        { "Microsoft.ML.Trainers.TrainerEstimatorBase`2", "MakeTransformer", "building the transformer" },
        { "Microsoft.ML.Trainers.TrainerEstimatorBase`2", "GetOutputColumnsCore", "schema propagation" },
        { "Microsoft.ML.Trainers.TrainerEstimatorBase`2", "CheckLabelCompatible", "label checks" },
        { "Microsoft.ML.Trainers.TrainerEstimatorBase`2", "TrainTransformer", "Fit with validation / initial model" },
        { "Microsoft.ML.Trainers.ModelParametersBase`1", "SaveCore", "saving the network" },
        { "Microsoft.ML.Trainers.ModelParametersBase`1", "PredictionKind", "task of the model" },
        { "Microsoft.ML.Data.SingleFeaturePredictionTransformerBase`1", "SaveCore", "saving the transformer" },
        { "Microsoft.ML.Data.SingleFeaturePredictionTransformerBase`1", "GetGenericScorer", "regression scorer" },
        { "Microsoft.ML.Data.PredictionTransformerBase`1", "BindableMapper", "binary scorer binding" },
        { "Microsoft.ML.Data.PredictionTransformerBase`1", "Scorer", "scorer of each task" },
        { "Microsoft.ML.Data.SchemaBindableBinaryPredictorWrapper", ".ctor", "Score + Probability" },
        { "Microsoft.ML.Data.BinaryClassifierScorer", ".ctor", "binary output columns" },
        { "Microsoft.ML.Data.MulticlassClassificationScorer", ".ctor", "multiclass output columns" },
        { "Microsoft.ML.ModelLoadContext", "CheckAtModel", "version checks on load" },
        { "Microsoft.ML.ModelSaveContext", "SetVersionInfo", "version stamp on save" },
        { "Microsoft.ML.MLContext", "CancelExecution", "cancellation" },
        { "Microsoft.ML.Data.CatalogUtils", "GetEnvironment", "catalog extensions" },
        { "Microsoft.ML.LoadableClassAttribute", ".ctor", "model loading by signature" },
        { "Microsoft.ML.Model.OnnxConverter.ISingleCanSaveOnnx", "SaveAsOnnx", "ONNX export (multiclass, regression)" },
        { "Microsoft.ML.Model.OnnxConverter.IDistCanSaveOnnx", "SaveAsOnnx", "ONNX export (binary)" },
        { "Microsoft.ML.Model.OnnxConverter.OnnxContext", "AddInitializer", "ONNX weights" },
        { "Microsoft.ML.Model.OnnxConverter.OnnxContext", "CreateNode", "ONNX operators" },
        { "Microsoft.ML.Model.OnnxConverter.OnnxContext", "AddIntermediateVariable", "ONNX intermediate values" },
        { "Microsoft.ML.Model.OnnxConverter.OnnxNode", "AddAttribute", "ONNX operator attributes" },
    };

    [Theory]
    [MemberData(nameof(UsedInternals))]
    public void InternalStillExists(string typeName, string member, string purpose)
    {
        Type? type = new[] { typeof(MLContext).Assembly, typeof(ModelParametersBase<>).Assembly, typeof(TransformerChain<>).Assembly, typeof(Microsoft.ML.Runtime.IHostEnvironment).Assembly }
            .Select(a => a.GetType(typeName)).FirstOrDefault(t => t is not null);
        Assert.True(type is not null, $"ML.NET type {typeName} ({purpose}) is gone: re-verify the internals bridge for this Microsoft.ML version.");
        bool found = member == ".ctor" ? type!.GetConstructors(All).Length > 0 : type!.GetMember(member, All).Length > 0;
        Assert.True(found, $"ML.NET member {typeName}.{member} ({purpose}) is gone: re-verify the internals bridge for this Microsoft.ML version.");
    }

    [Fact]
    public void TheLibraryDeclaresIgnoresAccessChecksToForEachPublicizedAssembly()
    {
        string[] declared = typeof(BackpropTrainer).Assembly.GetCustomAttributes()
            .Where(a => a.GetType().Name == "IgnoresAccessChecksToAttribute")
            .Select(a => (string)a.GetType().GetProperty("AssemblyName")!.GetValue(a)!)
            .Order().ToArray();
        Assert.Equal(["Microsoft.ML.Core", "Microsoft.ML.Data", "Microsoft.ML.StandardTrainers"], declared);
    }

    [Fact]
    public void TheLibraryRunsAgainstTheMLNetVersionItWasBuiltFor()
    {
        AssemblyName reference = typeof(BackpropTrainer).Assembly.GetReferencedAssemblies().Single(a => a.Name == "Microsoft.ML.Data");
        Assert.Equal(reference.Version, typeof(TransformerChain<>).Assembly.GetName().Version);
    }
}
