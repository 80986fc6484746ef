// Publicizer: makes compile-time reference copies of assemblies with their non-public surface opened up.
//
// Why: ML.NET's persistence and scoring plumbing (ModelSaveContext, ModelLoadContext, LoadableClass,
// the private protected members of TrainerEstimatorBase and ModelParametersBase, the scorers) is internal.
// The library compiles against the copies this tool writes, and declares
// [assembly: IgnoresAccessChecksTo("...")] so that the runtime lets it use the real assemblies' internals.
// The copies are written under obj/ and never leave the build.
//
// Usage: Publicizer <output-directory> <assembly.dll>...
// Rules: every type outside System.* becomes public (nested: nested-public); every internal member
// becomes public; private protected becomes protected; protected internal becomes public. Private
// members stay private (they include explicit interface implementations, which must stay as they are).
using Mono.Cecil;

if (args.Length < 2)
{
    Console.Error.WriteLine("usage: Publicizer <output-directory> <assembly.dll>...");
    return 2;
}

string outputDirectory = args[0];
Directory.CreateDirectory(outputDirectory);
var resolver = new DefaultAssemblyResolver();
foreach (string directory in args.Skip(1).Select(p => Path.GetDirectoryName(Path.GetFullPath(p))!).Distinct())
{
    resolver.AddSearchDirectory(directory);
}

foreach (string input in args.Skip(1))
{
    using var assembly = AssemblyDefinition.ReadAssembly(input, new ReaderParameters { AssemblyResolver = resolver });
    foreach (TypeDefinition type in assembly.MainModule.GetTypes())
    {
        if (type.Namespace.StartsWith("System", StringComparison.Ordinal) || type.Name == "<Module>")
        {
            continue; // polyfills (IsExternalInit, nullable attributes...) would clash with the framework's own
        }

        OpenType(type);
        foreach (MethodDefinition method in type.Methods)
        {
            method.Attributes = (method.Attributes & ~MethodAttributes.MemberAccessMask) | Open(method.Attributes & MethodAttributes.MemberAccessMask);
        }

        foreach (FieldDefinition field in type.Fields)
        {
            var access = (MethodAttributes)(ushort)(field.Attributes & FieldAttributes.FieldAccessMask);
            field.Attributes = (field.Attributes & ~FieldAttributes.FieldAccessMask) | (FieldAttributes)(ushort)Open(access);
        }
    }

    string output = Path.Combine(outputDirectory, Path.GetFileName(input));
    assembly.Write(output);
    Console.WriteLine($"Publicizer: {input} -> {output}");
}

return 0;

static MethodAttributes Open(MethodAttributes access) => access switch
{
    MethodAttributes.Assembly => MethodAttributes.Public,
    MethodAttributes.FamORAssem => MethodAttributes.Public,
    MethodAttributes.FamANDAssem => MethodAttributes.Family,
    _ => access, // Public, Family, Private, CompilerControlled stay as they are
};

static void OpenType(TypeDefinition type)
{
    if (type.IsNested)
    {
        TypeAttributes visibility = type.Attributes & TypeAttributes.VisibilityMask;
        if (visibility is TypeAttributes.NestedAssembly or TypeAttributes.NestedFamORAssem)
        {
            type.Attributes = (type.Attributes & ~TypeAttributes.VisibilityMask) | TypeAttributes.NestedPublic;
        }
        else if (visibility is TypeAttributes.NestedFamANDAssem)
        {
            type.Attributes = (type.Attributes & ~TypeAttributes.VisibilityMask) | TypeAttributes.NestedFamily;
        }
    }
    else
    {
        type.Attributes = (type.Attributes & ~TypeAttributes.VisibilityMask) | TypeAttributes.Public;
    }
}
