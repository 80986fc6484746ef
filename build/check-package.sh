#!/usr/bin/env bash
# Packs Backprop.MLNet and proves the package works for a user who only has NuGet: a fresh console project
# outside the source tree installs it from a local folder feed, trains a pipeline, saves it, loads it in a
# new MLContext and checks that the predictions are identical. Used by .ci/run.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/backprop-package-check.XXXXXX)
trap 'rm -rf "$work"' EXIT
version="0.1.0-check.$(date +%s)"   # a fresh version, so no cached copy of an older package is used

dotnet pack "$root/src/Backprop.MLNet/Backprop.MLNet.csproj" -c Release -o "$work/feed" \
  -p:PackageVersion="$version" --artifacts-path "$work/artifacts" -v quiet -nologo
if unzip -l "$work/feed/Backprop.MLNet.$version.nupkg" | grep -qiE 'publicized|Publicizer|Microsoft\.ML\.(Core|Data)\.dll'; then
  echo "package check: build-time files leaked into the package"; exit 1
fi

mkdir -p "$work/app"
cd "$work/app"
cat > nuget.config <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <add key="local" value="$work/feed" />
  </packageSources>
</configuration>
XML
cat > app.csproj <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <Nullable>enable</Nullable>
    <ImplicitUsings>enable</ImplicitUsings>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="Backprop.MLNet" Version="$version" />
  </ItemGroup>
</Project>
XML
cat > Program.cs <<'CS'
using Backprop.MLNet;
using Microsoft.ML;
using Microsoft.ML.Data;

var ml = new MLContext(seed: 1);
var random = new Random(2);
var rows = Enumerable.Range(0, 200).Select(i => new Row
{
    Features = [(i % 2 == 0 ? 1.5f : -1.5f) + (float)random.NextDouble() - 0.5f, (float)random.NextDouble()],
    Label = i % 2 == 0,
}).ToArray();
IDataView data = ml.Data.LoadFromEnumerable(rows);
var model = ml.Transforms.NormalizeMeanVariance("Features")
    .Append(ml.BinaryClassification.Trainers.Backprop(hiddenLayerSizes: [8], learningRate: 0.01, maximumNumberOfEpochs: 30))
    .Fit(data);
double accuracy = ml.BinaryClassification.Evaluate(model.Transform(data)).Accuracy;
string path = Path.Combine(AppContext.BaseDirectory, "model.zip");
ml.Model.Save(model, data.Schema, path);
ITransformer loaded = new MLContext().Model.Load(path, out _);
bool same = model.Transform(data).GetColumn<float>("Score").SequenceEqual(loaded.Transform(data).GetColumn<float>("Score"));
Console.WriteLine($"package check: accuracy {accuracy:F3}, reloaded predictions identical: {same}");
return same && accuracy > 0.9 ? 0 : 1;

internal sealed class Row
{
    [VectorType(2)] public float[] Features { get; set; } = [];
    public bool Label { get; set; }
}
CS
# nuget.config adds the local feed (our package) to the machine's usual sources (its dependencies).
dotnet restore -v quiet
dotnet run --no-restore -v quiet
