// The ML.NET internals bridge, run-time half.
//
// The compiler is given reference copies of these ML.NET assemblies in which internal members are
// public (build/Publicize.targets). At run time the real assemblies are loaded, and the CLR honours
// IgnoresAccessChecksToAttribute: code in this assembly may then use their internal types and members.
// The attribute is not defined by the base class library; the runtime recognises it by name, so each
// assembly that uses it declares its own copy (below). Every use of ML.NET internals stays in MLNet/.
using System.Runtime.CompilerServices;

[assembly: IgnoresAccessChecksTo("Microsoft.ML.Core")]
[assembly: IgnoresAccessChecksTo("Microsoft.ML.Data")]
[assembly: IgnoresAccessChecksTo("Microsoft.ML.StandardTrainers")]

namespace System.Runtime.CompilerServices;

/// <summary>Tells the runtime that this assembly may access the non-public members of the named assembly.</summary>
[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = true)]
internal sealed class IgnoresAccessChecksToAttribute : Attribute
{
    /// <summary>Creates the attribute for the assembly named <paramref name="assemblyName"/>.</summary>
    /// <param name="assemblyName">The simple name of the assembly whose internals are used.</param>
    public IgnoresAccessChecksToAttribute(string assemblyName) => AssemblyName = assemblyName;

    /// <summary>The simple name of the assembly whose internals are used.</summary>
    public string AssemblyName { get; }
}
