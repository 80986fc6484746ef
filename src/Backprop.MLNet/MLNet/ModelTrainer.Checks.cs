using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace Backprop.MLNet.MLNet;

/// <summary>The checks of a warm start's classes and of a label that Task = Auto takes for regression.</summary>
internal sealed partial class ModelTrainer
{
    /// <summary>
    /// A warm start of a multiclass model: refuses data whose label's key values are not the initial model's classes in the
    /// same order (output i is trained on as key i); warns when either side has no classes to compare.
    /// </summary>
    private static void CheckClasses(IChannel ch, ClassValues? model, ClassValues? data, string labelName)
    {
        if (model is null)
        {
            ch.Warning(MessageSensitivity.None, "BackpropTrainer: the initial model does not record the classes its outputs mean (it was saved by " +
                "a version of Backprop.MLNet before model format 0x00010004, or its label had no key values), so they cannot be checked against " +
                $"the label column '{labelName}'" + (data is null ? " (which has no key values either)" : $" {data}") +
                ": training goes on with output i as key i of this label. Make sure its keys are the initial model's classes in the same order.");
            return;
        }

        if (data is null)
        {
            ch.Warning(MessageSensitivity.None, $"BackpropTrainer: the label column '{labelName}' is a key type without key values, so its classes " +
                $"cannot be checked against the initial model's {model}: training goes on with output i as key i of this label. Make sure key i " +
                "is the same class as in the data the initial model was trained on.");
            return;
        }

        if (!model.SameAs(data))
        {
            throw Errors.InitialModel(ClassMismatch(model, data, labelName),
                $"Map the label with the same key values as the initial model's data, e.g. fit mlContext.Transforms.Conversion.MapValueToKey(\"{labelName}\") " +
                "on data holding every class (or give it keyData: a view of the classes in the model's order), or train without the initial model.");
        }
    }

    /// <summary>What differs between the initial model's classes and the data's, naming both and the first output whose class differs.</summary>
    internal static string ClassMismatch(ClassValues model, ClassValues data, string labelName)
    {
        bool reordered = model.ItemType == data.ItemType && model.Values.Order(StringComparer.Ordinal).SequenceEqual(data.Values.Order(StringComparer.Ordinal), StringComparer.Ordinal);
        int at = Enumerable.Range(0, model.Values.Count).FirstOrDefault(i => !string.Equals(model.Values[i], data.Values[i], StringComparison.Ordinal), -1);
        string first = at < 0
            ? $"the values are written alike but are {model.ItemType} in the model and {data.ItemType} here"
            : string.Create(CultureInfo.InvariantCulture, $"output {at} would mean {ClassValues.Show(model.Values[at])} to the model and {ClassValues.Show(data.Values[at])} here");
        return $"its outputs mean the classes {model}, and the label column '{labelName}' holds " +
            (reordered ? $"the same classes in another order, {data}" : $"the classes {data}") +
            $"; output i is trained on as key i, so {first}";
    }

    /// <summary>The warning for a Single/Double label holding only 0 and 1 that Task = Auto takes for regression.</summary>
    internal static string ZeroOneLabelWarning(DataViewSchema.Column label) =>
        $"the label column '{label.Name}' is {label.Type} and holds only the values 0 and 1, so Task = Auto trains a regressor on it " +
        "(squared error, a Score that is not a probability). If it is a class, make it binary classification: " +
        $"mlContext.Transforms.Conversion.ConvertType(\"{label.Name}\", outputKind: DataKind.Boolean) before " +
        "mlContext.BinaryClassification.Trainers.Backprop(...) (or Task = BackpropTask.BinaryClassification). To train a regressor, set " +
        "Task = BackpropTask.Regression (mlContext.Regression.Trainers.Backprop sets it) and this warning goes.";
}
