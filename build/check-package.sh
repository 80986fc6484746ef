#!/usr/bin/env bash
# Packs Backprop.MLNet and proves that README's "Installing" recipe works for a new user who only has NuGet: a fresh
# console project outside the source tree gets README's nuget.config (a folder feed plus the default source), packs into
# its local-packages folder, runs `dotnet add package` with README's version into an EMPTY global packages folder,
# trains a pipeline, saves it, loads it in a new MLContext and checks that the predictions are identical. It also checks
# that no build-time file leaked into the package and that the package page's fields reach the .nuspec. Used by .ci/run.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/backprop-package-check.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "package check: $*" >&2; exit 1; }

# The version a user gets: the project's own, which README's `dotnet add package` line must name.
version=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' "$root/src/Backprop.MLNet/Backprop.MLNet.csproj")
[ -n "$version" ] || fail "no <Version> in Backprop.MLNet.csproj"
grep -qxF "dotnet add package Backprop.MLNet --version $version" "$root/README.md" \
  || fail "README's Installing recipe does not say 'dotnet add package Backprop.MLNet --version $version'"

# README's nuget.config: its one xml block with a packageSourceMapping.
config=$(awk '/^```xml$/ { block = ""; inside = 1; next }
              inside && /^```$/ { inside = 0; if (block ~ /packageSourceMapping/) { printf "%s", block; exit } next }
              inside { block = block $0 "\n" }' "$root/README.md")
[ -n "$config" ] || fail "README has no nuget.config block (an xml block with <packageSourceMapping>)"
nuget_org=https://api.nuget.org/v3/index.json
grep -qF "$nuget_org" <<<"$config" || fail "README's nuget.config does not name nuget.org ($nuget_org)"

# README shows nuget.org; this machine may reach NuGet through another address (a mirror). Its configured default
# source (the first enabled http source outside any project) takes nuget.org's place; here they are often the same.
default_source=$(cd "$work" && dotnet nuget list source --format short | awk '$1 ~ /^E/ && $2 ~ /^https?:/ { print $2; exit }')
default_source=${default_source:-$nuget_org}
echo "package check: version $version; README's nuget.config with $default_source for nuget.org"

# The package, packed (with the repository's own NuGet cache) straight into the app's local-packages folder as README
# says. A test repository address, since the csproj names none: the check is that it reaches the .nuspec.
app="$work/app"
repository_url=https://example.org/package-check/Backprop.MLNet
dotnet pack "$root/src/Backprop.MLNet/Backprop.MLNet.csproj" -c Release -o "$app/local-packages" \
  -p:RepositoryUrl="$repository_url" --artifacts-path "$work/artifacts" -v quiet -nologo
package="$app/local-packages/Backprop.MLNet.$version.nupkg"
[ -f "$package" ] || fail "dotnet pack made no $package"
listing=$(unzip -l "$package")   # read once: `unzip | grep -q` would fail under pipefail when grep stops early
if grep -qiE 'publicized|Publicizer|Microsoft\.ML\.(Core|Data)\.dll' <<<"$listing"; then
  fail "build-time files leaked into the package"
fi

# What a package page shows.
nuspec=$(unzip -p "$package" Backprop.MLNet.nuspec)
expect() { grep -qE "$1" <<<"$nuspec" || fail "the .nuspec has no $2 (looked for /$1/)"; }
expect '<tags>[^<]*ML\.NET[^<]*</tags>' "tags"
expect '<releaseNotes>[^<]*Microsoft\.ML 5\.0\.1[^<]*</releaseNotes>' "release notes"
expect "<projectUrl>$repository_url</projectUrl>" "project URL (it follows RepositoryUrl)"
expect "<repository type=\"git\" url=\"$repository_url\"" "git repository with the URL given at pack time"
expect '<readme>README\.md</readme>' "readme"
expect '<license type="expression">MIT</license>' "licence"
for file in README.md LICENSE; do
  grep -qE " $file\$" <<<"$listing" || fail "$file is not in the package"
done

# From here on, a new user's machine. An empty global packages folder: every package, Microsoft.ML included, must come
# from a source of README's nuget.config, exactly as on a clean machine. It also makes this check immune to the
# re-pack shadowing README warns about: a Backprop.MLNet $version cached by an earlier run (or by anything else on
# this machine) cannot stand in for the package just packed. (NuGet's HTTP cache is left alone: it only answers for
# the remote sources the config names, so a missing source still fails.)
export NUGET_PACKAGES="$work/nuget-packages"
mkdir -p "$NUGET_PACKAGES"
cd "$app"
dotnet new console --name app --output . --no-restore >/dev/null
sed "s#$nuget_org#$default_source#" <<<"$config" >nuget.config
cat >Program.cs <<'CS'
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
dotnet add package Backprop.MLNet --version "$version" >"$work/add-package.log" 2>&1 \
  || { cat "$work/add-package.log"; fail "dotnet add package failed with README's nuget.config"; }
cmp -s "$package" "$NUGET_PACKAGES/backprop.mlnet/$version/backprop.mlnet.$version.nupkg" \
  || fail "the installed Backprop.MLNet $version is not the package just packed"
echo "package check: installed into an empty NUGET_PACKAGES ($(ls "$NUGET_PACKAGES" | wc -l) packages, Microsoft.ML among them:" \
  "$(ls "$NUGET_PACKAGES/microsoft.ml")); Backprop.MLNet is the package just packed"
dotnet run -v quiet
