using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Backprop.MLNet.Engine.Sparse;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Backprop.MLNet.MLNet;

/// <summary>Writes one row's target values; false when the label is missing (the row is then skipped).</summary>
internal delegate bool TargetReader(Span<float> target);

/// <summary>
/// How a label column becomes the training loop's target values: binary Boolean → 0/1, multiclass key → class index
/// (key − 1; key 0 is a missing label), multilabel vector of Boolean → 0/1 per label (a sparse vector's absent slots are
/// false), regression Single/Double or a vector of Single → the values (NaN/∞ is missing). A vector of another length than
/// the label's type says is missing.
/// </summary>
internal static class TargetReaders
{
    /// <summary>A reader that turns the label of <paramref name="cursor"/>'s rows into target values, refusing a missing label.</summary>
    /// <param name="cursor">The cursor, with the label column active.</param>
    /// <param name="label">The label column.</param>
    /// <param name="task">The resolved task.</param>
    public static TargetReader For(DataViewRowCursor cursor, DataViewSchema.Column label, BackpropTask task)
    {
        switch (task)
        {
            case BackpropTask.BinaryClassification:
                {
                    ValueGetter<bool> get = cursor.GetGetter<bool>(label);
                    bool value = default;
                    return target =>
                    {
                        get(ref value);
                        target[0] = value ? 1f : 0f;
                        return true;
                    };
                }

            case BackpropTask.MulticlassClassification:
                {
                    // Key values are 1-based; 0 means missing. Class index = key − 1.
                    ValueGetter<uint> get = cursor.GetGetter<uint>(label);
                    uint value = default;
                    return target =>
                    {
                        get(ref value);
                        target[0] = value - 1;
                        return value != 0;
                    };
                }

            case BackpropTask.MultilabelClassification:
                {
                    ValueGetter<VBuffer<bool>> get = cursor.GetGetter<VBuffer<bool>>(label);
                    VBuffer<bool> value = default;
                    return target =>
                    {
                        get(ref value);
                        if (value.Length != target.Length)
                        {
                            return false;
                        }

                        ReadOnlySpan<bool> values = value.GetValues();
                        if (value.IsDense)
                        {
                            for (int i = 0; i < values.Length; i++)
                            {
                                target[i] = values[i] ? 1f : 0f;
                            }
                        }
                        else
                        {
                            target.Clear();
                            ReadOnlySpan<int> indices = value.GetIndices();
                            for (int k = 0; k < values.Length; k++)
                            {
                                target[indices[k]] = values[k] ? 1f : 0f;
                            }
                        }

                        return true;
                    };
                }

            default:
                if (label.Type is VectorDataViewType)
                {
                    ValueGetter<VBuffer<float>> get = cursor.GetGetter<VBuffer<float>>(label);
                    VBuffer<float> value = default;
                    return target =>
                    {
                        get(ref value);
                        if (value.Length != target.Length)
                        {
                            return false;
                        }

                        value.CopyTo(target);
                        return AllFinite(target);
                    };
                }
                else if (label.Type == NumberDataViewType.Double)
                {
                    ValueGetter<double> get = cursor.GetGetter<double>(label);
                    double value = default;
                    return target =>
                    {
                        get(ref value);
                        target[0] = (float)value;
                        return float.IsFinite(target[0]);
                    };
                }
                else
                {
                    ValueGetter<float> get = cursor.GetGetter<float>(label);
                    float value = default;
                    return target =>
                    {
                        get(ref value);
                        target[0] = value;
                        return float.IsFinite(value);
                    };
                }
        }
    }

    /// <summary>Whether every one of <paramref name="values"/> is finite (not NaN, not ±∞).</summary>
    /// <remarks>
    /// Vectorised and compiled optimised at first call, as <see cref="NonZeros.Count"/>: it runs over every feature of every
    /// row read (it was <c>TensorPrimitives.IsFiniteAll</c>, whose generic code ran unoptimised through FMNIST's reading pass).
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool AllFinite(ReadOnlySpan<float> values)
    {
        ref float start = ref MemoryMarshal.GetReference(values);
        int k = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; k <= values.Length - Vector512<float>.Count; k += Vector512<float>.Count)
            {
                // v − v is 0 for a finite v and NaN for NaN and ±∞.
                Vector512<float> v = Vector512.LoadUnsafe(ref start, (nuint)k);
                if (!Vector512.EqualsAll(v - v, Vector512<float>.Zero))
                {
                    return false;
                }
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; k <= values.Length - Vector256<float>.Count; k += Vector256<float>.Count)
            {
                Vector256<float> v = Vector256.LoadUnsafe(ref start, (nuint)k);
                if (!Vector256.EqualsAll(v - v, Vector256<float>.Zero))
                {
                    return false;
                }
            }
        }

        for (; k < values.Length; k++)
        {
            if (!float.IsFinite(values[k]))
            {
                return false;
            }
        }

        return true;
    }
}
