using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Model.OnnxConverter;

namespace Backprop.MLNet.MLNet.Scoring;

/// <summary>
/// A binary-classification face of <see cref="BackpropModelParameters"/> for ML.NET's binary scorer, which
/// wants a predictor that maps features to a score and a probability (IValueMapperDist). The score is the
/// output unit's logit z and the probability is σ(z), the network's own output; nothing is calibrated after
/// training. Used only while binding the scorer; never saved (the transformer saves the model itself). Exported to
/// ONNX as Score and Probability (see BackpropModelParameters.Onnx.cs).
/// </summary>
internal sealed class BinaryView(BackpropModelParameters model) : IPredictor, IValueMapperDist, IDistCanSaveOnnx
{
    private readonly IValueMapper _mapper = model;

    public PredictionKind PredictionKind => PredictionKind.BinaryClassification;

    public DataViewType InputType => _mapper.InputType;

    public DataViewType OutputType => NumberDataViewType.Single;

    public DataViewType DistType => NumberDataViewType.Single;

    public ValueMapper<TSrc, TDst> GetMapper<TSrc, TDst>() => _mapper.GetMapper<TSrc, TDst>();

    public ValueMapper<TSrc, TDst, TDist> GetMapper<TSrc, TDst, TDist>()
    {
        if (typeof(TSrc) != typeof(VBuffer<float>) || typeof(TDst) != typeof(float) || typeof(TDist) != typeof(float))
        {
            throw new InvalidOperationException("A binary Backprop model maps VBuffer<float> features to float score and probability.");
        }

        var scorer = new RowScorer(model);
        ValueMapper<VBuffer<float>, float, float> map = (in VBuffer<float> src, ref float score, ref float probability) =>
        {
            probability = scorer.Predict(src)[0];
            score = scorer.LastLogit;
        };
        return (ValueMapper<TSrc, TDst, TDist>)(Delegate)map;
    }

    bool ICanSaveOnnx.CanSaveOnnx(OnnxContext ctx) => true;

    bool ISingleCanSaveOnnx.SaveAsOnnx(OnnxContext ctx, string[] outputNames, string featureColumn) =>
        model.SaveBinaryAsOnnx(ctx, outputNames, featureColumn);

    bool IDistCanSaveOnnx.SaveAsOnnx(OnnxContext ctx, string[] outputNames, string featureColumn) =>
        model.SaveBinaryAsOnnx(ctx, outputNames, featureColumn);
}
