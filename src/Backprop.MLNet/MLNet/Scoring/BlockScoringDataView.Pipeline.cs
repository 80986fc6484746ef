using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Model.OnnxConverter;
using Microsoft.ML.Model.Pfa;
using Microsoft.ML.Runtime;

namespace Backprop.MLNet.MLNet.Scoring;

/// <summary>
/// The face ML.NET's pipeline tools see. They do not only cursor a transformed view: the ONNX and PFA exporters, the
/// legacy loaders and ApplyTransformUtils walk back a chain of IDataTransform views through <c>Source</c> and ask each
/// to save, export or re-apply itself, and PredictionEngine-like code may take the view as an IRowToRowMapper. All of
/// that is the row-by-row scorer's business and is handed to it unchanged; only cursors are this view's own.
/// </summary>
internal sealed partial class BlockScoringDataView : IDataScorerTransform, ITransformCanSaveOnnx, ITransformCanSavePfa, IRowToRowMapper, IDisposable
{
    /// <summary>The input data: the scorer's own source.</summary>
    public IDataView Source => ((IDataTransform)_fallback).Source;

    /// <summary>The row-by-row scorer's input schema.</summary>
    DataViewSchema IRowToRowMapper.InputSchema => ((IRowToRowMapper)_fallback).InputSchema;

    /// <summary>The row-by-row scorer's output schema (the same object as <see cref="Schema"/>).</summary>
    DataViewSchema IRowToRowMapper.OutputSchema => ((IRowToRowMapper)_fallback).OutputSchema;

    /// <summary>Saves the row-by-row scorer (what ML.NET would save for the scored view).</summary>
    /// <param name="ctx">The save context.</param>
    void ICanSaveModel.Save(ModelSaveContext ctx) => ((ICanSaveModel)_fallback).Save(ctx);

    /// <summary>The row-by-row scorer re-applied to new data.</summary>
    /// <param name="env">The environment.</param>
    /// <param name="newSource">The new input.</param>
    IDataTransform ITransformTemplate.ApplyToData(IHostEnvironment env, IDataView newSource) => ((ITransformTemplate)_fallback).ApplyToData(env, newSource);

    /// <summary>Whether the row-by-row scorer can export itself to ONNX.</summary>
    /// <param name="ctx">The ONNX context.</param>
    bool ICanSaveOnnx.CanSaveOnnx(OnnxContext ctx) => _fallback is ISaveAsOnnx onnx && onnx.CanSaveOnnx(ctx);

    /// <summary>Exports the row-by-row scorer to ONNX.</summary>
    /// <param name="ctx">The ONNX context.</param>
    void ISaveAsOnnx.SaveAsOnnx(OnnxContext ctx) => ((ISaveAsOnnx)_fallback).SaveAsOnnx(ctx);

    /// <summary>Whether the row-by-row scorer can export itself to PFA.</summary>
    bool ICanSavePfa.CanSavePfa => _fallback is ISaveAsPfa { CanSavePfa: true };

    /// <summary>Exports the row-by-row scorer to PFA.</summary>
    /// <param name="ctx">The PFA context.</param>
    void ISaveAsPfa.SaveAsPfa(BoundPfaContext ctx) => ((ISaveAsPfa)_fallback).SaveAsPfa(ctx);

    /// <summary>The input columns the row-by-row scorer needs for <paramref name="dependingColumns"/>.</summary>
    /// <param name="dependingColumns">Output columns.</param>
    IEnumerable<DataViewSchema.Column> IRowToRowMapper.GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns) =>
        ((IRowToRowMapper)_fallback).GetDependencies(dependingColumns);

    /// <summary>Single-row scoring: the row-by-row scorer's row.</summary>
    /// <param name="input">The input row.</param>
    /// <param name="activeColumns">Output columns to make active.</param>
    DataViewRow IRowToRowMapper.GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns) =>
        ((IRowToRowMapper)_fallback).GetRow(input, activeColumns);

    /// <summary>Disposes the row-by-row scorer when it is disposable (the predicted-label scorers are).</summary>
    public void Dispose() => (_fallback as IDisposable)?.Dispose();
}
