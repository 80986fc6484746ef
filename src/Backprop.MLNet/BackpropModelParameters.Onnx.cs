using Backprop.MLNet.Engine;
using Backprop.MLNet.Engine.Activations;
using Backprop.MLNet.MLNet.Scoring;
using Microsoft.ML.Data;
using Microsoft.ML.Model.OnnxConverter;
using Microsoft.ML.Runtime;

namespace Backprop.MLNet;

/// <summary>
/// ONNX export: <c>mlContext.Model.ConvertToOnnx</c> (package Microsoft.ML.OnnxConverter) asks each scorer of the
/// pipeline to write itself into an <see cref="OnnxContext"/>; ML.NET's scorers ask their predictor, through
/// <see cref="ISingleCanSaveOnnx"/> (multiclass, regression: this class), the binary face <see cref="BinaryView"/> or the
/// multilabel mapper <see cref="MultilabelMapper"/>.
/// </summary>
/// <remarks>
/// The graph uses standard ONNX operators only (all in opset 9, the oldest ML.NET writes), with the weights as
/// initializers. For each weight layer l, <c>Gemm(a, W_l, b_l, transB = 1)</c> computes z = a·W_lᵀ + b_l from the
/// row-major [outputs × inputs] weights as stored, followed on hidden layers by the activation (Relu, Sigmoid, Tanh,
/// LeakyRelu with alpha 0.01; nothing for Identity). The output layer then gives, per task:
/// <list type="bullet">
/// <item>binary: Score = z (the logit), Probability = Sigmoid(z); the scorer adds PredictedLabel = Score &gt; 0;</item>
/// <item>multiclass: Score = Softmax(z), PredictedLabel = Cast&lt;uint32&gt;(ArgMax(Score) + 1), the label's key;</item>
/// <item>regression: Score = z, or z·sd + mean (Mul, Add) when the label was standardised; a vector for several targets;</item>
/// <item>multilabel: Score = z (the K logits), Probability = Sigmoid(z), PredictedLabel = Greater(z, 0), a Boolean per
/// label, the rule ML.NET's side applies (through <see cref="MultilabelMapper"/>, ML.NET's generic scorer).</item>
/// </list>
/// </remarks>
public sealed partial class BackpropModelParameters : ISingleCanSaveOnnx
{
    /// <summary>The oldest opset with every operator used here (Gemm with a broadcast bias needs 9).</summary>
    private const int MinimumOnnxOpSet = 9;

    /// <summary>The domain of the standard ONNX operators (ML.NET's context defaults to ai.onnx.ml when none is given).</summary>
    private const string StandardDomain = "";

    bool ICanSaveOnnx.CanSaveOnnx(OnnxContext ctx) => true;

    /// <summary>Writes the network for ML.NET's multiclass scorer ([PredictedLabel, Score]) or generic scorer ([Score]).</summary>
    bool ISingleCanSaveOnnx.SaveAsOnnx(OnnxContext ctx, string[] outputNames, string featureColumn)
    {
        Host.CheckValue(ctx, nameof(ctx));
        Host.CheckValue(outputNames, nameof(outputNames));
        Host.CheckNonEmpty(featureColumn, nameof(featureColumn));
        switch (Task)
        {
            case BackpropTask.MulticlassClassification:
                {
                    Host.Check(outputNames.Length == 2, "The multiclass scorer asks for PredictedLabel and Score.");
                    string logits = SaveLayersAsOnnx(ctx, featureColumn, output: null);
                    string score = outputNames[1];
                    ctx.CreateNode("Softmax", logits, score, ctx.GetNodeName("Softmax"), StandardDomain).AddAttribute("axis", 1L);

                    // The key of class k (0-based) is k + 1; ML.NET's PredictedLabel is that key as a UInt32.
                    string index = ctx.AddIntermediateVariable(NumberDataViewType.Int64, "BackpropClassIndex");
                    var argMax = ctx.CreateNode("ArgMax", score, index, ctx.GetNodeName("ArgMax"), StandardDomain);
                    argMax.AddAttribute("axis", 1L);
                    argMax.AddAttribute("keepdims", 1L);
                    string key = ctx.AddIntermediateVariable(NumberDataViewType.Int64, "BackpropClassKey");
                    ctx.CreateNode("Add", [index, ctx.AddInitializer(1L, "BackpropOne")], [key], ctx.GetNodeName("Add"), StandardDomain);
                    ctx.CreateNode("Cast", key, outputNames[0], ctx.GetNodeName("Cast"), StandardDomain).AddAttribute("to", typeof(uint));
                    return true;
                }

            case BackpropTask.Regression:
                {
                    Host.Check(outputNames.Length == 1, "The regression scorer asks for Score only.");
                    if (Scaling is null)
                    {
                        SaveLayersAsOnnx(ctx, featureColumn, outputNames[0]);
                        return true;
                    }

                    // y = z·sd + mean, per target, as RowScorer computes it (float multiply, then float add).
                    string z = SaveLayersAsOnnx(ctx, featureColumn, output: null);
                    long[] dims = [OutputSize];
                    string scaled = ctx.AddIntermediateVariable(_outputType, "BackpropScaledScore");
                    ctx.CreateNode("Mul", [z, ctx.AddInitializer(Scaling.StandardDeviation, dims, "BackpropLabelSd")], [scaled], ctx.GetNodeName("Mul"), StandardDomain);
                    ctx.CreateNode("Add", [scaled, ctx.AddInitializer(Scaling.Mean, dims, "BackpropLabelMean")], [outputNames[0]], ctx.GetNodeName("Add"), StandardDomain);
                    return true;
                }

            default:
                // A binary model is scored through BinaryView (Score and Probability) and a multilabel one through MultilabelMapper
                // (Score, Probability, PredictedLabel), never as a single-output mapper.
                throw Host.Except($"A {Task} Backprop model is exported to ONNX through its own scorer, not as a single-output mapper.");
        }
    }

    /// <summary>Writes the network for ML.NET's binary scorer: outputNames are [PredictedLabel, Score, Probability].</summary>
    internal bool SaveBinaryAsOnnx(OnnxContext ctx, string[] outputNames, string featureColumn)
    {
        Host.CheckValue(ctx, nameof(ctx));
        Host.CheckValue(outputNames, nameof(outputNames));
        Host.CheckNonEmpty(featureColumn, nameof(featureColumn));
        Host.Check(Task == BackpropTask.BinaryClassification && outputNames.Length == 3,
            "The binary scorer asks a binary model for PredictedLabel, Score and Probability.");

        // Score is the output unit's logit z, Probability its sigmoid; the scorer itself adds PredictedLabel = (Score > 0).
        string score = SaveLayersAsOnnx(ctx, featureColumn, outputNames[1]);
        ctx.CreateNode("Sigmoid", score, outputNames[2], ctx.GetNodeName("Sigmoid"), StandardDomain);
        return true;
    }

    /// <summary>Writes the network for <see cref="MultilabelMapper"/>: outputNames are [Score, Probability, PredictedLabel].</summary>
    internal bool SaveMultilabelAsOnnx(OnnxContext ctx, string[] outputNames, string featureColumn)
    {
        Host.CheckValue(ctx, nameof(ctx));
        Host.CheckValue(outputNames, nameof(outputNames));
        Host.CheckNonEmpty(featureColumn, nameof(featureColumn));
        Host.Check(Task == BackpropTask.MultilabelClassification && outputNames.Length == 3,
            "The multilabel mapper asks a multilabel model for Score, Probability and PredictedLabel.");

        // Score is the K logits z, Probability their sigmoids, PredictedLabel z > 0 per label (NaN compares false, as in ML.NET).
        string score = SaveLayersAsOnnx(ctx, featureColumn, outputNames[0]);
        ctx.CreateNode("Sigmoid", score, outputNames[1], ctx.GetNodeName("Sigmoid"), StandardDomain);
        ctx.CreateNode("Greater", [score, ctx.AddInitializer(0f, "BackpropZero")], [outputNames[2]], ctx.GetNodeName("Greater"), StandardDomain);
        return true;
    }

    /// <summary>
    /// Writes every weight layer (Gemm, and the hidden activation after each hidden one) and returns the variable
    /// holding the output layer's logits [rows × <see cref="OutputSize"/>]: <paramref name="output"/> when given, else a new one.
    /// </summary>
    private string SaveLayersAsOnnx(OnnxContext ctx, string featureColumn, string? output)
    {
        ctx.CheckOpSetVersion(MinimumOnnxOpSet, nameof(BackpropModelParameters));
        string a = featureColumn;
        int last = LayerCount - 1;
        for (int l = 0; l <= last; l++)
        {
            int inputs = Network.LayerInputs(l), outputs = Network.LayerOutputs(l);
            string weights = ctx.AddInitializer(GetWeights(l), [outputs, inputs], $"BackpropW{l}");
            string biases = ctx.AddInitializer(GetBiases(l), [outputs], $"BackpropB{l}");
            string z = l == last && output is not null
                ? output
                : ctx.AddIntermediateVariable(new VectorDataViewType(NumberDataViewType.Single, outputs), l == last ? "BackpropLogits" : $"BackpropZ{l}");
            ctx.CreateNode("Gemm", [a, weights, biases], [z], ctx.GetNodeName("Gemm"), StandardDomain).AddAttribute("transB", 1L);
            a = l == last ? z : SaveActivationAsOnnx(ctx, z, outputs, l);
        }

        return a;
    }

    /// <summary>Writes the hidden activation f(z) of layer <paramref name="layer"/> and returns its variable.</summary>
    private string SaveActivationAsOnnx(OnnxContext ctx, string z, int width, int layer)
    {
        string op = Activation switch
        {
            Activation.Identity => "",
            Activation.Sigmoid => "Sigmoid",
            Activation.Tanh => "Tanh",
            Activation.Relu => "Relu",
            Activation.LeakyRelu => "LeakyRelu",
            Activation.Gelu => "Gelu",
            _ => throw new NotSupportedException($"The hidden activation {Activation} has no ONNX export yet."),
        };
        if (op.Length == 0)
        {
            return z;
        }

        if (Activation == Activation.Gelu)
        {
            return SaveGeluAsOnnx(ctx, z, width, layer);
        }

        string a = ctx.AddIntermediateVariable(new VectorDataViewType(NumberDataViewType.Single, width), $"BackpropA{layer}");
        var node = ctx.CreateNode(op, z, a, ctx.GetNodeName(op), StandardDomain);
        if (Activation == Activation.LeakyRelu)
        {
            node.AddAttribute("alpha", LeakyReluActivation.Slope);
        }

        return a;
    }

    /// <summary>
    /// GELU in its tanh form from opset-9 operators (ONNX's own Gelu operator arrived in opset 20, which ML.NET does not
    /// write): a = ½·z·(1 + tanh(C·(z + K·z³))), in the order <see cref="GeluActivation.ByTanh"/> computes it (the model itself,
    /// saved from format 0x00010005 on, computes the same function as z·σ(2u): the two agree to a few units in the last place).
    /// </summary>
    private static string SaveGeluAsOnnx(OnnxContext ctx, string z, int width, int layer)
    {
        var type = new VectorDataViewType(NumberDataViewType.Single, width);
        string Node(string op, string left, string right, string name)
        {
            string result = ctx.AddIntermediateVariable(type, $"BackpropGelu{name}{layer}");
            ctx.CreateNode(op, [left, right], [result], ctx.GetNodeName(op), StandardDomain);
            return result;
        }

        string Constant(float value, string name) => ctx.AddInitializer(value, $"BackpropGelu{name}");
        string z2 = Node("Mul", z, z, "Square");
        string kz3 = Node("Mul", Node("Mul", Constant(GeluActivation.K, "K"), z2, "KSquare"), z, "KCube");
        string u = Node("Mul", Constant(GeluActivation.C, "C"), Node("Add", z, kz3, "Inner"), "U");
        string t = ctx.AddIntermediateVariable(type, $"BackpropGeluTanh{layer}");
        ctx.CreateNode("Tanh", u, t, ctx.GetNodeName("Tanh"), StandardDomain);
        string half = Node("Mul", Constant(0.5f, "Half"), z, "HalfZ");
        return Node("Mul", half, Node("Add", Constant(1f, "One"), t, "OnePlus"), "A");
    }
}
