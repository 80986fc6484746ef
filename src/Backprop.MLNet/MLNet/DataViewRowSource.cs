using Backprop.MLNet.Engine;
using Backprop.MLNet.Training.Data;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace Backprop.MLNet.MLNet;

/// <summary>
/// A role-mapped data view as rows the training loop can read pass after pass: each pass is a typed cursor over the
/// feature, label and weight columns (shuffled by the view itself when it can and a seed is given). Rows whose features
/// hold NaN/∞ or are of the wrong length, whose label is missing, or whose weight is negative or NaN are skipped and
/// counted, as ML.NET's own trainers do. The label becomes the target the task needs (standardised by
/// <see cref="Scaling"/> when set) and the weight is multiplied by <see cref="ClassWeights"/> when set.
/// </summary>
internal sealed class DataViewRowSource : IRowSource
{
    private readonly IHost _host;
    private readonly RoleMappedData _data;
    private readonly BackpropTask _task;

    /// <summary>Describes the rows of <paramref name="data"/> for <paramref name="task"/>.</summary>
    /// <param name="host">Checks for cancellation while reading.</param>
    /// <param name="data">The role-mapped data (feature and label roles set).</param>
    /// <param name="task">The resolved task: decides how the label becomes a target.</param>
    /// <param name="inputSize">The feature vector length.</param>
    /// <param name="outputSize">For multiclass: the number of key values; for regression and multilabel: the label's length.</param>
    public DataViewRowSource(IHost host, RoleMappedData data, BackpropTask task, int inputSize, int outputSize)
    {
        _host = host;
        _data = data;
        _task = task;
        InputSize = inputSize;
        TargetWidth = task is BackpropTask.Regression or BackpropTask.MultilabelClassification ? outputSize : 1;
        ClassCount = task switch
        {
            BackpropTask.BinaryClassification => 2,
            BackpropTask.MulticlassClassification => outputSize,
            _ => 0,
        };
    }

    /// <summary>The rows of named columns of <paramref name="data"/> (for tests: ML.NET's role mapping is internal to it).</summary>
    internal static DataViewRowSource Create(IHostEnvironment environment, IDataView data, string label, string features, string? weight, BackpropTask task, int outputSize)
    {
        var roles = new RoleMappedData(data, label: label, feature: features, weight: weight);
        int inputSize = ((VectorDataViewType)roles.Schema.Feature!.Value.Type).Size;
        return new DataViewRowSource(environment.Register("test"), roles, task, inputSize, outputSize);
    }

    /// <inheritdoc />
    public int InputSize { get; }

    /// <inheritdoc />
    public int TargetWidth { get; }

    /// <summary>The resolved task: it decides how the label becomes the target.</summary>
    public BackpropTask Task => _task;

    /// <summary>The number of classes of a class label (binary, multiclass); 0 for regression and multilabel.</summary>
    public int ClassCount { get; }

    /// <summary>The name of the example-weight column, or null.</summary>
    public string? WeightColumnName => _data.Schema.Weight?.Name;

    /// <inheritdoc />
    public bool HasWeights => _data.Schema.Weight is not null || ClassWeights is not null;

    /// <inheritdoc />
    public bool CanShuffle => Spill is not null || _data.Data.CanShuffle;

    /// <summary>
    /// The rows as the reading pass wrote them to a temporary file (<see cref="DataCaching.Disk"/>), or null: when set, the
    /// training's passes read it instead of the data view (shuffled by blocks), with the label scaling and class weights
    /// applied as they are read.
    /// </summary>
    public RowSpill? Spill { get; set; }

    /// <summary>The number of rows if the view knows it without reading (valid or not), else null.</summary>
    public long? KnownRowCount => _data.Data.GetRowCount();

    /// <summary>Per-class factors the rows' weights are multiplied by (classification), or null.</summary>
    public float[]? ClassWeights { get; set; }

    /// <summary>The standardisation of regression targets, or null.</summary>
    public LabelScaling? Scaling { get; set; }

    /// <summary>Counts the rows with a cursor that activates no column, so upstream transforms compute nothing.</summary>
    public long CountRows()
    {
        long rows = 0;
        using DataViewRowCursor cursor = _data.Data.GetRowCursor(Array.Empty<DataViewSchema.Column>());
        while (cursor.MoveNext())
        {
            if ((rows++ & 65535) == 0)
            {
                _host.CheckAlive();
            }
        }

        return rows;
    }

    /// <inheritdoc />
    IRowCursor IRowSource.Open(ulong? shuffleSeed) => Spill is { } spill ? new SpilledCursor(this, spill.Open(shuffleSeed)) : Open(shuffleSeed);

    /// <summary>Starts a pass (shuffled by the view when <paramref name="shuffleSeed"/> is given and it can shuffle).</summary>
    /// <param name="shuffleSeed">The seed of the view's shuffling, or null for its stored order.</param>
    public Cursor Open(ulong? shuffleSeed) => new(this, shuffleSeed);

    /// <summary>One pass: the valid rows, and counts of the rows read and skipped.</summary>
    internal sealed class Cursor : IRowCursor
    {
        private readonly DataViewRowSource _parent;
        private readonly DataViewRowCursor _cursor;
        private readonly ValueGetter<VBuffer<float>> _getFeatures;
        private readonly TargetReader _getTarget;
        private readonly ValueGetter<float>? _getWeight;
        private readonly ValueGetter<DataViewRowId> _getId;
        private readonly float[] _target;
        private VBuffer<float> _row;
        private float _weight = 1;
        private bool _haveId;
        private ulong _id;

        public Cursor(DataViewRowSource parent, ulong? shuffleSeed)
        {
            _parent = parent;
            RoleMappedSchema schema = parent._data.Schema;
            DataViewSchema.Column featureColumn = schema.Feature!.Value;
            DataViewSchema.Column labelColumn = schema.Label!.Value;
            var columns = new List<DataViewSchema.Column> { featureColumn, labelColumn };
            if (schema.Weight is { } weightColumn)
            {
                columns.Add(weightColumn);
            }

            // System.Random(int) is a fixed algorithm for a given seed, so the view's shuffle is repeatable.
            Random? random = shuffleSeed is { } seed && parent.CanShuffle ? new Random(unchecked((int)(seed ^ (seed >> 32)))) : null;
            _cursor = parent._data.Data.GetRowCursor(columns, random);
            _getFeatures = _cursor.GetGetter<VBuffer<float>>(featureColumn);
            _getTarget = TargetReaders.For(_cursor, labelColumn, parent._task);
            _getWeight = schema.Weight is { } w ? _cursor.GetGetter<float>(w) : null;
            _getId = _cursor.GetIdGetter();
            _target = new float[parent.TargetWidth];
        }

        /// <summary>Rows read so far, valid or not.</summary>
        public long RowsRead { get; private set; }

        /// <summary>Rows skipped so far.</summary>
        public long RowsSkipped { get; private set; }

        /// <summary>The class of the current row (its target, for classification).</summary>
        public int Class => (int)_target[0];

        /// <summary>The current row's example weight, before class weights.</summary>
        public float ExampleWeight => _weight;

        /// <inheritdoc />
        public bool IsDense => _row.IsDense;

        /// <inheritdoc />
        public ReadOnlySpan<float> Values => _row.GetValues();

        /// <inheritdoc />
        public ReadOnlySpan<int> Indices => _row.IsDense ? default : _row.GetIndices();

        /// <inheritdoc />
        public ReadOnlySpan<float> Target => _target;

        /// <inheritdoc />
        public float Weight => _parent.ClassWeights is { } perClass ? _weight * perClass[Class] : _weight;

        /// <inheritdoc />
        public ulong Id
        {
            get
            {
                if (!_haveId)
                {
                    DataViewRowId id = default;
                    _getId(ref id);
                    _id = id.Low ^ SeededRandom.Hash(id.High);
                    _haveId = true;
                }

                return _id;
            }
        }

        /// <inheritdoc />
        public bool MoveNext()
        {
            while (_cursor.MoveNext())
            {
                if ((RowsRead++ & 1023) == 0)
                {
                    _parent._host.CheckAlive();
                }

                _haveId = false;
                _getFeatures(ref _row);
                _getWeight?.Invoke(ref _weight);
                if (_getTarget(_target) && _row.Length == _parent.InputSize && TargetReaders.AllFinite(_row.GetValues()) && _weight >= 0 && !float.IsPositiveInfinity(_weight))
                {
                    _parent.Scaling?.Standardize(_target);
                    return true;
                }

                RowsSkipped++;
            }

            return false;
        }

        /// <summary>Disposes the data view's cursor.</summary>
        public void Dispose() => _cursor.Dispose();
    }

    /// <summary>A pass over the temporary file: its rows with the label scaling and class weights applied, as <see cref="Cursor"/> applies them.</summary>
    private sealed class SpilledCursor(DataViewRowSource parent, IRowCursor rows) : IRowCursor
    {
        private readonly float[] _target = new float[parent.TargetWidth];
        private long _read;

        public bool IsDense => rows.IsDense;

        public ReadOnlySpan<float> Values => rows.Values;

        public ReadOnlySpan<int> Indices => rows.Indices;

        public ReadOnlySpan<float> Target => _target;

        public float Weight => parent.ClassWeights is { } perClass ? rows.Weight * perClass[(int)_target[0]] : rows.Weight;

        public ulong Id => rows.Id;

        public bool MoveNext()
        {
            if ((_read++ & 1023) == 0)
            {
                parent._host.CheckAlive();
            }

            if (!rows.MoveNext())
            {
                return false;
            }

            rows.Target.CopyTo(_target);
            parent.Scaling?.Standardize(_target);
            return true;
        }

        public void Dispose() => rows.Dispose();
    }
}
