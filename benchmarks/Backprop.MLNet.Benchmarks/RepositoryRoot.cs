namespace Backprop.MLNet.Benchmarks;

/// <summary>Finds files of the repository from wherever the program was built.</summary>
internal static class RepositoryRoot
{
    /// <summary>The folder holding Backprop.MLNet.sln, found by walking up from the program's folder, then from the working folder.</summary>
    /// <returns>The repository root.</returns>
    /// <exception cref="DirectoryNotFoundException">No folder above holds the solution.</exception>
    public static string Find()
    {
        foreach (string start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (DirectoryInfo? dir = new(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Backprop.MLNet.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        throw new DirectoryNotFoundException(
            $"No folder above {AppContext.BaseDirectory} or {Directory.GetCurrentDirectory()} holds Backprop.MLNet.sln; run the benchmark from inside the repository.");
    }
}
