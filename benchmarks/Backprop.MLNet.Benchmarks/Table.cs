namespace Backprop.MLNet.Benchmarks;

/// <summary>
/// A plain-text table: a title row, then rows of cells. The first column is left-aligned; the others are
/// right-aligned (numbers), except in a two-column table (name and value), which is left-aligned throughout.
/// </summary>
internal sealed class Table(params string[] headers)
{
    private readonly List<string[]> _rows = [];
    private readonly HashSet<string[]> _spanning = new(ReferenceEqualityComparer.Instance);

    /// <summary>Adds a row of cells (missing trailing cells print empty).</summary>
    /// <param name="cells">The cells, first column first.</param>
    public void Add(params string[] cells) => _rows.Add(cells);

    /// <summary>
    /// Adds a row whose second cell runs, left-aligned, across the other columns (a note such as why a run failed):
    /// it does not widen them.
    /// </summary>
    /// <param name="first">The first cell.</param>
    /// <param name="rest">The text across the other columns.</param>
    public void AddSpanning(string first, string rest)
    {
        string[] row = [first, rest];
        _rows.Add(row);
        _spanning.Add(row);
    }

    /// <summary>Writes the table to the console, followed by an empty line.</summary>
    public void Print()
    {
        int columns = Math.Max(headers.Length, _rows.Count == 0 ? 0 : _rows.Max(r => r.Length));
        var widths = new int[columns];
        foreach (string[] row in _rows.Prepend(headers))
        {
            for (int c = 0; c < (_spanning.Contains(row) ? 1 : row.Length); c++)
            {
                widths[c] = Math.Max(widths[c], row[c].Length);
            }
        }

        bool leftOnly = columns == 2;
        Console.WriteLine(Format(headers, widths, leftOnly));
        Console.WriteLine(string.Join("-+-", widths.Select(w => new string('-', w))));
        foreach (string[] row in _rows)
        {
            Console.WriteLine(_spanning.Contains(row) ? $"{row[0].PadRight(widths[0])} | {row[1]}" : Format(row, widths, leftOnly));
        }

        Console.WriteLine();
    }

    private static string Format(string[] cells, int[] widths, bool leftOnly) =>
        string.Join(" | ", widths.Select((w, c) =>
        {
            string cell = c < cells.Length ? cells[c] : "";
            return c == 0 || leftOnly ? cell.PadRight(w) : cell.PadLeft(w);
        })).TrimEnd();
}
